// Package jobs runs durable background work on River, in the same database
// as everything else (PostgreSQL, or the SQLite file by default), so that a
// job can be enqueued in the same transaction as the rows it is about.
// Jobs carry ids only, never personal data.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Client is the River client for this database.
type Client = river.Client[*sql.Tx]

// Options configure a client.
type Options struct {
	// Workers registers job kinds this process works; nil makes an
	// insert-only client (a web process that does not run workers).
	Workers *river.Workers
	// Queues and their concurrency; required with Workers.
	Queues       map[string]river.QueueConfig
	PeriodicJobs []*river.PeriodicJob
	Logger       *slog.Logger
	// FetchPollInterval: how often idle workers look for due jobs.
	FetchPollInterval time.Duration
	// RescueStuckJobsAfter: a job running longer than this (its worker
	// died) is made available again.
	RescueStuckJobsAfter time.Duration
	// JobTimeout bounds a job whose worker sets no timeout of its own; 0
	// means two minutes.
	JobTimeout time.Duration
	ID         string
}

func driver(db *sql.DB, postgres bool) riverdriver.Driver[*sql.Tx] {
	if postgres {
		return riverdatabasesql.New(db)
	}
	return riversqlite.New(db)
}

// Migrate applies River's own versioned migrations (its job, leader and
// queue tables). The store calls it after the application's migrations.
func Migrate(ctx context.Context, db *sql.DB, postgres bool) error {
	m, err := rivermigrate.New(driver(db, postgres), nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}

// New builds a River client on db.
func New(db *sql.DB, postgres bool, o Options) (*Client, error) {
	cfg := &river.Config{
		Workers:              o.Workers,
		Queues:               o.Queues,
		PeriodicJobs:         o.PeriodicJobs,
		Logger:               o.Logger,
		FetchPollInterval:    o.FetchPollInterval,
		RescueStuckJobsAfter: o.RescueStuckJobsAfter,
		ID:                   o.ID,
		JobTimeout:           cmp.Or(o.JobTimeout, 2*time.Minute),
	}
	if o.FetchPollInterval != 0 && o.FetchPollInterval < 100*time.Millisecond {
		cfg.FetchCooldown = o.FetchPollInterval
	}
	// River's leader rebuilds its indexes once a day (REINDEX), which only
	// a table's owner may do. Run as a role that does not own the tables
	// (README: "Running as a role that does not own the tables"), that
	// is left to the operator instead of failing every night.
	if postgres {
		owns, err := OwnsQueueTables(context.Background(), db)
		if err != nil {
			return nil, err
		}
		if !owns {
			cfg.ReindexerIndexNames = []string{}
		}
	}
	return river.NewClient(driver(db, postgres), cfg)
}

// OwnsQueueTables tells whether the connected PostgreSQL role owns (or is
// a member of the role that owns) River's job table; true when the table
// does not exist yet.
func OwnsQueueTables(ctx context.Context, db *sql.DB) (bool, error) {
	var owns sql.NullBool
	err := db.QueryRowContext(ctx, `SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = to_regclass('river_job')`).Scan(&owns)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("who owns river_job: %w", err)
	}
	return !owns.Valid || owns.Bool, nil
}
