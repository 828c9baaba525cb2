// Package storetest gives tests real, migrated databases: a fresh SQLite
// file per test and one fresh PostgreSQL database per test package, created
// from TEST_DATABASE_URL and dropped when the package's tests end.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for admin statements
	"github.com/pressly/goose/v3"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/testenv"
	"github.com/outreach-org/outreach/migrations"
)

var (
	pgOnce sync.Once
	pgURL  string // the package's own database
	pgName string
	pgErr  error
	admin  string // TEST_DATABASE_URL
)

// Main wraps testing.M so the package's PostgreSQL database is dropped at
// the end. Use it from TestMain: os.Exit(storetest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if pgName != "" {
		if db, err := sql.Open("pgx", admin); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, _ = db.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+pgName+`" WITH (FORCE)`)
			cancel()
			db.Close()
		}
	}
	return code
}

// DB is one database a test runs against.
type DB struct {
	Name  string // "sqlite" or "postgres"
	Store *store.Store
}

// Each runs fn as a subtest on a fresh SQLite store and on the package's
// PostgreSQL store (failing under CI, skipping elsewhere, when PostgreSQL
// is not configured).
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// EachEmpty is Each on migrated databases of this test alone (on
// PostgreSQL a new database, not the package's shared one), for tests that
// need a database nothing else has written to, such as first-run setup.
func EachEmpty(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			s := Unmigrated(t, d)
			if _, err := s.Migrate(context.Background(), quiet()); err != nil {
				t.Fatalf("migrate %s: %v", d, err)
			}
			fn(t, s)
		})
	}
}

// SQLite opens and migrates a new SQLite file in the test's temp dir.
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(t.TempDir(), "outreach.db")})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background(), quiet()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return s
}

// Postgres opens the package's migrated PostgreSQL database.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	u := PostgresURL(t)
	s, err := store.Open(context.Background(), store.Options{DatabaseURL: u})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background(), quiet()); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return s
}

// PostgresURL creates the package's database on first use and returns its
// URL. Tests that need a second connection (two workers, say) use it.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin = testenv.PostgresURL(t)
	pgOnce.Do(func() { pgURL, pgName, pgErr = createDB(admin) })
	if pgErr != nil {
		if testenv.InCI() {
			t.Fatalf("create test database: %v", pgErr)
		}
		t.Skipf("skipping: cannot create a PostgreSQL test database: %v", pgErr)
	}
	return pgURL
}

var unsafe = regexp.MustCompile(`[^a-z0-9_]+`)

func createDB(adminURL string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	var b [4]byte
	_, _ = rand.Read(b[:])
	pkg := filepath.Base(os.Args[0])
	pkg = strings.TrimSuffix(strings.TrimSuffix(pkg, ".test"), ".exe")
	name := "outreach_t_" + unsafe.ReplaceAllString(strings.ToLower(pkg), "_") + "_" + hex.EncodeToString(b[:])
	if len(name) > 60 {
		name = name[:60]
	}
	if _, err := db.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		return "", "", fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", "", err
	}
	u.Path = "/" + name
	return u.String(), name, nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// FreshPostgres creates an empty PostgreSQL database for this test alone
// (not migrated) and returns its URL; it is dropped when the test ends.
// Upgrade tests start from it.
func FreshPostgres(t testing.TB) string {
	t.Helper()
	adminURL := testenv.PostgresURL(t)
	u, name, err := createDB(adminURL)
	if err != nil {
		if testenv.InCI() {
			t.Fatalf("create test database: %v", err)
		}
		t.Skipf("skipping: cannot create a PostgreSQL test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", adminURL)
		if err != nil {
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = db.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
	})
	return u
}

// Unmigrated opens a new, empty database of the dialect ("sqlite" or
// "postgres") without migrating it.
func Unmigrated(t testing.TB, dialect store.Dialect) *store.Store {
	t.Helper()
	opts := store.Options{SQLitePath: filepath.Join(t.TempDir(), "outreach.db")}
	if dialect == store.Postgres {
		opts = store.Options{DatabaseURL: FreshPostgres(t)}
	}
	s, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// MigrateTo applies the application's migrations up to version only, as
// an older binary would have left the database.
func MigrateTo(t testing.TB, s *store.Store, version int64) {
	t.Helper()
	sub, err := fs.Sub(migrations.FS, string(s.Dialect()))
	if err != nil {
		t.Fatal(err)
	}
	dialect := goose.DialectSQLite3
	if s.Dialect() == store.Postgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, s.DB(), sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatalf("migrate to %d: %v", version, err)
	}
}

// CPU is the CPU time of each PostgreSQL backend process of a database.
type CPU map[int]time.Duration

// BackendCPU reads, from /proc, the CPU time of the PostgreSQL backends
// connected to st's database (this benchmark's own: other work on the
// machine uses other databases). Empty when PostgreSQL is not on this
// machine. A backend that ends between two readings loses its share, so
// the pool keeps its connections open meanwhile (idle = open).
func BackendCPU(tb testing.TB, st *store.Store) CPU {
	tb.Helper()
	rows, err := st.DB().QueryContext(context.Background(), "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := CPU{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			tb.Fatal(err)
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command (which may hold spaces): utime and
		// stime are the 12th and 13th, in clock ticks (100 a second).
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stt, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(ut+stt) * 10 * time.Millisecond
	}
	return out
}

// Since is the CPU the backends used after earlier.
func (c CPU) Since(earlier CPU) time.Duration {
	var d time.Duration
	for pid, t := range c {
		d += t - earlier[pid]
	}
	return d
}
