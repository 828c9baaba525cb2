package store

import (
	"context"
	"fmt"
)

// Gauge is one group of a count the metrics endpoint reports.
type Gauge struct {
	A, B string // the group's two label values
	N    int64
}

// LetterGauges counts letters by status and channel.
func (s *Store) LetterGauges(ctx context.Context) ([]Gauge, error) {
	var out []Gauge
	err := s.db.WithContext(ctx).Raw(`SELECT ` + sendingSQL("letters") + ` AS a, channel AS b, COUNT(*) AS n FROM letters GROUP BY 1, 2 ORDER BY 1, 2`).
		Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: letter gauges: %w", err)
	}
	return out, nil
}

// JobGauges counts the job queue's unfinished jobs by queue and state
// (available, scheduled, running, retryable, pending): the queue depth.
func (s *Store) JobGauges(ctx context.Context) ([]Gauge, error) {
	var out []Gauge
	err := s.db.WithContext(ctx).Raw(`SELECT queue AS a, state AS b, COUNT(*) AS n FROM river_job
		WHERE state NOT IN ('completed', 'cancelled', 'discarded') GROUP BY queue, state ORDER BY queue, state`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: job gauges: %w", err)
	}
	return out, nil
}
