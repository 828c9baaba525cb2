// Package campaign is the domain of advocacy campaigns: a call to action
// in English and Spanish with its oversight-request letter (a subject-line
// template, a body template and the organization's statement), its targets
// (House, Senate or both), its Library of Congress topic for CWC, its
// status and schedule, and the immutable versions of its letter.
//
// It knows nothing of HTTP or SQL: Validate says what is wrong with a
// campaign as field errors (with line and column for templates), Compile
// turns the letter into parsed templates, and Compiled.Preview renders the
// exact subject and body one member's office would receive. The store
// persists campaigns and versions; the web package maps ValidationError to
// 422 (409 when Conflict is set).
package campaign

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/letter"
)

// Status is where a campaign stands. Only a live campaign accepts
// supporters' letters (delivery is another package's concern).
type Status string

// The statuses, in their usual order.
const (
	Draft     Status = "draft"
	Scheduled Status = "scheduled"
	Live      Status = "live"
	Paused    Status = "paused"
	Closed    Status = "closed"
)

// Statuses lists every status in the order forms show them.
var Statuses = []Status{Draft, Scheduled, Live, Paused, Closed}

// transitions says which statuses a campaign may move to from each status
// (staying put is always allowed). Once letters may have gone out (live,
// paused, closed) a campaign cannot become a draft or scheduled again, so
// the record of what was sent under which status stays truthful. A closed
// campaign can be reopened only as paused, to be looked at before it goes
// live again.
var transitions = map[Status][]Status{
	Draft:     {Scheduled, Live, Paused, Closed},
	Scheduled: {Draft, Live, Paused, Closed},
	Live:      {Paused, Closed},
	Paused:    {Live, Closed},
	Closed:    {Paused},
}

// ParseStatus validates a status name.
func ParseStatus(s string) (Status, bool) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// CanBecome reports whether a campaign in status s may be moved to next.
func (s Status) CanBecome(next Status) bool {
	if s == next {
		return true
	}
	for _, t := range transitions[s] {
		if t == next {
			return true
		}
	}
	return false
}

// Next lists the statuses s may move to, s itself first.
func (s Status) Next() []Status {
	return append([]Status{s}, transitions[s]...)
}

// hasBeenPublic reports whether a campaign in this status may have been
// seen by supporters (its slug is then part of links people hold).
func (s Status) hasBeenPublic() bool { return s == Live || s == Paused || s == Closed }

// Kind is who writes a campaign's letters.
type Kind string

// The kinds of campaign.
const (
	// Constituent: each supporter writes to their own members (CWC,
	// email, packet). The default.
	Constituent Kind = "constituent"
	// SignOn: one letter, its text fixed by staff, from the organizations
	// that sign on, to committee offices (chair and ranking member, every
	// member of a committee, or hand-picked offices). Never sent through
	// CWC, which takes mail only from a member's own constituents.
	SignOn Kind = "signon"
)

// Kinds lists the kinds in the order forms show them.
var Kinds = []Kind{Constituent, SignOn}

// ParseKind validates a kind name; "" is Constituent.
func ParseKind(s string) (Kind, bool) {
	switch Kind(s) {
	case "", Constituent:
		return Constituent, true
	case SignOn:
		return SignOn, true
	}
	return "", false
}

// Organizational reports whether the campaign's letter comes from
// organizations rather than constituents.
func (c Campaign) Organizational() bool { return c.Kind == SignOn }

