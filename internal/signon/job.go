package signon

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/store"
)

// TickArgs is the periodic job that delivers the sign-on letters whose
// scheduled time has come.
type TickArgs struct{}

// Kind names the job for River.
func (TickArgs) Kind() string { return "signon_tick" }

// TickJob runs the tick every interval on the elected leader (River's
// periodic jobs), at most once per interval.
func TickJob(every time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
		return TickArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: every}}
	}, &river.PeriodicJobOpts{ID: "signon_tick", RunOnStart: true})
}

// DueStore lists the letters due.
type DueStore interface {
	DueSignOns(ctx context.Context, now time.Time) ([]int64, error)
	RefuseScheduledSignOn(ctx context.Context, campaignID int64, reason string, now time.Time) error
}

// TickWorker delivers each due sign-on letter. A letter delivered by
// staff meanwhile (or by another tick) is skipped: Deliver writes each
// letter once.
type TickWorker struct {
	river.WorkerDefaults[TickArgs]
	Due DueStore
	D   *Deliverer
	Log *slog.Logger
	Now func() time.Time // time.Now when nil
}

// Work delivers what is due. A refusal (nothing approved, a figure not
// published) unschedules the letter with its reason, once: staff see it on
// the signatories page and deliver by hand or schedule again once fixed.
func (w *TickWorker) Work(ctx context.Context, _ *river.Job[TickArgs]) error {
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	ids, err := w.Due.DueSignOns(ctx, now)
	if err != nil {
		return err
	}
	for _, id := range ids {
		letters, err := w.D.Deliver(ctx, id, now, store.Audit{Action: "signon.deliver", Detail: "scheduled"})
		var ref *Refusal
		switch {
		case errors.Is(err, store.ErrAlreadyDone):
		case errors.As(err, &ref):
			if err := w.Due.RefuseScheduledSignOn(ctx, id, ref.Reason, now); err != nil {
				return err
			}
			w.log().Warn("scheduled sign-on letter not delivered; unscheduled", "campaign", id, "reason", ref.Reason)
		case err != nil:
			return err
		default:
			w.log().Info("scheduled sign-on letter delivered", "campaign", id, "letters", len(letters))
		}
	}
	return nil
}

func (w *TickWorker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.New(slog.DiscardHandler)
}
