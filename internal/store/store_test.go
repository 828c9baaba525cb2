package store_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/migrations"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// schema lists table -> sorted column names, leaving out goose's own table.
func schema(t *testing.T, s *store.Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	var q string
	if s.Dialect() == store.Postgres {
		q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`
	} else {
		q = `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	}
	rows, err := s.DB().QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var tbl, col string
		if err := rows.Scan(&tbl, &col); err != nil {
			t.Fatal(err)
		}
		if tbl == "goose_db_version" {
			continue
		}
		out[tbl] = append(out[tbl], col)
	}
	for _, cols := range out {
		sort.Strings(cols)
	}
	return out
}

// migrationsOf is goose over the store's own migrations, for tests that
// move its schema down and up.
func migrationsOf(t *testing.T, s *store.Store) *goose.Provider {
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
	return p
}

func TestDialectsEndWithSameSchema(t *testing.T) {
	lite := schema(t, storetest.SQLite(t))
	pg := schema(t, storetest.Postgres(t))
	if len(lite) == 0 {
		t.Fatal("no tables after migrating SQLite")
	}
	if !reflect.DeepEqual(lite, pg) {
		t.Errorf("schemas differ\nsqlite:   %v\npostgres: %v", lite, pg)
	}
}

func TestMigrationFilesPaired(t *testing.T) {
	list := func(dir string) []string {
		ents, err := migrations.FS.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names
	}
	pg, lite := list("postgres"), list("sqlite")
	if !reflect.DeepEqual(pg, lite) {
		t.Errorf("every migration needs a file of the same name in both dialects\npostgres: %v\nsqlite:   %v", pg, lite)
	}
}

func TestMigrateIsIdempotentAndSettingsRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st, err := s.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if st.Current != st.Latest || st.Latest == 0 {
			t.Fatalf("status after migrate = %+v", st)
		}
		if _, err := s.Setting(ctx, "missing-key"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing setting: err = %v, want ErrNotFound", err)
		}
		key := "k-" + t.Name()
		if err := s.SetSetting(ctx, key, "one"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSetting(ctx, key, "two"); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Setting(ctx, key); err != nil || v != "two" {
			t.Fatalf("setting = %q, %v", v, err)
		}
	})
}

func TestRefusesNewerSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		st, err := s.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		future := st.Latest + 1000
		if _, err := s.DB().ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (`+itoa(future)+`, true)`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = s.DB().ExecContext(ctx, `DELETE FROM goose_db_version WHERE version_id = `+itoa(future))
		})
		_, err = s.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("err = %v, want ErrSchemaTooNew", err)
		}
		if !strings.Contains(err.Error(), "upgrade the binary") {
			t.Errorf("error should tell the operator what to do: %v", err)
		}
	})
}

// TestOpenCreatesDataDir: the data directory is created 0700 and the
// database with its -wal and -shm files 0600, whatever the umask gives;
// files an earlier version left readable by others are made 0600.
func TestOpenCreatesDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	path := filepath.Join(dir, "outreach.db")
	s, err := store.Open(context.Background(), store.Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	mode := func(p string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return fi.Mode().Perm()
	}
	if m := mode(dir); m != 0o700 {
		t.Errorf("data dir mode %o, want 700", m)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(p); m != 0o600 {
			t.Errorf("%s mode %o, want 600", filepath.Base(p), m)
		}
	}
	s.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	s, err = store.Open(context.Background(), store.Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetSetting(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(p); m != 0o600 {
			t.Errorf("reopened: %s mode %o, want 600", filepath.Base(p), m)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestSecondLettersMigrationGoesDownAndUp runs migration 00009 down and up
// again on both dialects: the schema ends as it started.
func TestSecondLettersMigrationGoesDownAndUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		// A letter with its timeline, kept across the rebuild (SQLite) with
		// the references to it.
		camp, err := st.CreateCampaign(ctx, newCampaign("mig-"+strconv.FormatInt(time.Now().UnixNano(), 36)), store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		subm, err := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: "idx"}, func(int64) (string, error) { return "x", nil })
		if err != nil {
			t.Fatal(err)
		}
		ids, err := st.CreateLetters(ctx, []store.NewLetter{{CampaignID: camp.ID, SubmissionID: subm.ID, BioguideID: "P000197", OfficeCode: "HCA11",
			Chamber: "house", State: "CA", TemplateVer: 1, DeliveryID: "mig-" + strconv.FormatInt(subm.ID, 10), ReplyToken: "mig-" + strconv.FormatInt(subm.ID, 10),
			Seal: func(int64) (string, error) { return "x", nil }}}, nil)
		if err != nil || len(ids) != 1 {
			t.Fatal(ids, err)
		}
		before := schema(t, st)
		if !slices.Contains(before["letters"], "followup_of") || !slices.Contains(before["letters"], "kind") {
			t.Fatalf("letters columns = %v", before["letters"])
		}
		p := migrationsOf(t, st)
		if _, err := p.DownTo(ctx, 8); err != nil {
			t.Fatalf("down: %v", err)
		}
		if cols := schema(t, st)["letters"]; slices.Contains(cols, "kind") {
			t.Fatalf("after down: %v", cols)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if after := schema(t, st); !reflect.DeepEqual(before, after) {
			t.Errorf("schema changed:\nbefore %v\nafter  %v", before, after)
		}
		l, err := st.LetterByID(ctx, ids[0])
		if err != nil || l.Kind != store.LetterFirst || l.SubmissionID != subm.ID {
			t.Fatalf("letter after down and up = %+v, %v", l, err)
		}
		if tl, err := st.Timeline(ctx, ids[0]); err != nil || len(tl) != 1 {
			t.Fatalf("timeline = %v, %v", tl, err)
		}
	})
}
