// Package mailing sends mobilization emails: staff write one email (a
// subject and a body template per language, with merge fields), choose a
// segment of the supporters who joined the organization's list (double
// opt-in), preview it for one supporter, and send it now or at a set time.
//
// Sending is one River job per mailing that works in slices and resumes
// where it stopped. Recipients are read in key order (the opt-in's blind
// index), a thousand at a time, one language at a time; each thousand is
// one row of mailing_batches, written "sending" (committed) before the
// one request that hands them to SendGrid (its personalizations: per
// recipient a subject, the RFC 8058 List-Unsubscribe headers and the
// substitutions of the body's merge fields) and marked "sent" with the
// answer. Nothing is written per email. A crash can therefore leave only
// the batch in flight with an unknown outcome: it is marked "unknown" and
// never sent again (nobody gets the email twice; the progress view counts
// those recipients apart). A batch SendGrid did not take (429, 5xx, no
// connection) is sent again, to the same range of recipients minus those
// who left the list meanwhile. Unsubscribes and suppressions are read
// when each batch is read, so someone who unsubscribes mid-send is not
// sent to.
package mailing

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/letter"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/usstate"
)

// Segment chooses the supporters a mailing goes to, among those who
// confirmed that they want to hear from the organization, are not
// unsubscribed and not suppressed.
type Segment struct {
	// CampaignID: supporters who joined through this campaign (0: any).
	CampaignID int64 `json:"campaign_id,omitempty"`
	// States: supporters who wrote to a member of one of these states
	// (two-letter codes), e.g. the states of a committee's members.
	States []string `json:"states,omitempty"`
	// NoReplyCampaignID: supporters who wrote in this campaign to an
	// office that has not replied to it.
	NoReplyCampaignID int64 `json:"no_reply_campaign_id,omitempty"`
	// NotWrittenCampaignID: supporters who have not written in this
	// campaign yet.
	NotWrittenCampaignID int64 `json:"not_written_campaign_id,omitempty"`
}

// Query is the store's recipient query for the segment at cutoff.
func (s Segment) Query(cutoff time.Time) store.RecipientQuery {
	return store.RecipientQuery{CampaignID: s.CampaignID, Cutoff: cutoff, States: s.States, NoReplyOf: s.NoReplyCampaignID, NotWritten: s.NotWrittenCampaignID}
}

// Draft is what staff write.
type Draft struct {
	Name       string
	CampaignID int64 // the campaign {{.campaign_link}} and {{.campaign_title}} name (0: none)
	SubjectEN  string
	BodyEN     string
	SubjectES  string // optional: Spanish-speaking supporters get the English version without it
	BodyES     string
	Segment    Segment
	SendAt     *time.Time // nil: now
}

// Compiled is a mailing's templates, parsed.
type Compiled struct {
	Subject map[string]*Template // by language: "en", and "es" when written
	Body    map[string]*Template
}

// Spanish tells whether the mailing has a Spanish version.
func (c *Compiled) Spanish() bool { return c.Body["es"] != nil }

// MaxName caps a mailing's name, in characters.
const MaxName = 200

// Normalize tidies a draft as a form sends it (CRLF line ends).
func (d *Draft) Normalize() {
	d.Name = strings.TrimSpace(d.Name)
	for _, p := range []*string{&d.BodyEN, &d.BodyES} {
		*p = strings.ReplaceAll(*p, "\r\n", "\n")
	}
	d.SubjectEN, d.SubjectES = strings.TrimSpace(d.SubjectEN), strings.TrimSpace(d.SubjectES)
	for i, st := range d.Segment.States {
		d.Segment.States[i] = strings.ToUpper(strings.TrimSpace(st))
	}
	if strings.TrimSpace(d.BodyES) == "" && d.SubjectES == "" {
		d.BodyES = ""
	}
	if d.SendAt != nil {
		t := d.SendAt.UTC().Truncate(time.Second)
		d.SendAt = &t
	}
}

