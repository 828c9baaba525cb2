package store

import (
	"context"

	"gorm.io/gorm"

	"github.com/outreach-org/outreach/internal/tracking"
)

// MetricsSQL is the statement ResponseMetrics runs for q, for the
// benchmark's EXPLAIN.
func MetricsSQL(q MetricsQuery) (string, []any) {
	g, _ := tracking.Lookup(q.GroupBy)
	return metricsSQL(q, g.Dim)
}

// Tx is tx, for a test of what a failed commit returns.
func (s *Store) Tx(ctx context.Context, fn func(tx *gorm.DB) error) error { return s.tx(ctx, fn) }
