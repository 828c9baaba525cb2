package tracking

import (
	"testing"
	"time"
)

func TestBucketDays(t *testing.T) {
	for d, want := range map[int]int{0: 0, 30: 30, 31: 31, 37: 31, 38: 38, 181: 178, 182: 182, 211: 182, 212: 212} {
		if got := BucketDays(d); got != want {
			t.Errorf("BucketDays(%d) = %d, want %d", d, got, want)
		}
	}
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if DaysBetween(at, at.Add(47*time.Hour)) != 1 || DaysBetween(at, at.Add(-time.Hour)) != 0 {
		t.Error("DaysBetween counts whole days, never negative")
	}
}

// A reply proves delivery whatever the status says; a failure is a
// failure only when nothing proves delivery.
func TestDeliveredFailedReplied(t *testing.T) {
	cases := []struct {
		status            string
		replied           bool
		delivered, failed bool
	}{
		{"sent", false, true, false}, {"delivered", false, true, false}, {"queued", false, false, false},
		{"failed", false, false, true}, {"bounced", false, false, true}, {"bounced", true, true, false},
		{"dropped", false, false, false}, {"outbox", false, false, false},
	}
	for _, c := range cases {
		if Delivered(c.status, c.replied) != c.delivered || Failed(c.status, c.replied) != c.failed {
			t.Errorf("%s replied=%v: delivered %v failed %v", c.status, c.replied, Delivered(c.status, c.replied), Failed(c.status, c.replied))
		}
	}
	for _, s := range []string{SubstanceSubstantive, SubstanceAcknowledgement, SubstanceRefusal} {
		if !IsReply(s) {
			t.Errorf("%s is a reply", s)
		}
	}
	if IsReply(SubstanceNone) || IsReply("") {
		t.Error("no reply counted as a reply")
	}
	for answer, sub := range SurveyAnswers {
		if sub != SubstanceNone && !IsReply(sub) {
			t.Errorf("survey answer %s reports %s, neither a reply nor none", answer, sub)
		}
	}
}

func TestUnsubscribes(t *testing.T) {
	for _, e := range []string{"unsubscribe", "group_unsubscribe", "spamreport", "bounce", "dropped"} {
		if !Unsubscribes(e) {
			t.Errorf("%s should stop email", e)
		}
	}
	for _, e := range []string{"delivered", "open", "click", "deferred", "processed", "group_resubscribe"} {
		if Unsubscribes(e) {
			t.Errorf("%s should not stop email", e)
		}
	}
}