// Campaign is one call to action with its current letter.
//
// Subject, Template and OrganizationStatement are the letter as of
// TemplateVersion. The organization's statement is kept apart from the
// letter body because CWC sends it as OrganizationStatement, while only
// what the supporter wrote goes in ConstituentMessage.
type Campaign struct {
	ID    int64
	Slug  string
	Title string
	// Kind is Constituent or SignOn ("" reads as Constituent); it cannot
	// change once the campaign has been public.
	Kind Kind
	// TitleES is the title Spanish readers see ("" shows Title).
	TitleES        string
	SummaryEN      string
	SummaryES      string
	CallToActionEN string
	CallToActionES string
	// Targets are the rules that choose the offices letters go to.
	Targets Targets
	// LOCTopic is one of LOCTopics (CWC LibraryOfCongressTopic).
	LOCTopic string
	Status   Status
	StartsAt *time.Time // optional; UTC
	EndsAt   *time.Time // optional; after StartsAt
	// Subject is the subject-line template; Template the letter body
	// template; OrganizationStatement the organization's own text (a
	// template too, which may quote statistics but not the supporter's
	// note). All three use the letter package's language.
	Subject               string
	Template              string
	OrganizationStatement string
	// SubjectES and TemplateES are a Spanish rendering of the letter, in
	// the same template language, shown to Spanish readers beside the
	// English letter the office receives (which stays in English). Empty
	// TemplateES: there is none, and the page says so.
	SubjectES  string
	TemplateES string
	// TemplateVersion is the number (1..n) of the version the three texts
	// above come from. On update it is the version the editor started
	// from (0: do not check); the store refuses the save with a conflict
	// when someone else saved a newer version meanwhile.
	TemplateVersion int
	// NoCitation turns off the citation line ("Figures: ORG statistics
	// release N of DATE, URL/stats") appended to letters that quote
	// figures. Letters quoting a synthetic release are cited regardless.
	NoCitation bool
	// CallScriptEN and CallScriptES are the call script (letter-package
	// templates with the member's fields and the statistics) supporters
	// read when they call their offices; "" when the campaign asks for no
	// calls. CallsOnly asks for calls instead of letters: the supporter
	// goes from the lookup straight to the calls, and the letter fields
	// may be empty.
	CallScriptEN string
	CallScriptES string
	CallsOnly    bool
	// EmbedOrigins are the sites (origins such as https://www.example.org)
	// allowed to show the action form in an iframe (/c/{slug}/embed);
	// empty: no site may frame it. Validate normalizes them.
	EmbedOrigins []string
	// Demo marks the demonstration campaign (/c/demo, seeded on a new
	// install): its letters only ever go to the outbox. Set by the seed,
	// not by staff.
	Demo bool
	// HeldReason is set (with HeldReleaseID, HeldAt) while the campaign's
	// letters are held because the latest statistics release does not
	// publish a figure the letter prints outside a stat_available guard;
	// the store sets and clears it, never staff.
	HeldReason    string
	HeldReleaseID *int64
	HeldAt        *time.Time
	CreatedBy     int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Version is one immutable saved state of a campaign's letter. Letters
// record the version they were rendered from.
type Version struct {
	CampaignID            int64
	Number                int // 1..n per campaign
	Subject               string
	Body                  string
	OrganizationStatement string
	CreatedBy             int64  // user id; 0 for the system
	CreatedByEmail        string // joined for display to staff
	CreatedAt             time.Time
}

// SameLetter reports whether c's letter texts equal v's, that is whether
// saving c would not make a new version.
func (c *Campaign) SameLetter(v Version) bool {
	return c.Subject == v.Subject && c.Template == v.Body && c.OrganizationStatement == v.OrganizationStatement
}

// FieldError is one refusal: Field names the input field ("title",
// "template", ...); Line and Column (1-based, columns in characters) point
// into templates and are 0 for other fields.
type FieldError = letter.FieldError

// ValidationError is returned when a campaign is refused. Nothing is
// saved when it is returned.
type ValidationError struct {
	Errors []FieldError `json:"field_errors"`
	// ValidFields and ValidStatKeys are set when a template was refused,
	// so the editor can say what may be used instead.
	ValidFields   []string `json:"valid_fields,omitempty"`
	ValidStatKeys []string `json:"valid_stat_keys,omitempty"`
	// Conflict is true when the input clashes with stored data rather than
	// being wrong in itself: the slug is taken, or someone else saved a
	// newer version of the letter since the editor loaded it.
	Conflict bool `json:"-"`
	// Object names what was refused when it is not the campaign itself
	// ("tabling event").
	Object string `json:"-"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	switch {
	case e.Object != "":
		b.WriteString("the " + e.Object + " was not saved: ")
	case e.Conflict:
		b.WriteString("the campaign conflicts with a saved one: ")
	default:
		b.WriteString("the campaign was not saved: ")
	}
	for i, fe := range e.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		if fe.Line > 0 {
			fmt.Fprintf(&b, "%s line %d column %d: %s", fe.Field, fe.Line, fe.Column, fe.Message)
		} else {
			b.WriteString(fe.Field + ": " + fe.Message)
		}
	}
	return b.String()
}

// For returns the errors about one field, in order.
func (e *ValidationError) For(field string) []FieldError {
	var out []FieldError
	for _, fe := range e.Errors {
		if fe.Field == field {
			out = append(out, fe)
		}
	}
	return out
}

// Messages maps each field with an error to its first message, for forms
// that show one line under each input ("line 3, column 14: ..." for
// template positions).
func (e *ValidationError) Messages() map[string]string {
	out := map[string]string{}
	for _, fe := range e.Errors {
		if _, ok := out[fe.Field]; ok {
			continue
		}
		if fe.Line > 0 {
			out[fe.Field] = fmt.Sprintf("Line %d, column %d: %s", fe.Line, fe.Column, fe.Message)
		} else {
			out[fe.Field] = fe.Message
		}
	}
	return out
}

// ErrSlugTaken is returned by the store when another campaign has the slug.
var ErrSlugTaken = errors.New("campaign: slug already in use")

// ErrStaleVersion is returned by the store when the letter was saved by
// someone else after the editor loaded the version it started from.
var ErrStaleVersion = errors.New("campaign: the letter was changed by someone else")

// AsValidation turns the store's ErrSlugTaken and ErrStaleVersion into a
// ValidationError naming the field, so forms and the API can show them
// like any other refusal; other errors pass through unchanged.
func AsValidation(err error) error {
	switch {
	case errors.Is(err, ErrSlugTaken):
		return &ValidationError{Conflict: true, Errors: []FieldError{{Field: "slug",
			Message: "is already used by another campaign; choose another"}}}
	case errors.Is(err, ErrStaleVersion):
		return &ValidationError{Conflict: true, Errors: []FieldError{{Field: "template",
			Message: "was saved by someone else after you opened it; your text is kept here: compare it with the latest version (Versions), then save again"}}}
	}
	return err
}
