package tracking

import (
	"slices"
	"time"
)

// Response substances: what an office's response said. Substantive,
// acknowledgement and refusal are replies; SubstanceNone is a survey
// answer that reports no reply.
const (
	SubstanceSubstantive     = "substantive"
	SubstanceAcknowledgement = "acknowledgement"
	SubstanceRefusal         = "refusal"
	SubstanceNone            = "none"
)

// ReplySubstances are the substances that count as the office having
// replied (the rollups' "replied").
var ReplySubstances = []string{SubstanceSubstantive, SubstanceAcknowledgement, SubstanceRefusal}

// IsReply tells substances that count as the office having replied.
func IsReply(substance string) bool { return slices.Contains(ReplySubstances, substance) }

// SurveyAnswers maps what a supporter may answer about one letter to the
// substance it reports.
var SurveyAnswers = map[string]string{
	"replied_substantive":  SubstanceSubstantive,
	"acknowledgement_only": SubstanceAcknowledgement,
	"no_reply_yet":         SubstanceNone,
	"not_sure":             SubstanceNone,
	// the follow-up survey's own words for the same answers
	"replied":      SubstanceSubstantive,
	"acknowledged": SubstanceAcknowledgement,
	"no_reply":     SubstanceNone,
}

// Delivered tells a letter the dashboards count as delivered: sent (the
// channel accepted it) or confirmed delivered, or answered (a reply proves
// it arrived, whatever the status says).
func Delivered(status string, replied bool) bool {
	return status == "sent" || status == "delivered" || replied
}

// Failed tells a letter counted as a delivery failure: failed or bounced,
// and not delivered.
func Failed(status string, replied bool) bool {
	return !Delivered(status, replied) && (status == "failed" || status == "bounced")
}

// Unsubscribes tells the provider events after which no email goes to the
// address again: the person asked (unsubscribe, spam report), or the
// address does not take mail (bounce, dropped).
func Unsubscribes(event string) bool {
	switch event {
	case "unsubscribe", "group_unsubscribe", "spamreport", "bounce", "dropped":
		return true
	}
	return false
}

// BucketDays keeps the rollups of time to reply small: days are exact up
// to 30, then rounded down to the week (31, 38, ...) up to 182, then to
// 30-day steps. Medians and percentiles are exact within a month and lower
// bounds of their week or month beyond.
func BucketDays(d int) int {
	switch {
	case d <= 30:
		return d
	case d < 182:
		return 31 + (d-31)/7*7
	}
	return 182 + (d-182)/30*30
}

// DaysBetween is whole days from a to b, never negative.
func DaysBetween(a, b time.Time) int {
	d := b.Sub(a)
	if d < 0 {
		return 0
	}
	return int(d / (24 * time.Hour))
}

// Month is the month a letter counts under: that of its delivery (or
// sending, or writing, whichever is known last), in UTC.
func Month(at time.Time) string { return at.UTC().Format("2006-01") }
