package campaign

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateTabling(t *testing.T) {
	now := time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC)
	ok := TablingEvent{StartsAt: now, EndsAt: now.Add(8 * time.Hour), IPLimit: 200, Note: "  Union hall  "}
	if err := ValidateTabling(&ok, now); err != nil || ok.Note != "Union hall" {
		t.Fatalf("a good event: %v %q", err, ok.Note)
	}
	cases := []struct {
		name  string
		edit  func(*TablingEvent)
		field string
		msg   string
	}{
		{"the usual limit", func(e *TablingEvent) { e.IPLimit = DefaultIPLimit }, "ip_limit", "more than the usual limit of 20"},
		{"too high", func(e *TablingEvent) { e.IPLimit = MaxTablingIPLimit + 1 }, "ip_limit", "at most 2000"},
		{"no end", func(e *TablingEvent) { e.EndsAt = time.Time{} }, "ends_at", "is required"},
		{"ends before it starts", func(e *TablingEvent) { e.EndsAt = e.StartsAt.Add(-time.Minute) }, "ends_at", "after the start"},
		{"over already", func(e *TablingEvent) { e.StartsAt, e.EndsAt = now.Add(-3*time.Hour), now.Add(-time.Hour) }, "ends_at", "in the future"},
		{"longer than a week", func(e *TablingEvent) { e.EndsAt = e.StartsAt.Add(MaxTablingDuration + time.Second) }, "ends_at", "at most 7 days"},
		{"long note", func(e *TablingEvent) { e.Note = strings.Repeat("a", MaxTablingNote+1) }, "note", "at most 200"},
		{"two lines", func(e *TablingEvent) { e.Note = "a\nb" }, "note", "one line"},
		{"bidi override", func(e *TablingEvent) { e.Note = "a\u202eb" }, "note", "one line"},
	}
	for _, tc := range cases {
		e := TablingEvent{StartsAt: now, EndsAt: now.Add(8 * time.Hour), IPLimit: 200}
		tc.edit(&e)
		err := ValidateTabling(&e, now)
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.For(tc.field)) != 1 || !strings.Contains(ve.For(tc.field)[0].Message, tc.msg) {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "the tabling event was not saved: ") {
			t.Errorf("%s: %q", tc.name, err)
		}
	}
	// States
	e := TablingEvent{StartsAt: now, EndsAt: now.Add(time.Hour), IPLimit: 50}
	for at, want := range map[time.Duration]string{-time.Second: "upcoming", 0: "active", time.Hour - time.Second: "active", time.Hour: "over"} {
		if got := e.State(now.Add(at)); got != want {
			t.Errorf("state at %v = %s, want %s", at, got, want)
		}
	}
	ended := now.Add(10 * time.Minute)
	e.EndedAt = &ended
	if e.State(now.Add(20*time.Minute)) != "over" || !e.ActiveAt(now.Add(5*time.Minute)) {
		t.Error("an event ended early")
	}
}
