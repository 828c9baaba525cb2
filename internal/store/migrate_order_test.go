package store_test

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/pressly/goose/v3"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/migrations"
)

// TestMigrationLandedOutOfOrder: engineers working side by side take
// migration numbers in advance, so a lower number can reach main after a
// higher one (00019 after 00022 did). A database migrated in between
// (a demo file, a staging server) must take the late migration when the
// next binary starts, and end with the schema of a fresh database, rather
// than refuse to start with goose's "missing migrations".
func TestMigrationLandedOutOfOrder(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			sub, err := fs.Sub(migrations.FS, string(d))
			if err != nil {
				t.Fatal(err)
			}
			files, err := fs.Glob(sub, "*.sql")
			if err != nil || len(files) < 3 {
				t.Fatalf("migrations: %v %v", files, err)
			}
			// Everything but the second newest, as a binary built before
			// it landed would have applied.
			late := files[len(files)-2]
			early := fstest.MapFS{}
			for _, f := range files {
				if f == late {
					continue
				}
				b, err := fs.ReadFile(sub, f)
				if err != nil {
					t.Fatal(err)
				}
				early[f] = &fstest.MapFile{Data: b}
			}
			st := storetest.Unmigrated(t, d)
			dialect := goose.DialectSQLite3
			if d == store.Postgres {
				dialect = goose.DialectPostgres
			}
			p, err := goose.NewProvider(dialect, st.DB(), early, goose.WithDisableGlobalRegistry(true))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatalf("up without %s: %v", late, err)
			}

			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			status, err := st.Migrate(ctx, log)
			if err != nil {
				t.Fatalf("the next binary, with %s: %v", late, err)
			}
			if status.Current != status.Latest {
				t.Errorf("status after migrating = %+v", status)
			}
			fresh := storetest.Unmigrated(t, d)
			if _, err := fresh.Migrate(ctx, log); err != nil {
				t.Fatal(err)
			}
			if got, want := schema(t, st), schema(t, fresh); !reflect.DeepEqual(got, want) {
				t.Errorf("schema after the late migration differs from a fresh database:\ngot  %v\nwant %v", got, want)
			}
		})
	}
}
