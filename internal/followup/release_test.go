package followup_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// A statistics release schedule is claimed once per occurrence by the
// tick, publishes through store.CreateRelease, and skips (no error, no
// release) when there is nothing to publish or the change is too small.
func TestStatsReleaseScheduleRunsOncePerOccurrence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dropReleaseSchedules(t, st)
		clk := &clock{t: utc("2026-03-02T10:00:00Z")}
		v, err := followup.Validate(followup.Input{Kind: followup.KindStatsRelease, Cron: "0 6 * * 1", TimeZone: "America/Chicago"}, clk.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if v.CampaignID != nil || !v.NextRunAt.Equal(utc("2026-03-02T12:00:00Z")) {
			t.Fatalf("validated = %+v", v)
		}
		sc, err := st.CreateSchedule(ctx, store.Schedule{Kind: followup.KindStatsRelease, Cron: v.Spec.Expr, TimeZone: v.Spec.Zone.String(),
			Params: v.Params, NextRunAt: v.NextRunAt, Enabled: true}, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		j := &jobsSpy{}
		r := &followup.Runner{Store: st, Jobs: j, Now: clk.Now}
		count := func() int {
			t.Helper()
			rs, err := st.Releases(ctx, 1000)
			if err != nil {
				t.Fatal(err)
			}
			return len(rs)
		}
		base := count() // the PostgreSQL database is shared by the package's tests
		releases := func() int { return count() - base }
		run := func() int {
			t.Helper()
			n := 0
			for _, a := range j.take() {
				ra, ok := a.(followup.RunArgs)
				if !ok || ra.ScheduleID != sc.ID {
					continue // another test's, in the shared PostgreSQL database
				}
				if err := r.Run(ctx, ra); err != nil {
					t.Fatal(err)
				}
				n++
			}
			return n
		}
		clk.Add(2*time.Hour - time.Minute) // 05:59 in Chicago
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if n := run(); n != 0 {
			t.Fatalf("ran %d times before it was due", n)
		}
		// Due with no case records: skipped, nothing published.
		clk.Add(time.Minute)
		for i := 0; i < 3; i++ {
			if _, err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := run(); n != 1 || releases() != 0 {
			t.Fatalf("first occurrence ran %d times, %d releases", n, releases())
		}
		// A week later, with records: one release.
		if _, err := st.CreateCases(ctx, casestats.Synthetic(2000, 7), store.ImportOptions{Synthetic: true}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		clk.Add(7 * 24 * time.Hour)
		for i := 0; i < 2; i++ {
			if _, err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := run(); n != 1 || releases() != 1 {
			t.Fatalf("second occurrence ran %d times, %d releases", n, releases())
		}
		got, _ := st.ScheduleByID(ctx, sc.ID)
		if !got.NextRunAt.Equal(utc("2026-03-16T11:00:00Z")) { // 06:00 CDT after the DST change
			t.Errorf("next run = %s", got.NextRunAt)
		}
		// Real records added to the demonstration ones: refused (mixed
		// data), so skipped, not retried; nothing published.
		var real []int64
		for r := range casestats.Synthetic(3, 99) {
			id, err := st.CreateCase(ctx, r, store.Audit{Action: "test"})
			if err != nil {
				t.Fatal(err)
			}
			real = append(real, id)
		}
		clk.Add(7 * 24 * time.Hour)
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if n := run(); n != 1 || releases() != 1 {
			t.Fatalf("third occurrence ran %d times, %d releases", n, releases())
		}
		// Leave the shared PostgreSQL database as found.
		for _, id := range real {
			if err := st.DeleteCase(ctx, id, store.Audit{Action: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.DeleteSyntheticCases(ctx, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteSchedule(ctx, sc.ID, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestStatsReleaseScheduleValidationAndSeed(t *testing.T) {
	now := utc("2026-03-01T00:00:00Z")
	if _, err := followup.Validate(followup.Input{Kind: followup.KindStatsRelease, Cron: "@weekly", CampaignID: 7}, now, func(int64) bool { return true }); err == nil ||
		!strings.Contains(err.Error(), "not per campaign") {
		t.Errorf("release with a campaign: %v", err)
	}
	if _, err := followup.Validate(followup.Input{Kind: followup.KindStatsRelease, Cron: "0 6 * *"}, now, nil); err == nil || !strings.Contains(err.Error(), "cron") {
		t.Errorf("bad cron: %v", err)
	}
	for in, want := range map[string][2]string{
		"CRON_TZ=America/Chicago 0 6 * * 1": {"0 6 * * 1", "America/Chicago"},
		"  @weekly ":                        {"@weekly", ""},
		"TZ=UTC @daily":                     {"@daily", "UTC"},
	} {
		if e, z := followup.SplitCronTZ(in); e != want[0] || z != want[1] {
			t.Errorf("SplitCronTZ(%q) = %q, %q", in, e, z)
		}
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dropReleaseSchedules(t, st)
		if ok, err := followup.SeedStatsRelease(ctx, st, "", now); ok || err != nil {
			t.Fatalf("empty seed: %v %v", ok, err)
		}
		if _, err := followup.SeedStatsRelease(ctx, st, "CRON_TZ=Mars/Base 0 6 * * 1", now); err == nil {
			t.Fatal("bad zone seeded")
		}
		for i := 0; i < 3; i++ { // every start: one schedule
			ok, err := followup.SeedStatsRelease(ctx, st, "CRON_TZ=America/Chicago 0 6 * * 1", now)
			if err != nil || ok != (i == 0) {
				t.Fatalf("seed %d: %v %v", i, ok, err)
			}
		}
		// Staff changed it: the environment does not override it.
		list, _ := st.Schedules(ctx, 0)
		var rel []store.Schedule
		for _, sc := range list {
			if sc.Kind == followup.KindStatsRelease {
				rel = append(rel, sc)
			}
		}
		if len(rel) != 1 || rel[0].Cron != "0 6 * * 1" || rel[0].TimeZone != "America/Chicago" || rel[0].CampaignID != nil ||
			!rel[0].NextRunAt.Equal(utc("2026-03-02T12:00:00Z")) {
			t.Fatalf("seeded = %+v", rel)
		}
		rel[0].Cron = "@monthly"
		if err := st.UpdateSchedule(ctx, rel[0], store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		if ok, err := followup.SeedStatsRelease(ctx, st, "@weekly", now); ok || err != nil {
			t.Fatalf("seed over a staff schedule: %v %v", ok, err)
		}
		if got, _ := st.ScheduleByID(ctx, rel[0].ID); got.Cron != "@monthly" {
			t.Errorf("staff schedule overwritten: %q", got.Cron)
		}
	})
}

// dropReleaseSchedules removes statistics release schedules left in the
// PostgreSQL database the package's tests share.
func dropReleaseSchedules(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	list, err := st.Schedules(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range list {
		if sc.Kind == followup.KindStatsRelease {
			if err := st.DeleteSchedule(ctx, sc.ID, store.Audit{Action: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A scheduled release that would only show changes too small to publish
// (here four states going from 17 to 18 cases while the total stays at
// 235) is skipped with the reason in the log, not published and not an
// error.
func TestStatsReleaseScheduleSkipsTooSmallAChange(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	var logs strings.Builder
	r := &followup.Runner{Store: st, Jobs: &jobsSpy{}, Now: time.Now, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	add := func(n int, state, outcome string) {
		t.Helper()
		var rs []casestats.Record
		for range n { // alike but for state and outcome
			r := casestats.Record{Quarter: "2018-Q2", State: state, ChildAgeBracket: "5-9", FacilityType: "cbp",
				FormPresented: "none", FormPremarked: "no", FormEnglishOnly: "no", LanguageBarrier: "no", ToldNoRights: "no",
				ThreatenedPermanentSeparation: "no", CredibleFear: "negative", AsylumClaim: "denied", Outcome: outcome}
			rs = append(rs, r)
		}
		if _, err := st.CreateCases(ctx, slices.Values(rs), store.ImportOptions{}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	add(165, "TX", "reunified")
	states := map[string]string{"AZ": "separated", "NM": "separated", "CA": "reunified", "FL": "reunified"}
	for s, o := range states {
		add(17, s, o)
	}
	if err := r.StatsRelease(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := st.LatestRelease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for s, o := range states {
		add(1, s, o)
	}
	if err := r.StatsRelease(ctx); err != nil {
		t.Fatal(err)
	}
	if latest, _ := st.LatestRelease(ctx); latest.ID != first.ID {
		t.Fatalf("published release %d", latest.ID)
	}
	want := fmt.Sprintf("too close to release #%d: every count that changed would have to be held back", first.ID)
	if !strings.Contains(logs.String(), "scheduled statistics release skipped") || !strings.Contains(logs.String(), want) {
		t.Fatalf("log: %s", logs.String())
	}
}
