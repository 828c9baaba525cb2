// Package followup runs what is scheduled: cron schedules kept in the
// database (campaign launch and close, delivery waves, organizers' weekly
// digest, refresh of the Senate CWC office list, statistics releases)
// woken by one River periodic job that ticks every minute on the elected
// leader, and the follow-ups after delivery (supporter survey, second
// letter to offices that did not reply, written as a real letter for the
// delivery worker, a reminder to confirm a submission).
//
// A schedule is due when next_run_at <= now. The tick claims each due
// schedule with a conditional UPDATE (id = ? AND next_run_at = the value
// read) that moves next_run_at to the next future occurrence, in the same
// transaction that enqueues the work job: a restart neither skips a due
// run nor runs it twice, and when the process was down across several
// occurrences the schedule runs once and continues from the next future
// one.
package followup

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultTimeZone is used when a schedule names none.
const DefaultTimeZone = "America/New_York"

// Spec is a parsed cron expression in its time zone.
type Spec struct {
	Expr string
	Zone *time.Location
	s    cron.Schedule
}

// ErrTimeZone is wrapped by ParseSpec's refusal of the time zone (rather
// than of the expression), so that forms and the API name the right field.
var ErrTimeZone = errors.New("unknown time zone")

// ParseSpec validates a cron expression (five fields, or a descriptor such
// as @weekly or @every 1h) in an IANA time zone. The reason is in the
// error.
func ParseSpec(expr, tz string) (Spec, error) {
	expr = strings.TrimSpace(expr)
	if tz = strings.TrimSpace(tz); tz == "" {
		tz = DefaultTimeZone
	}
	if expr == "" {
		return Spec{}, errors.New("the schedule is empty: write five fields (minute hour day-of-month month day-of-week) or a descriptor such as @weekly")
	}
	if strings.HasPrefix(expr, "CRON_TZ=") || strings.HasPrefix(expr, "TZ=") {
		return Spec{}, errors.New("put the time zone in the time zone field, not in the expression")
	}
	if len(expr) > 200 {
		return Spec{}, errors.New("the schedule is too long")
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		return Spec{}, timeZoneError{tz}
	}
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return Spec{}, fmt.Errorf("%q is not a valid schedule: %v", expr, err)
	}
	sp := Spec{Expr: expr, Zone: loc, s: s}
	// A schedule that never fires (February 30th) is refused.
	if sp.Next(time.Now()).IsZero() {
		return Spec{}, fmt.Errorf("%q never happens", expr)
	}
	return sp, nil
}

// Next is the first occurrence strictly after t, or zero if none within
// five years. When clocks fall back (America/New_York 2026-11-01) a wall
// time in the repeated hour happens twice; a schedule at fixed times runs
// at the first, not again in the repeated hour (as Vixie cron does).
// When clocks spring forward, a time in the skipped hour runs at the
// first instant after it (robfig/cron's rule).
func (sp Spec) Next(t time.Time) time.Time {
	n := sp.s.Next(t.In(sp.Zone))
	if n.IsZero() {
		return n
	}
	if _, fixed := sp.s.(*cron.SpecSchedule); fixed {
		for i := 0; i < 100 && !n.IsZero() && repeated(n.In(sp.Zone)); i++ {
			n = sp.s.Next(n)
		}
	}
	return n.UTC()
}

// repeated tells whether t's wall-clock time already happened an hour
// earlier (the second pass through the hour clocks fall back over).
func repeated(t time.Time) bool {
	e := t.Add(-time.Hour)
	_, off1 := e.Zone()
	_, off2 := t.Zone()
	if off1 == off2 {
		return false
	}
	return e.Hour() == t.Hour() && e.Minute() == t.Minute() && e.Day() == t.Day()
}

// NextRuns lists the next n occurrences after t.
func (sp Spec) NextRuns(t time.Time, n int) []time.Time {
	var out []time.Time
	for i := 0; i < n; i++ {
		t = sp.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// NextAfter is the catch-up rule: the first occurrence after now, however
// many were missed since last.
func (sp Spec) NextAfter(now time.Time) time.Time { return sp.Next(now) }

// Plain says when t happens in the schedule's zone, in words:
// "Monday, March 9, 2026 at 10:00 AM EDT".
func (sp Spec) Plain(t time.Time) string {
	return t.In(sp.Zone).Format("Monday, January 2, 2006 at 3:04 PM MST")
}

// Describe lists the next n occurrences in plain words.
func (sp Spec) Describe(now time.Time, n int) []string {
	var out []string
	for _, t := range sp.NextRuns(now, n) {
		out = append(out, sp.Plain(t))
	}
	return out
}

// timeZoneError is ParseSpec's refusal of a time zone.
type timeZoneError struct{ tz string }

func (e timeZoneError) Error() string {
	return fmt.Sprintf("%q is not a known time zone (use a name such as America/New_York)", e.tz)
}

func (timeZoneError) Unwrap() error { return ErrTimeZone }
