package store

import "github.com/outreach-org/outreach/internal/tracking"

// MetricsSQL is the statement ResponseMetrics runs for q, for the
// benchmark's EXPLAIN.
func MetricsSQL(q MetricsQuery) (string, []any) {
	g, _ := tracking.Lookup(q.GroupBy)
	return metricsSQL(q, g.Dim)
}
