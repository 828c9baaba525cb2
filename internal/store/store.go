// Package store owns the database: it opens GORM on SQLite or PostgreSQL,
// applies the versioned migrations, and holds one file per aggregate.
// It is the only package that imports GORM.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the database engine in use.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("not found")

// maxConns is the PostgreSQL pool's size, open and idle.
const maxConns = 20

// Store wraps the GORM handle. Create one in main and pass it down.
type Store struct {
	db      *gorm.DB
	sql     *sql.DB
	dialect Dialect
	// synthetic caches each statistics release's synthetic flag (releases
	// never change): release id -> bool.
	synthetic sync.Map
}

// Options says which database to open.
type Options struct {
	// DatabaseURL is a postgres:// URL; empty opens SQLitePath.
	DatabaseURL string
	SQLitePath  string
}

// Open connects to the database named by opts. It does not migrate.
func Open(ctx context.Context, opts Options) (*Store, error) {
	gcfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	var (
		db      *gorm.DB
		err     error
		dialect Dialect
	)
	if opts.DatabaseURL != "" {
		dialect = Postgres
		db, err = gorm.Open(postgres.Open(opts.DatabaseURL), gcfg)
	} else {
		dialect = SQLite
		if err := privateSQLiteFiles(opts.SQLitePath); err != nil {
			return nil, err
		}
		db, err = gorm.Open(sqlite.Open(SQLiteDSN(opts.SQLitePath)), gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, redact(err))
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		// One connection: SQLite has a single writer, and WAL plus a busy
		// timeout on one connection never returns "database is locked".
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(maxConns)
		// As many idle as open: a burst above the idle limit would close
		// connections on return and open new ones (a PostgreSQL backend
		// each, with cold caches) moments later. Idle ones end after 5 min.
		sqlDB.SetMaxIdleConns(maxConns)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	s := &Store{db: db, sql: sqlDB, dialect: dialect}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ping(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, redact(err))
	}
	return s, nil
}

// privateSQLiteFiles makes the SQLite file readable by this user only: the
// data directory is created 0700 and the database file 0600 before SQLite
// opens it (SQLite gives its -wal and -shm files the database file's
// mode). Files left readable by an earlier version are made 0600 too,
// when this user owns them.
func privateSQLiteFiles(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open the database file: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			_ = os.Chmod(p, fi.Mode().Perm()&0o700)
		}
	}
	return nil
}

// SQLiteDSN adds the pragmas every connection needs: WAL for concurrent
// readers, a busy timeout, foreign keys (off by default in SQLite), and
// secure_delete, so that what is deleted or overwritten (a supporter's
// erased data) is zeroed in the file instead of left in free pages.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=secure_delete(1)&_txlock=immediate"
}

// redact keeps passwords in connection errors out of logs.
func redact(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "password="); i >= 0 {
		return errors.New(msg[:i] + "password=REDACTED")
	}
	return err
}

// Dialect reports the engine in use.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the underlying *sql.DB for migrations and job queues.
func (s *Store) DB() *sql.DB { return s.sql }

// Ping checks that the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error { return s.sql.PingContext(ctx) }

// Close releases the connections.
func (s *Store) Close() error { return s.sql.Close() }

// Setting reads one instance setting.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var row appSetting
	err := s.db.WithContext(ctx).Where("key = ?", key).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", ErrNotFound
	}
	return row.Value, wrapf(err, "setting")
}

// SetSetting writes one instance setting, replacing any earlier value.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	row := appSetting{Key: key, Value: value, UpdatedAt: time.Now().UTC()}
	return wrapf(s.db.WithContext(ctx).Save(&row).Error, "set setting")
}

type appSetting struct {
	Key       string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
}

func (appSetting) TableName() string { return "app_settings" }

// Warm opens the pool's connections before traffic arrives, so the first
// requests after a start do not each wait for a new connection (on
// PostgreSQL a new backend, with cold caches). It answers how many are
// open.
func (s *Store) Warm(ctx context.Context) (int, error) {
	n := s.sql.Stats().MaxOpenConnections
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := s.sql.Conn(ctx)
		if err != nil {
			return len(conns), fmt.Errorf("store: warm the pool: %w", err)
		}
		conns = append(conns, c)
		if err := c.PingContext(ctx); err != nil {
			return len(conns), fmt.Errorf("store: warm the pool: %w", err)
		}
	}
	return len(conns), nil
}
