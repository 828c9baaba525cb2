package main

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// readmeGrants returns the README's grant statements for running as a
// role that does not own the tables, for the roles named.
func readmeGrants(t *testing.T, owner, app string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		if !strings.Contains(block[1], "GRANT USAGE ON SCHEMA") {
			continue
		}
		var out []string
		for _, stmt := range strings.Split(block[1], ";") {
			if stmt = strings.TrimSpace(stmt); stmt != "" {
				out = append(out, strings.NewReplacer("outreach_app", app, "outreach_owner", owner).Replace(stmt))
			}
		}
		return out
	}
	t.Fatal("the README has no grants block")
	return nil
}

// TestRunsAsNonOwnerRole: with the README's grants, outreach serve runs as
// a role that owns no table (start-up, demo seeding, the job queue, the
// whole supporter flow up to delete-my-data); that role cannot change the
// schema, disable a trigger or alter the audit log, and not even the
// owner can empty the audit log (TRUNCATE trigger).
func TestRunsAsNonOwnerRole(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ownerURL := storetest.FreshPostgres(t)
	s, err := store.Open(ctx, store.Options{DatabaseURL: ownerURL})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx, quiet); err != nil {
		t.Fatal(err)
	}
	owner := s.DB()
	var ownerName string
	if err := owner.QueryRow(`SELECT current_user`).Scan(&ownerName); err != nil {
		t.Fatal(err)
	}
	app := "outreach_app_t" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	if _, err := owner.Exec(`CREATE ROLE ` + app + ` LOGIN`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = owner.Exec(`DROP OWNED BY ` + app)
		_, _ = owner.Exec(`DROP ROLE ` + app)
	})
	for _, stmt := range readmeGrants(t, ownerName, app) {
		if _, err := owner.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	u, err := url.Parse(ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(app)
	appURL := u.String()
	appDB, err := sql.Open("pgx", appURL)
	if err != nil {
		t.Fatal(err)
	}
	defer appDB.Close()

	// A pending migration is refused with what to do.
	var last int64
	if err := owner.QueryRow(`DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version) RETURNING version_id`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	as, err := store.Open(ctx, store.Options{DatabaseURL: appURL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = as.Migrate(ctx, quiet)
	as.Close()
	if err == nil || !strings.Contains(err.Error(), "outreach migrate with the owner's DATABASE_URL") {
		t.Errorf("migrating as the app role: %v", err)
	}
	if _, err := owner.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, last); err != nil {
		t.Fatal(err)
	}

	// serve, as the app role
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL": appURL, "OUTREACH_DATA_DIR": dir, "OUTREACH_ADDR": "127.0.0.1:0", "OUTREACH_LOG_LEVEL": "info"}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- cmdServe(sctx, nil, func(k string) string { return env[k] }, io.Discard, logs) }()
	addrRE := regexp.MustCompile(`msg="outreach ready" addr=(\S+)`)
	var base string
	for deadline := time.Now().Add(90 * time.Second); base == ""; {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start as %s:\n%s", app, logs.String())
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	keys, err := seal.LoadFile(filepath.Join(dir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := newDemoClient(t, base, s, keys, logs)
	// The thank-you page asks for calls, with the demonstration's script.
	if thanks := d.sendDemoLetters(); !strings.Contains(thanks, "I am calling to ask Senator Alex Padilla to demand oversight") {
		t.Errorf("the demonstration's thank-you page has no call script:\n%s", thanks)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var delivered int
		if err := owner.QueryRow(`SELECT COUNT(*) FROM letters WHERE status = 'outbox'`).Scan(&delivered); err != nil {
			t.Fatal(err)
		}
		if delivered == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d letters put in the outbox by the workers of %s\n%s", delivered, app, logs.String())
		}
	}
	// The seeded /c/demo is the demonstration campaign: outbox only.
	var demo bool
	if err := owner.QueryRow(`SELECT demo FROM campaigns WHERE slug = 'demo'`).Scan(&demo); err != nil || !demo {
		t.Errorf("the seeded demonstration campaign is not marked demo: %v %v", demo, err)
	}
	forget := d.supporterEmail(regexp.MustCompile(`(/forget\?\S+)`))
	fu, _ := url.Parse(forget)
	d.post(forget, "/forget", url.Values{"t": {fu.Query().Get("t")}})
	var erased int
	if err := owner.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'supporter.erase'`).Scan(&erased); err != nil || erased != 1 {
		t.Errorf("audit entries of the erasure: %d %v", erased, err)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("serve: %v", err)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors while running as %s:\n%s", app, logs.String())
	}

	// what the app role cannot do
	for _, stmt := range []string{
		`TRUNCATE audit_log`, `DELETE FROM audit_log`, `UPDATE audit_log SET action = 'x'`,
		`ALTER TABLE audit_log DISABLE TRIGGER ALL`, `DROP TRIGGER audit_log_no_truncate ON audit_log`,
		`DELETE FROM stats_releases`, `CREATE TABLE sneaky (id int)`, `ALTER TABLE letters ADD COLUMN sneaky text`,
	} {
		if _, err := appDB.Exec(stmt); err == nil {
			t.Errorf("as %s: %s succeeded", app, stmt)
		}
	}
	if owns, err := jobs.OwnsQueueTables(ctx, appDB); err != nil || owns {
		t.Errorf("the app role owns the queue tables: %v %v", owns, err)
	}
	if owns, err := jobs.OwnsQueueTables(ctx, owner); err != nil || !owns {
		t.Errorf("the owner does not own the queue tables: %v %v", owns, err)
	}
	// not even the owner empties the audit log
	if _, err := owner.Exec(`TRUNCATE audit_log`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("TRUNCATE audit_log as the owner: %v", err)
	}
}
