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
	"strconv"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/attribution"
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

// FilterParams are the query parameters a filter is read from.
var FilterParams = []string{"campaign", "state", "district", "source", "lang", "from", "to", "origin", "status", "not_replied", "not_written"}

// ParseFilter reads a supporter filter from query parameters (get answers
// one): campaign (id or slug), state (USPS codes, comma-separated),
// district (CA-12, AK-0, comma-separated), source, lang (en, es), from and
// to (joined on or after from, on or before to; YYYY-MM-DD, UTC), origin
// (action, import), status (subscribed, unsubscribed, all), not_replied
// and not_written (a campaign whose offices have not replied, which the
// supporter has not written to). An error is a *FieldError.
func ParseFilter(get func(string) string, campaigns Campaigns) (store.SupporterFilter, error) {
	var f store.SupporterFilter
	camp := func(field string) (int64, error) {
		ref := strings.TrimSpace(get(field))
		if ref == "" {
			return 0, nil
		}
		id, err := campaigns(ref)
		if errors.Is(err, store.ErrNotFound) {
			return 0, &FieldError{field, fmt.Sprintf("no campaign %q", ref)}
		}
		return id, err
	}
	var err error
	if f.CampaignID, err = camp("campaign"); err != nil {
		return f, err
	}
	if f.NotRepliedCampaignID, err = camp("not_replied"); err != nil {
		return f, err
	}
	if f.NotWrittenCampaignID, err = camp("not_written"); err != nil {
		return f, err
	}
	for _, s := range splitList(get("state")) {
		s = strings.ToUpper(s)
		if !usstate.Represented(s) {
			return f, &FieldError{"state", fmt.Sprintf("%q is not a state's USPS code", s)}
		}
		f.States = append(f.States, s)
	}
	for _, s := range splitList(get("district")) {
		d, err := ParseDistrict(s)
		if err != nil {
			return f, &FieldError{"district", err.Error()}
		}
		f.Districts = append(f.Districts, d)
	}
	if raw := strings.TrimSpace(get("source")); raw != "" {
		if f.Source = attribution.Token(raw); f.Source == "" {
			return f, &FieldError{"source", "a source code is up to 40 lowercase letters, digits, '.', '_' or '-'"}
		}
	}
	switch l := strings.ToLower(strings.TrimSpace(get("lang"))); l {
	case "", "en", "es":
		f.Lang = l
	default:
		return f, &FieldError{"lang", "must be en or es"}
	}
	day := func(field string) (time.Time, error) {
		raw := strings.TrimSpace(get(field))
		if raw == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse("2006-01-02", raw)
		if err != nil {
			return t, &FieldError{field, "must be a date like 2026-12-05"}
		}
		return t, nil
	}
	if f.From, err = day("from"); err != nil {
		return f, err
	}
	if f.To, err = day("to"); err != nil {
		return f, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // to is inclusive: joined before the next day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, &FieldError{"to", "must not be before from"}
	}
	switch o := strings.TrimSpace(get("origin")); o {
	case "", store.OriginAction, store.OriginImport:
		f.Origin = o
	default:
		return f, &FieldError{"origin", "must be action or import"}
	}
	switch s := strings.TrimSpace(get("status")); s {
	case "", store.SupportersSendable, store.SupportersLeft, store.SupportersAll:
		f.Status = s
	default:
		return f, &FieldError{"status", "must be subscribed, unsubscribed or all"}
	}
	return f, nil
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
