package followup_test

import (
	"context"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// The schedule form's plain choices become cron expressions, and those
// expressions read back as the same choices and as a sentence: both
// directions, for every choice.
func TestRecurrenceBothDirections(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	now := time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC)
	cases := []struct {
		r        followup.Recurrence
		cron     string
		once     bool
		sentence string
		p        followup.Params
	}{
		{followup.Recurrence{Repeat: followup.RepeatWeekly, Weekday: time.Monday, At: "9:00"}, "0 9 * * 1", false, "every Monday at 9:00", followup.Params{}},
		{followup.Recurrence{Repeat: followup.RepeatOnce, Date: "2027-01-12", At: "14:00"}, "0 14 12 1 *", true, "once, on 12 January at 14:00", followup.Params{Once: true}},
		{followup.Recurrence{Repeat: followup.RepeatDaily, At: "08:00"}, "0 8 * * *", false, "every day at 8:00 until the campaign closes", followup.Params{UntilClose: true}},
		{followup.Recurrence{Repeat: followup.RepeatWeekdays, At: "10:30"}, "30 10 * * 1-5", false, "every weekday (Monday to Friday) at 10:30", followup.Params{}},
		{followup.Recurrence{Repeat: followup.RepeatMonthly, Day: 1, At: "7:05"}, "5 7 1 * *", false, "on the 1st of every month at 7:05", followup.Params{}},
		{followup.Recurrence{Repeat: followup.RepeatWeekly, Weekday: time.Sunday, At: "23:59"}, "59 23 * * 0", false, "every Sunday at 23:59", followup.Params{}},
	}
	for _, c := range cases {
		expr, once, fe := c.r.Cron(now, ny)
		if fe != nil || expr != c.cron || once != c.once {
			t.Errorf("%+v → %q once=%v %v; want %q once=%v", c.r, expr, once, fe, c.cron, c.once)
			continue
		}
		if got := followup.Sentence(expr, c.p); got != c.sentence {
			t.Errorf("Sentence(%q) = %q; want %q", expr, got, c.sentence)
		}
		back := followup.RecurrenceOf(expr, once, ny, now)
		want := c.r
		want.At = padZero(want.At)
		if back != want {
			t.Errorf("RecurrenceOf(%q) = %+v; want %+v", expr, back, want)
		}
	}
	// Expressions the words cannot say stay cron, in the form and in the sentence.
	for expr, s := range map[string]string{
		"*/15 * * * *":  "cron: */15 * * * *",
		"0 9,17 * * *":  "cron: 0 9,17 * * *",
		"0 10 * * 1,3":  "every Monday and Wednesday at 10:00",
		"0 6 1 7 *":     "every year on 1 July at 6:00",
		"@daily":        "every day at 0:00",
		"0 9 15 * 1":    "cron: 0 9 15 * 1",
		"0 12 31 * *":   "on the 31st of every month at 12:00",
		"30 8 22 * *":   "on the 22nd of every month at 8:30",
		"0 9 * 1-3 1-5": "cron: 0 9 * 1-3 1-5",
	} {
		if got := followup.Sentence(expr, followup.Params{}); got != s {
			t.Errorf("Sentence(%q) = %q; want %q", expr, got, s)
		}
	}
	if r := followup.RecurrenceOf("*/15 * * * *", false, ny, now); r.Repeat != followup.RepeatCron || r.Expr != "*/15 * * * *" {
		t.Errorf("an interval read back as %+v", r)
	}
	if r := followup.RecurrenceOf("0 12 31 * *", false, ny, now); r.Repeat != followup.RepeatCron {
		t.Errorf("the 31st (not in every month) read back as %+v", r)
	}
	// Refusals name their field.
	for _, c := range []struct {
		r     followup.Recurrence
		field string
	}{
		{followup.Recurrence{Repeat: followup.RepeatDaily, At: "25:00"}, "at"},
		{followup.Recurrence{Repeat: followup.RepeatDaily, At: "9"}, "at"},
		{followup.Recurrence{Repeat: followup.RepeatMonthly, Day: 30, At: "9:00"}, "day"},
		{followup.Recurrence{Repeat: followup.RepeatWeekly, Weekday: 9, At: "9:00"}, "weekday"},
		{followup.Recurrence{Repeat: followup.RepeatOnce, Date: "12/01/2027", At: "9:00"}, "date"},
		{followup.Recurrence{Repeat: followup.RepeatOnce, Date: "2026-12-05", At: "9:00"}, "date"}, // 9:00 today in New York has passed
		{followup.Recurrence{Repeat: followup.RepeatOnce, Date: "2028-01-12", At: "9:00"}, "date"}, // more than a year ahead: cron would fire sooner
		{followup.Recurrence{Repeat: "hourly", At: "9:00"}, "repeat"},
	} {
		if _, _, fe := c.r.Cron(now, ny); fe[c.field] == "" {
			t.Errorf("%+v: no error on %q (%v)", c.r, c.field, fe)
		}
	}
	if expr, _, fe := (followup.Recurrence{Repeat: followup.RepeatOnce, Date: "2026-12-05", At: "11:00"}).Cron(now, ny); fe != nil || expr != "0 11 5 12 *" {
		t.Errorf("later today: %q %v", expr, fe)
	}
}

func padZero(at string) string {
	if len(at) == 4 {
		return "0" + at
	}
	return at
}

// A one-off schedule runs once and turns itself off; a schedule "until
// the campaign closes" stops, without running, once its campaign closed.
func TestOnceAndUntilClose(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		start := time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC)
		e := newEnv(t, st, campaign.Live)
		once := createSchedule(t, st, followup.Input{Kind: followup.KindWave, CampaignID: e.camp.ID, Cron: "0 11 5 12 *",
			Params: followup.Params{Once: true}}, start.Add(-time.Hour))
		daily := createSchedule(t, st, followup.Input{Kind: followup.KindWave, CampaignID: e.camp.ID, Cron: "0 10 * * *",
			Params: followup.Params{UntilClose: true}}, start.Add(-time.Hour))
		clk := &clock{t: start.Add(2 * time.Hour)} // 12:00 in New York: both due
		j := &jobsSpy{}
		r := &followup.Runner{Store: st, Jobs: j, Now: clk.Now}
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		runs := map[int64]int{}
		for _, a := range j.take() {
			if ra, ok := a.(followup.RunArgs); ok {
				runs[ra.ScheduleID]++
			}
		}
		if runs[once.ID] != 1 || runs[daily.ID] != 1 {
			t.Fatalf("first tick runs %v", runs)
		}
		if got, _ := st.ScheduleByID(ctx, once.ID); got.Enabled || got.LastRunAt == nil {
			t.Errorf("the one-off schedule after its run: enabled %v, last run %v", got.Enabled, got.LastRunAt)
		}
		if got, _ := st.ScheduleByID(ctx, daily.ID); !got.Enabled {
			t.Errorf("the daily schedule turned off while its campaign is live")
		}
		// A year later the one-off does not run again; the daily one stops
		// once the campaign closed.
		if _, err := st.SetCampaignStatus(ctx, e.camp.ID, "live", "closed", store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		clk.t = start.AddDate(1, 0, 1)
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := j.take(); len(got) != 0 {
			t.Errorf("runs after the one-off and after the close: %v", got)
		}
		if got, _ := st.ScheduleByID(ctx, daily.ID); got.Enabled {
			t.Errorf("the daily schedule still on after its campaign closed")
		}
	})
}
