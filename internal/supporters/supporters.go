// Package supporters is the supporter list as staff use it: the filters
// of a search or a segment read from a query, the CSV import (with a
// consent column) and the CSV export. The list itself (the optins table)
// and its SQL are the store's; the web pages, the API and the command
// line call here so that they read filters and files the same way.
//
// Personal data (the address and name) stays sealed at rest, bound to the
// supporter's blind email index (action.OptInAAD): an import seals each
// row before it is stored, and only an export (or an admin's read) opens
// it.
package supporters

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/attribution"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/usstate"
)

// Keys seal and open the list's personal data and compute blind indexes
// (a *seal.Keys).
type Keys interface {
	Index(kind, value string) string
	SealJSON(v any, aad string) (string, error)
	OpenJSON(sealed, aad string, v any) error
}

// PII is what the list keeps sealed about a supporter.
type PII struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
}

// Open opens a supporter's personal data.
func Open(k Keys, sp store.Supporter) (PII, error) {
	var p PII
	err := k.OpenJSON(sp.Sealed, action.OptInAAD(sp.EmailIndex), &p)
	return p, err
}

// Campaigns finds a campaign's id from its id or slug (store.ErrNotFound
// when there is none).
type Campaigns func(ref string) (int64, error)

// FieldError is a filter or a row value that cannot be used, naming the
// field.
type FieldError struct {
	Field, Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// FieldErrors are every filter that cannot be used, one per field, in
// FilterParams order. errors.As finds the first *FieldError.
type FieldErrors []*FieldError

func (es FieldErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

func (es FieldErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// FilterParams are the query parameters a filter is read from.
var FilterParams = []string{"campaign", "state", "district", "committee", "source", "lang", "from", "to", "origin", "status", "not_replied", "not_written"}

// Congress answers the filters that need the congressional data: the
// states of a committee's members, and whether a House district exists.
// DirectoryOf adapts a *congress.Directory.
type Congress interface {
	// CommitteeStates is the committee's name and the states of its
	// members, sorted (ok false: no such committee).
	CommitteeStates(id string) (name string, states []string, ok bool)
	// District tells whether the House has a seat for d.
	District(d store.District) bool
}

// DirectoryOf is the Congress of a directory.
func DirectoryOf(dir *congress.Directory) Congress { return directory{dir} }

type directory struct{ dir *congress.Directory }

func (d directory) CommitteeStates(id string) (string, []string, bool) {
	c, ok := d.dir.Committee(id)
	if !ok {
		return "", nil, false
	}
	var states []string
	for _, s := range c.Seats {
		if m, ok := d.dir.Member(s.BioguideID); ok && !slices.Contains(states, m.State) {
			states = append(states, m.State)
		}
	}
	slices.Sort(states)
	return c.Name, states, true
}

func (d directory) District(x store.District) bool {
	_, err := d.dir.ForDistrict(congress.District{State: x.State, Number: x.Number})
	return err == nil
}

// ParseFilter reads a supporter filter from query parameters (get answers
// one): campaign (id or slug), state (USPS codes, comma-separated),
// district (CA-12, AK-0, comma-separated; in the states given, when
// given), committee (a committee's id such as SSJU or HSJU: supporters in
// the states of its members), source, lang (en, es), from and to (joined
// on or after from, on or before to; YYYY-MM-DD, UTC), origin (action,
// import), status (subscribed, unsubscribed, all), not_replied and
// not_written (a campaign whose offices have not replied, which the
// supporter has not written to). cong checks committees and districts
// (nil: a committee cannot be used, and districts are checked for their
// form only). The error, when filters cannot be used, is FieldErrors.
func ParseFilter(get func(string) string, campaigns Campaigns, cong Congress) (store.SupporterFilter, error) {
	var f store.SupporterFilter
	var errs FieldErrors
	bad := func(field, reason string) { errs = append(errs, &FieldError{field, reason}) }
	var fatal error
	camp := func(field string) int64 {
		ref := strings.TrimSpace(get(field))
		if ref == "" {
			return 0
		}
		id, err := campaigns(ref)
		if errors.Is(err, store.ErrNotFound) {
			bad(field, fmt.Sprintf("no campaign %q", ref))
		} else if err != nil && fatal == nil {
			fatal = err
		}
		return id
	}
	f.CampaignID = camp("campaign")
	for _, s := range splitList(get("state")) {
		s = strings.ToUpper(s)
		if !usstate.Represented(s) {
			bad("state", fmt.Sprintf("%q is not a state's USPS code", s))
			break
		}
		f.States = append(f.States, s)
	}
	for _, s := range splitList(get("district")) {
		d, err := ParseDistrict(s)
		switch {
		case err != nil:
			bad("district", err.Error())
		case len(f.States) > 0 && !slices.Contains(f.States, d.State):
			bad("district", fmt.Sprintf("%s is not in the states chosen (%s): choose its state too, or leave the state empty", strings.TrimSpace(s), strings.Join(f.States, ", ")))
		case cong != nil && !cong.District(d):
			bad("district", fmt.Sprintf("%s has no House seat: %s", strings.ToUpper(strings.TrimSpace(s)), seatsHint(d.State)))
		default:
			f.Districts = append(f.Districts, d)
			continue
		}
		break
	}
	if id := strings.ToUpper(strings.TrimSpace(get("committee"))); id != "" {
		if cong == nil {
			bad("committee", "the congressional data is not loaded: committees cannot be used")
		} else if _, states, ok := cong.CommitteeStates(id); !ok {
			bad("committee", fmt.Sprintf("no committee %q: use an id such as SSJU (Senate Judiciary) or HSJU (House Judiciary)", id))
		} else {
			f.Committee, f.CommitteeStates = id, states
		}
	}
	if raw := strings.TrimSpace(get("source")); raw != "" {
		if f.Source = attribution.Token(raw); f.Source == "" {
			bad("source", "a source code is up to 40 lowercase letters, digits, '.', '_' or '-'")
		}
	}
	switch l := strings.ToLower(strings.TrimSpace(get("lang"))); l {
	case "", "en", "es":
		f.Lang = l
	default:
		bad("lang", "must be en or es")
	}
	day := func(field string) time.Time {
		raw := strings.TrimSpace(get(field))
		if raw == "" {
			return time.Time{}
		}
		t, err := time.Parse("2006-01-02", raw)
		if err != nil {
			bad(field, "must be a date like 2026-12-05")
		}
		return t
	}
	f.From, f.To = day("from"), day("to")
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // to is inclusive: joined before the next day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		bad("to", "must not be before from")
	}
	switch o := strings.TrimSpace(get("origin")); o {
	case "", store.OriginAction, store.OriginImport:
		f.Origin = o
	default:
		bad("origin", "must be action or import")
	}
	switch s := strings.TrimSpace(get("status")); s {
	case "", store.SupportersSendable, store.SupportersLeft, store.SupportersAll:
		f.Status = s
	default:
		bad("status", "must be subscribed, unsubscribed or all")
	}
	f.NotRepliedCampaignID = camp("not_replied")
	f.NotWrittenCampaignID = camp("not_written")
	if fatal != nil {
		return f, fatal
	}
	if len(errs) > 0 {
		return f, errs
	}
	return f, nil
}

// seatsHint says which districts a state has.
func seatsHint(state string) string {
	return fmt.Sprintf("%s's districts are numbered from 1 (0 for a state with one seat)", usstate.Name(state))
}

// ParseDistrict reads a House district: "CA-12", "AK-0" (at-large; "AK-AL"
// too).
func ParseDistrict(s string) (store.District, error) {
	st, num, ok := strings.Cut(strings.ToUpper(strings.TrimSpace(s)), "-")
	if !ok || !usstate.Represented(st) {
		return store.District{}, fmt.Errorf("%q is not a district like CA-12", s)
	}
	if num == "AL" {
		return store.District{State: st}, nil
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 99 {
		return store.District{}, fmt.Errorf("%q is not a district like CA-12", s)
	}
	return store.District{State: st, Number: n}, nil
}

// DistrictString writes a district as ParseDistrict reads it ("" when
// unknown).
func DistrictString(state string, n *int) string {
	if n == nil || state == "" {
		return ""
	}
	return state + "-" + strconv.Itoa(*n)
}

// Status names a supporter's status as the filters do.
func Status(sp store.Supporter) string {
	if sp.Sendable() {
		return store.SupportersSendable
	}
	return store.SupportersLeft
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
