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

// The tick rebuilds all the response rollups (the dashboards read nothing
// else) when the last full refresh is RollupEvery old; every other tick
// refreshes only the offices whose letters changed since: a letter
// delivered, failed or written is on the dashboards after the next tick,
// without a full refresh. Above RollupOffices changed offices, the tick
// does one full refresh instead.
func TestTickRefreshesChangedOffices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, campaign.Live)
		now := time.Now().UTC()
		clk := &clock{t: now}
		r := &followup.Runner{Store: st, Jobs: &jobsSpy{}, Mailer: &mailSpy{}, Now: clk.Now, RollupEvery: 10 * time.Minute}
		ids := e.confirm(t, e.sub, now)
		// the package's PostgreSQL database is shared: other tests' ticks
		// refreshed the rollups moments ago
		if err := st.SetSetting(ctx, "tracking.rollups_refreshed_at", now.Add(-time.Hour).Format(time.RFC3339)); err != nil {
			t.Fatal(err)
		}
		type figures struct{ letters, delivered, failed int64 }
		got := func() figures {
			t.Helper()
			gs, err := st.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "office", CampaignID: e.camp.ID})
			if err != nil {
				t.Fatal(err)
			}
			var f figures
			for _, g := range gs {
				f.letters += g.Letters
				f.delivered += g.Delivered
				f.failed += g.Failed
			}
			return f
		}
		tick := func() {
			t.Helper()
			if _, err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		fullAt := func() time.Time {
			t.Helper()
			at, err := st.RollupsRefreshedAt(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
		if err := st.MarkSent(ctx, ids[0], "cwc", "p1", "", true, now); err != nil {
			t.Fatal(err)
		}
		tick()
		if f := got(); f != (figures{2, 1, 0}) {
			t.Fatalf("after the first (full) tick: %+v, want 2 letters, 1 delivered", f)
		}
		full := fullAt()
		if full.Before(now.Add(-time.Minute)) {
			t.Fatalf("the first tick did not refresh everything: refreshed at %v", full)
		}

		// one minute later: the letter delivered since is counted, by the
		// refresh of its office alone
		if err := st.MarkSent(ctx, ids[1], "cwc", "p2", "", true, now); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
		tick()
		if f := got(); f != (figures{2, 2, 0}) {
			t.Fatalf("one tick after a delivery: %+v, want 2 delivered", f)
		}
		if at := fullAt(); !at.Equal(full) {
			t.Fatalf("a tick within RollupEvery refreshed everything (%v, then %v)", full, at)
		}
		upd, err := st.RollupsUpdatedAt(ctx)
		if err != nil || upd.Before(full) {
			t.Fatalf("updated at %v (full %v), %v", upd, full, err)
		}

		// new letters and a failure, the next minute
		more := e.confirm(t, e.submission(t, "bo@example.org"), now)
		if err := st.MarkFailed(ctx, more[0], "cwc", "rejected", now); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
		tick()
		if f := got(); f != (figures{4, 2, 1}) {
			t.Fatalf("one tick after two new letters and a failure: %+v, want 4 letters, 2 delivered, 1 failed", f)
		}
		if at := fullAt(); !at.Equal(full) {
			t.Fatalf("a tick within RollupEvery refreshed everything (%v, then %v)", full, at)
		}

		// more changed offices than RollupOffices: one full refresh
		r.RollupOffices = 1
		old := time.Now().UTC().Add(-2 * time.Minute).Truncate(time.Second)
		if err := st.SetSetting(ctx, "tracking.rollups_refreshed_at", old.Format(time.RFC3339)); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkSent(ctx, more[1], "cwc", "p3", "", true, now); err != nil {
			t.Fatal(err)
		}
		e.confirm(t, e.submission(t, "cy@example.org"), now) // both offices
		clk.Add(time.Minute)
		tick()
		if f := got(); f != (figures{6, 3, 1}) {
			t.Fatalf("after the full refresh: %+v, want 6 letters, 3 delivered, 1 failed", f)
		}
		if at := fullAt(); !at.After(old) {
			t.Fatalf("two changed offices with RollupOffices 1: no full refresh (%v)", at)
		}
	})
}
