package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/migrations"
)

// ErrSchemaTooNew means the database was migrated by a newer binary; running
// an older one against it could corrupt data, so we refuse to start.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// SchemaStatus describes where the database stands.
type SchemaStatus struct {
	Current int64 // applied version
	Latest  int64 // newest version this binary knows
}

func (s *Store) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations.FS, string(s.dialect))
	if err != nil {
		return nil, err
	}
	// Out of order: migration numbers are taken in advance by work done
	// side by side, so a lower number can land after a higher one; a
	// database migrated in between takes it at the next start. Each
	// migration touches its own tables, so the order between them does
	// not matter (TestMigrationLandedOutOfOrder).
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true)}
	dialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Replicas starting together take turns: an advisory lock held for
		// the session serialises their migrations.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, s.sql, sub, opts...)
}

// Status reports the applied and the newest known schema version.
func (s *Store) Status(ctx context.Context) (SchemaStatus, error) {
	p, err := s.provider()
	if err != nil {
		return SchemaStatus{}, err
	}
	cur, err := p.GetDBVersion(ctx)
	if err != nil {
		return SchemaStatus{}, fmt.Errorf("read schema version: %w", err)
	}
	srcs := p.ListSources()
	var latest int64
	if len(srcs) > 0 {
		latest = srcs[len(srcs)-1].Version
	}
	return SchemaStatus{Current: cur, Latest: latest}, nil
}

// Migrate applies every pending migration. It refuses a database whose
// schema is newer than the migrations embedded in this binary.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) (SchemaStatus, error) {
	st, err := s.Status(ctx)
	if err != nil {
		return st, err
	}
	if st.Current > st.Latest {
		return st, fmt.Errorf("%w: database is at version %d, this binary knows up to %d; upgrade the binary", ErrSchemaTooNew, st.Current, st.Latest)
	}
	p, err := s.provider()
	if err != nil {
		return st, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		if s.dialect == Postgres && strings.Contains(err.Error(), "SQLSTATE 42501") {
			return st, fmt.Errorf("apply migrations: %w (this database role may not change the schema: run outreach migrate with the owner's DATABASE_URL first)", err)
		}
		return st, fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range res {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	if len(res) > 0 && s.dialect == Postgres {
		// Connections that prepared statements before a migration changed
		// a table's columns would fail each such statement once ("cached
		// plan must not change result type"): close the idle ones.
		s.sql.SetMaxIdleConns(0)
		s.sql.SetMaxIdleConns(maxConns)
	}
	if err := jobs.Migrate(ctx, s.sql, s.dialect == Postgres); err != nil {
		return st, err
	}
	return s.Status(ctx)
}
