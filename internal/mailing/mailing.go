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
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/letter"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supporters"
)

// Segment chooses the supporters a mailing goes to: the filters of the
// supporter list (supporters.ParseFilter, store.SupporterFilter) as JSON,
// among those who can be emailed (confirmed opt-in, not unsubscribed,
// not suppressed). The same filters on the list count the same people.
type Segment struct {
	// CampaignID: joined through this campaign or wrote in it (0: any).
	CampaignID int64 `json:"campaign_id,omitempty"`
	// States: the supporter lives in one of these (two-letter codes).
	States []string `json:"states,omitempty"`
	// Districts: the supporter's House district is one of these ("CA-12",
	// "AK-0"), each in States when States is set.
	Districts []string `json:"districts,omitempty"`
	// Committee: the supporter lives in a state of one of the members of
	// this committee or subcommittee ("SSJU", "HSJU01"), as the
	// congressional data has it when the segment is counted or sent.
	Committee string `json:"committee,omitempty"`
	// Source: joined through a link with this source code.
	Source string `json:"source,omitempty"`
	// Lang: reads en or es.
	Lang string `json:"lang,omitempty"`
	// JoinedFrom and JoinedTo (YYYY-MM-DD, UTC, both included) bound when
	// the supporter joined.
	JoinedFrom string `json:"joined_from,omitempty"`
	JoinedTo   string `json:"joined_to,omitempty"`
	// Origin: "action" (the double opt-in of the action flow) or "import".
	Origin string `json:"origin,omitempty"`
	// NotRepliedCampaignID: the House office of the supporter's district
	// has not replied to this campaign.
	NotRepliedCampaignID int64 `json:"not_replied_campaign_id,omitempty"`
	// NotWrittenCampaignID: the supporter has not written in this
	// campaign.
	NotWrittenCampaignID int64 `json:"not_written_campaign_id,omitempty"`
}

// SegmentFields maps the list's filter parameters to a segment's JSON
// fields.
var SegmentFields = map[string]string{"campaign": "campaign_id", "state": "states", "district": "districts", "committee": "committee",
	"source": "source", "lang": "lang", "from": "joined_from", "to": "joined_to", "origin": "origin",
	"not_replied": "not_replied_campaign_id", "not_written": "not_written_campaign_id"}

// Param is the segment's value for one of the list's filter parameters
// (supporters.FilterParams), as the list's query would carry it.
func (s Segment) Param(name string) string {
	id := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	switch name {
	case "campaign":
		return id(s.CampaignID)
	case "state":
		return strings.Join(s.States, ",")
	case "district":
		return strings.Join(s.Districts, ",")
	case "committee":
		return s.Committee
	case "source":
		return s.Source
	case "lang":
		return s.Lang
	case "from":
		return s.JoinedFrom
	case "to":
		return s.JoinedTo
	case "origin":
		return s.Origin
	case "not_replied":
		return id(s.NotRepliedCampaignID)
	case "not_written":
		return id(s.NotWrittenCampaignID)
	}
	return "" // status: a segment is always the sendable supporters
}

// Values is the segment as the supporter list's query (/admin/supporters
// and GET /api/v1/supporters show the same people).
func (s Segment) Values() url.Values {
	v := url.Values{}
	for _, p := range supporters.FilterParams {
		if x := s.Param(p); x != "" {
			v.Set(p, x)
		}
	}
	return v
}

// Filter reads the segment as the list's filter, with the list's checks:
// campaigns finds a campaign by id (nil: ids are taken as they are),
// cong the committees and districts. Problems are field errors named
// "segment.<field>".
func (s Segment) Filter(campaigns supporters.Campaigns, cong supporters.Congress) (store.SupporterFilter, error) {
	if campaigns == nil {
		campaigns = func(ref string) (int64, error) { return strconv.ParseInt(ref, 10, 64) }
	}
	f, err := supporters.ParseFilter(s.Param, campaigns, cong)
	var fes supporters.FieldErrors
	if errors.As(err, &fes) {
		ve := &campaign.ValidationError{Object: "mailing"}
		for _, fe := range fes {
			ve.Errors = append(ve.Errors, letter.FieldError{Field: "segment." + SegmentFields[fe.Field], Message: fe.Reason})
		}
		return f, ve
	}
	return f, err
}

// Query is the store's recipient query for the segment's filter at
// cutoff.
func Query(f store.SupporterFilter, cutoff time.Time) store.RecipientQuery {
	return store.RecipientQuery{Filter: f, Cutoff: cutoff}
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
	seg := &d.Segment
	for i, st := range seg.States {
		seg.States[i] = strings.ToUpper(strings.TrimSpace(st))
	}
	for i, x := range seg.Districts {
		seg.Districts[i] = strings.ToUpper(strings.TrimSpace(x))
	}
	seg.Committee = strings.ToUpper(strings.TrimSpace(seg.Committee))
	for _, p := range []*string{&seg.Source, &seg.Lang, &seg.JoinedFrom, &seg.JoinedTo, &seg.Origin} {
		*p = strings.TrimSpace(*p)
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
// (templates with line and column). now bounds send_at. The segment is
// checked apart (Segment.Filter), against the campaigns and the
// congressional data.
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
