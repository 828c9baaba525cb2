package store_test

import (
	"context"
	"testing"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/tracking"
)

// Every grouping of the tracking table that is not added up from the
// offices is answered from the rollups: a new entry on an existing
// dimension needs nothing in the store.
func TestEveryGroupingIsAnswered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		for _, g := range append([]tracking.Grouping{tracking.Total}, tracking.Groupings...) {
			if g.Keys != nil {
				continue
			}
			if _, err := s.ResponseMetrics(context.Background(), store.MetricsQuery{GroupBy: g.Name}); err != nil {
				t.Errorf("group_by %q: %v", g.Name, err)
			}
		}
	})
}
