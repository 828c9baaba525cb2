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

// The tick rebuilds the response rollups (the dashboards read nothing
// else) when the last full refresh is RollupEvery old, and not before:
// a letter delivered since shows on the dashboards within RollupEvery.
func TestTickRefreshesRollups(t *testing.T) {
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
		delivered := func() int64 {
			t.Helper()
			gs, err := st.ResponseMetrics(ctx, store.MetricsQuery{CampaignID: e.camp.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(gs) == 0 {
				return 0
			}
			return gs[0].Delivered
		}
		tick := func() {
			t.Helper()
			if _, err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.MarkSent(ctx, ids[0], "cwc", "p1", "", true, now); err != nil {
			t.Fatal(err)
		}
		tick()
		if got := delivered(); got != 1 {
			t.Fatalf("after the first tick: %d delivered in the rollups, want 1", got)
		}
		at, err := st.RollupsRefreshedAt(ctx)
		if err != nil || at.IsZero() {
			t.Fatalf("refreshed at %v, %v", at, err)
		}
		if err := st.MarkSent(ctx, ids[1], "cwc", "p2", "", true, now); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
		tick()
		if got := delivered(); got != 1 {
			t.Fatalf("a tick within RollupEvery refreshed the rollups (%d delivered)", got)
		}
		clk.Add(10 * time.Minute)
		tick()
		if got := delivered(); got != 2 {
			t.Fatalf("after RollupEvery: %d delivered in the rollups, want 2", got)
		}
	})
}
