package campaign

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/outreach-org/outreach/internal/plaintext"
)

// The action page takes at most DefaultIPLimit submissions per client IP
// per hour (and MaxPerEmailHour per email address): enough for a family
// sharing a connection, not for a script.
const (
	DefaultIPLimit  = 20
	MaxPerEmailHour = 5
)

// Limits of a tabling event.
const (
	MaxTablingIPLimit  = 2000               // submissions per IP per hour
	MaxTablingDuration = 7 * 24 * time.Hour // an event ends within a week
	MaxTablingNote     = 200
)

// TablingEvent raises a campaign's per-IP limit for a period: volunteers
// at a table collect letters on tablets behind one Wi-Fi, which the usual
// limit would stop after DefaultIPLimit letters an hour. It ends by itself
// at EndsAt (or earlier, at EndedAt, when staff end it).
type TablingEvent struct {
	ID         int64      `json:"id"`
	CampaignID int64      `json:"campaign_id"`
	StartsAt   time.Time  `json:"starts_at"`
	EndsAt     time.Time  `json:"ends_at"`
	IPLimit    int        `json:"ip_limit"`
	Note       string     `json:"note"`
	CreatedBy  int64      `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	EndedAt    *time.Time `json:"ended_at"`
}

// Until is when the event stops raising the limit: its end, or when staff
// ended it.
func (e TablingEvent) Until() time.Time {
	if e.EndedAt != nil && e.EndedAt.Before(e.EndsAt) {
		return *e.EndedAt
	}
	return e.EndsAt
}

// ActiveAt reports whether the event raises the limit at t.
func (e TablingEvent) ActiveAt(t time.Time) bool {
	return !t.Before(e.StartsAt) && t.Before(e.Until())
}

// State is "upcoming", "active" or "over" at t.
func (e TablingEvent) State(t time.Time) string {
	switch {
	case e.ActiveAt(t):
		return "active"
	case t.Before(e.StartsAt) && e.EndedAt == nil:
		return "upcoming"
	}
	return "over"
}

// ValidateTabling checks a new tabling event at now (after its times are
// read): a limit above the usual one and at most MaxTablingIPLimit, an end
// after its start and in the future, at most MaxTablingDuration long, and
// a short one-line note. Times are kept to the second, in UTC.
func ValidateTabling(e *TablingEvent, now time.Time) error {
	var errs []FieldError
	add := func(field, msg string) { errs = append(errs, FieldError{Field: field, Message: msg}) }
	e.Note = strings.TrimSpace(e.Note)
	e.StartsAt = e.StartsAt.UTC().Truncate(time.Second)
	e.EndsAt = e.EndsAt.UTC().Truncate(time.Second)
	switch {
	case e.IPLimit <= DefaultIPLimit:
		add("ip_limit", fmt.Sprintf("must be more than the usual limit of %d letters per connection per hour", DefaultIPLimit))
	case e.IPLimit > MaxTablingIPLimit:
		add("ip_limit", fmt.Sprintf("must be at most %d letters per connection per hour", MaxTablingIPLimit))
	}
	switch {
	case e.StartsAt.IsZero():
		add("starts_at", "is required")
	case e.EndsAt.IsZero():
		add("ends_at", "is required")
	case !e.EndsAt.After(e.StartsAt):
		add("ends_at", "must be after the start")
	case !e.EndsAt.After(now):
		add("ends_at", "must be in the future")
	case e.EndsAt.Sub(e.StartsAt) > MaxTablingDuration:
		add("ends_at", fmt.Sprintf("must be at most %d days after the start: an event ends by itself", int(MaxTablingDuration/(24*time.Hour))))
	}
	if utf8.RuneCountInString(e.Note) > MaxTablingNote {
		add("note", fmt.Sprintf("must be at most %d characters", MaxTablingNote))
	}
	if strings.IndexFunc(e.Note, func(r rune) bool { return unicode.IsControl(r) || plaintext.IsInvisible(r) }) >= 0 {
		add("note", "must be one line of plain text")
	}
	if len(errs) > 0 {
		return &ValidationError{Errors: errs, Object: "tabling event"}
	}
	return nil
}
