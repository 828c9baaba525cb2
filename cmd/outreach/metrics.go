package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/config"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/mailing"
	"github.com/outreach-org/outreach/internal/metrics"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supportermail"
)

// newMetrics makes the process's series when OUTREACH_METRICS_ADDR is set
// (nil otherwise: nothing is recorded). The database gauges are read at
// most every 15 s, however often Prometheus scrapes.
func newMetrics(cfg *config.Config, st *store.Store, log *slog.Logger) *metrics.Metrics {
	if cfg.MetricsAddr == "" {
		return nil
	}
	counts := func(read func(context.Context) ([]store.Gauge, error)) func(context.Context) ([]metrics.Count, error) {
		return func(ctx context.Context) ([]metrics.Count, error) {
			gs, err := read(ctx)
			out := make([]metrics.Count, len(gs))
			for i, g := range gs {
				out[i] = metrics.Count{Labels: []string{g.A, g.B}, N: g.N}
			}
			return out, err
		}
	}
	return metrics.New(metrics.Sources{
		Letters: counts(st.LetterGauges),
		Jobs:    counts(st.JobGauges),
		Queues:  []string{dispatch.Queue, supportermail.Queue, mailing.Queue, river.QueueDefault},
		LatestRelease: func(ctx context.Context) (time.Time, bool, error) {
			r, err := st.LatestRelease(ctx)
			if errors.Is(err, store.ErrNotFound) {
				return time.Time{}, false, nil
			}
			return r.CreatedAt, err == nil, err
		},
	}, 15*time.Second, log.With("component", "metrics"))
}

// serveMetrics serves /metrics on its own listener until ctx ends. The
// public site never serves it.
func serveMetrics(ctx context.Context, cfg *config.Config, m *metrics.Metrics, log *slog.Logger) error {
	if m == nil {
		return nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return errors.New("listen on OUTREACH_METRICS_ADDR " + cfg.MetricsAddr + ": " + err.Error())
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler(cfg.MetricsToken))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String(), "token", cfg.MetricsToken != "")
	return nil
}

// watchJobs records how long each job waited and ran, from the queue's
// events, until the client stops.
func watchJobs(c *jobs.Client, m *metrics.Metrics) {
	if m == nil || c == nil {
		return
	}
	events, cancel := c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled, river.EventKindJobSnoozed)
	go func() {
		defer cancel()
		for ev := range events {
			if ev.Job == nil || ev.JobStats == nil {
				continue
			}
			outcome := map[river.EventKind]string{river.EventKindJobCompleted: "completed", river.EventKindJobFailed: "failed",
				river.EventKindJobCancelled: "cancelled", river.EventKindJobSnoozed: "snoozed"}[ev.Kind]
			m.Job(ev.Job.Queue, ev.Job.Kind, outcome, ev.JobStats.QueueWaitDuration, ev.JobStats.RunDuration)
		}
	}()
}