// Validate checks a draft: every error at once, each naming its field
// (templates with line and column). now bounds send_at.
func Validate(d Draft, now time.Time) (*Compiled, error) {
	var errs []letter.FieldError
	add := func(field, msg string) { errs = append(errs, letter.FieldError{Field: field, Message: msg}) }
	if d.Name == "" {
		add("name", "is required")
	} else if len([]rune(d.Name)) > MaxName {
		add("name", fmt.Sprintf("is too long: at most %d characters", MaxName))
	}
	c := &Compiled{Subject: map[string]*Template{}, Body: map[string]*Template{}}
	parse := func(lang, subject, body string) {
		if t, err := Parse("subject_"+lang, subject, true); err != nil {
			errs = append(errs, err.(*campaign.ValidationError).Errors...)
		} else {
			c.Subject[lang] = t
		}
		if t, err := Parse("body_"+lang, body, false); err != nil {
			errs = append(errs, err.(*campaign.ValidationError).Errors...)
		} else {
			c.Body[lang] = t
		}
	}
	parse("en", d.SubjectEN, d.BodyEN)
	if d.SubjectES != "" || d.BodyES != "" {
		parse("es", d.SubjectES, d.BodyES)
	}
	if d.SendAt != nil && d.SendAt.Before(now.Add(-time.Minute)) {
		add("send_at", "is in the past; leave it empty to send now")
	}
	if d.SendAt != nil && d.SendAt.After(now.AddDate(1, 0, 0)) {
		add("send_at", "is more than a year away")
	}
	if d.Segment.CampaignID < 0 {
		add("segment.campaign_id", "must be a campaign id")
	}
	for i, st := range d.Segment.States {
		if _, ok := usstate.Lookup(st); !ok {
			add(fmt.Sprintf("segment.states[%d]", i), fmt.Sprintf("%q is not a state or territory code such as AZ", st))
		}
	}
	if len(errs) > 0 {
		return nil, &campaign.ValidationError{Errors: errs, Object: "mailing"}
	}
	return c, nil
}

// Compile parses a stored mailing's templates.
func Compile(m store.Mailing) (*Compiled, error) {
	return Validate(Draft{Name: m.Name, SubjectEN: m.SubjectEN, BodyEN: m.BodyEN, SubjectES: m.SubjectES, BodyES: m.BodyES}, time.Now())
}

// Row is the stored form of a draft.
func (d Draft) Row() (store.Mailing, error) {
	seg, err := json.Marshal(d.Segment)
	if err != nil {
		return store.Mailing{}, err
	}
	m := store.Mailing{Name: d.Name, SubjectEN: d.SubjectEN, BodyEN: d.BodyEN, SubjectES: d.SubjectES, BodyES: d.BodyES,
		Segment: string(seg), Status: store.MailingScheduled, SendAt: d.SendAt}
	if d.CampaignID != 0 {
		id := d.CampaignID
		m.CampaignID = &id
	}
	return m, nil
}

// SegmentOf reads a stored mailing's segment.
func SegmentOf(m store.Mailing) (Segment, error) {
	var s Segment
	if m.Segment == "" {
		return s, nil
	}
	err := json.Unmarshal([]byte(m.Segment), &s)
	return s, err
}

// Streams are the recipient streams of a mailing, in sending order.
func (c *Compiled) Streams() []string {
	if c.Spanish() {
		return []string{store.StreamEN, store.StreamES}
	}
	return []string{store.StreamAll}
}

// langOf is the version a stream gets.
func (c *Compiled) langOf(stream string) string {
	if stream == store.StreamES && c.Spanish() {
		return "es"
	}
	return "en"
}

// Inserter is the part of the River client that enqueues in a transaction.
type Inserter interface {
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Enqueue is a store.MailingEnqueue that inserts the mailing's job, due
// at its send_at (now when it has none).
func Enqueue(c Inserter) store.MailingEnqueue {
	return func(ctx context.Context, tx *sql.Tx, m store.Mailing) error {
		p := river.InsertManyParams{Args: Args{MailingID: m.ID}}
		if m.SendAt != nil {
			opts := Args{}.InsertOpts()
			opts.ScheduledAt = *m.SendAt
			p.InsertOpts = &opts
		}
		_, err := c.InsertManyTx(ctx, tx, []river.InsertManyParams{p})
		return err
	}
}
