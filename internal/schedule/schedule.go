// Package schedule holds the jobs that run on cron schedules: River
// periodic jobs, which only the elected leader enqueues, so several
// replicas run each scheduled job once.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/robfig/cron/v3"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
)

// StatsReleaseArgs is the scheduled statistics release. It carries
// nothing: the release is computed from the records when it runs.
type StatsReleaseArgs struct{}

// Kind names the job for River.
func (StatsReleaseArgs) Kind() string { return "stats_release" }

// ReleaseCreator makes a statistics release (the store does).
type ReleaseCreator interface {
	CreateRelease(ctx context.Context, req store.ReleaseRequest, a store.Audit) (store.Release, error)
}

// StatsReleaseWorker publishes a release on schedule. A release that would
// reveal too small a change since the previous one, or a database without
// records, is skipped (logged), not retried: the next run tries again.
type StatsReleaseWorker struct {
	river.WorkerDefaults[StatsReleaseArgs]
	Store ReleaseCreator
	Log   *slog.Logger
}

// Work creates the release.
func (w *StatsReleaseWorker) Work(ctx context.Context, job *river.Job[StatsReleaseArgs]) error {
	rel, err := w.Store.CreateRelease(ctx, store.ReleaseRequest{}, store.Audit{Action: "stats.release.scheduled"})
	switch {
	case errors.Is(err, casestats.ErrTooCloseToPrevious), errors.Is(err, store.ErrNoCases):
		w.Log.Info("scheduled statistics release skipped", "reason", err.Error())
		return nil
	case err != nil:
		return err
	}
	w.Log.Info("scheduled statistics release published", "release_id", rel.ID)
	return nil
}

// ParseSchedule reads a cron expression (five fields, or descriptors like
// @weekly) with an optional "CRON_TZ=America/New_York " prefix.
func ParseSchedule(expr string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron schedule: %w", expr, err)
	}
	return s, nil
}

// StatsReleaseJob is the periodic job; River runs it on the elected leader
// only, so several replicas still publish once per schedule.
func StatsReleaseJob(s cron.Schedule) *river.PeriodicJob {
	return river.NewPeriodicJob(s, func() (river.JobArgs, *river.InsertOpts) {
		return StatsReleaseArgs{}, nil
	}, &river.PeriodicJobOpts{ID: "stats_release"})
}
