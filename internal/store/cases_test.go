package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// casesEach runs fn on a fresh SQLite store and on a PostgreSQL store in a
// schema of its own: case and release tests count every row (and releases
// cannot be deleted), so they must not share the package database.
func casesEach(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, casesPostgres(t)) })
}

// casesPostgres opens the package's PostgreSQL database with a new schema
// first on the search path, migrated, and drops the schema afterwards.
func casesPostgres(t testing.TB) *store.Store {
	t.Helper()
	base := storetest.PostgresURL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "cases_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := store.Open(ctx, store.Options{DatabaseURL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return s
}

func csvOf(rs ...casestats.Record) string {
	var b strings.Builder
	b.WriteString(strings.Join(casestats.Fields, ",") + "\n")
	for _, r := range rs {
		vals := make([]string, len(casestats.Fields))
		for i, f := range casestats.Fields {
			vals[i] = r.Get(f)
		}
		b.WriteString(strings.Join(vals, ",") + "\n")
	}
	return b.String()
}

func synthetic(n int, seed uint64) []casestats.Record {
	return slices.Collect(casestats.Synthetic(n, seed))
}

func countAudit(t *testing.T, s *store.Store, action string) (n int, details []string) {
	t.Helper()
	entries, err := s.AuditLog(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == action {
			n++
			details = append(details, e.ObjectType+" "+e.ObjectID+" "+e.Detail)
		}
	}
	return n, details
}

func TestImportCSVAllOrNothing(t *testing.T) {
	casesEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		rs := synthetic(12_000, 1)
		bad := slices.Clone(rs)
		bad[11_000].State = "A# 123-456-789" // an A-number after the first batch was written
		body := csvOf(bad...)
		res, err := s.ImportCSV(ctx, strings.NewReader(body), store.ImportOptions{}, store.Audit{Action: "test.import"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 0 || len(res.Errors) != 1 || res.Errors[0].Row != 11_001 || res.Errors[0].Field != "state" {
			t.Fatalf("result = %+v", res)
		}
		if strings.Contains(fmt.Sprint(res.Errors), "123-456") {
			t.Error("the rejected value is repeated")
		}
		if c, _ := s.CountCases(ctx); c.Total != 0 {
			t.Fatalf("%d records left after a refused import", c.Total)
		}
		if n, _ := countAudit(t, s, "test.import"); n != 0 {
			t.Error("a refused import was audited as done")
		}

		res, err = s.ImportCSV(ctx, strings.NewReader(csvOf(rs...)), store.ImportOptions{}, store.Audit{Action: "test.import", ActorID: 0})
		if err != nil || res.Imported != 12_000 || res.Errors != nil {
			t.Fatalf("good import: %+v %v", res, err)
		}
		if c, _ := s.CountCases(ctx); c.Total != 12_000 || c.Synthetic != 0 {
			t.Fatalf("counts = %+v", c)
		}
		if n, det := countAudit(t, s, "test.import"); n != 1 || det[0] != "case  records=12000" {
			t.Errorf("audit = %d %v", n, det)
		}

		// header only, unknown column
		res, _ = s.ImportCSV(ctx, strings.NewReader(csvOf()), store.ImportOptions{}, store.Audit{})
		if len(res.Errors) != 1 || res.Imported != 0 {
			t.Errorf("empty file: %+v", res)
		}
		res, _ = s.ImportCSV(ctx, strings.NewReader("name,"+csvOf(rs[0])[0:]), store.ImportOptions{}, store.Audit{})
		if len(res.Errors) == 0 {
			t.Error("unknown column accepted")
		}
		if c, _ := s.CountCases(ctx); c.Total != 12_000 {
			t.Errorf("counts after refused imports = %+v", c)
		}
	})
}

func TestCaseEditDeleteAudited(t *testing.T) {
	casesEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := synthetic(1, 3)[0]
		id, err := s.CreateCase(ctx, r, store.Audit{})
		if err != nil || id == 0 {
			t.Fatal(id, err)
		}
		got, err := s.CaseByID(ctx, id)
		if err != nil || got.Record != r || got.Synthetic {
			t.Fatalf("read back %+v %v", got, err)
		}
		r2 := r
		r2.State, r2.Outcome = "NM", "reunified"
		if err := s.UpdateCase(ctx, id, r2, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.CaseByID(ctx, id); got.Record != r2 {
			t.Errorf("after update: %+v", got.Record)
		}
		bad := r2
		bad.Quarter = "March 3, 2018"
		if err := s.UpdateCase(ctx, id, bad, store.Audit{}); !errors.Is(err, store.ErrInvalidCase) || strings.Contains(err.Error(), "March") {
			t.Errorf("invalid update: %v", err)
		}
		if err := s.UpdateCase(ctx, id+1000, r2, store.Audit{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update of a missing record: %v", err)
		}
		if err := s.DeleteCase(ctx, id, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CaseByID(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted record still there: %v", err)
		}
		if err := s.DeleteCase(ctx, id, store.Audit{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
		idStr := fmt.Sprint(id)
		for _, action := range []string{"case.create", "case.update", "case.delete"} {
			n, det := countAudit(t, s, action)
			if n != 1 || det[0] != "case "+idStr+" " {
				t.Errorf("%s audit: %d %v", action, n, det)
			}
		}
	})
}

func TestCaseListFilters(t *testing.T) {
	casesEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		rs := synthetic(300, 4)
		n, err := s.CreateCases(ctx, slices.Values(rs), store.ImportOptions{}, store.Audit{})
		if err != nil || n != 300 {
			t.Fatal(n, err)
		}
		wantTX := 0
		for _, r := range rs {
			if r.State == "TX" && r.Quarter == "2018-Q2" {
				wantTX++
			}
		}
		seen := 0
		var before int64
		for {
			p, err := s.Cases(ctx, store.CaseFilter{State: "TX", Quarter: "2018-Q2", Before: before, Limit: 7})
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != int64(wantTX) {
				t.Fatalf("total %d, want %d", p.Total, wantTX)
			}
			for _, c := range p.Cases {
				if c.State != "TX" || c.Quarter != "2018-Q2" {
					t.Fatalf("filter let through %+v", c)
				}
				if before != 0 && c.ID >= before {
					t.Fatal("pages overlap")
				}
			}
			seen += len(p.Cases)
			if p.Next == 0 {
				break
			}
			before = p.Next
		}
		if seen != wantTX || wantTX == 0 {
			t.Errorf("paged through %d of %d", seen, wantTX)
		}
	})
}

// TestCaseChecksMatchCasestats: the database accepts every allowed value
// and refuses others, so the migration's lists match casestats.
func TestCaseChecksMatchCasestats(t *testing.T) {
	casesEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		base := synthetic(1, 9)[0]
		base.FormPresented = "two_option"
		ph := func(i int) string {
			if s.Dialect() == store.Postgres {
				return fmt.Sprintf("$%d", i)
			}
			return "?"
		}
		var marks []string
		for i := range casestats.Fields {
			marks = append(marks, ph(i+1))
		}
		q := "INSERT INTO case_records (" + strings.Join(casestats.Fields, ",") + ") VALUES (" + strings.Join(marks, ",") + ")"
		insert := func(r casestats.Record) error {
			args := make([]any, len(casestats.Fields))
			for i, f := range casestats.Fields {
				args[i] = r.Get(f)
			}
			_, err := s.DB().ExecContext(ctx, q, args...)
			return err
		}
		for _, f := range casestats.Fields {
			for _, v := range casestats.AllowedValues(f) {
				r := base
				field(&r, f, v)
				if err := insert(r); err != nil {
					t.Errorf("%s=%s refused: %v", f, v, err)
				}
			}
			for _, v := range []string{"", "x", "Yes", "2014-Q4", "2031-Q1", "2018Q2", "tx", "yes,no", "TX,AZ", "none,", "2018-Q2 "} {
				r := base
				field(&r, f, v)
				if err := insert(r); err == nil {
					t.Errorf("%s=%q accepted", f, v)
				}
			}
		}
	})
}

func field(r *casestats.Record, f, v string) {
	b, _ := json.Marshal(r)
	m := map[string]string{}
	_ = json.Unmarshal(b, &m)
	m[f] = v
	b, _ = json.Marshal(m)
	_ = json.Unmarshal(b, r)
}

func TestReleases(t *testing.T) {
	casesEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.LatestRelease(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("latest before any release: %v", err)
		}
		if _, err := s.CreateRelease(ctx, store.ReleaseRequest{}, store.Audit{}); !errors.Is(err, store.ErrNoCases) {
			t.Fatalf("release without records: %v", err)
		}
		rs := synthetic(3000, 5)
		if _, err := s.CreateCases(ctx, slices.Values(rs), store.ImportOptions{}, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		pv, err := s.PreviewRelease(ctx, casestats.Params{})
		if err != nil || pv.CaseCount != 3000 || pv.Synthetic {
			t.Fatalf("preview: %+v %v", pv, err)
		}
		want, err := casestats.Compute(slices.Values(rs), casestats.Params{})
		if err != nil {
			t.Fatal(err)
		}
		wantJSON, _ := json.Marshal(want)
		if got, _ := json.Marshal(pv.Figures); !bytes.Equal(got, wantJSON) {
			t.Fatal("figures from the database differ from casestats.Compute over the same records")
		}
		if _, err := s.CreateRelease(ctx, store.ReleaseRequest{Expect: "not-the-preview"}, store.Audit{}); !errors.Is(err, store.ErrReleaseChanged) {
			t.Errorf("confirming other figures: %v", err)
		}
		if _, err := s.CreateRelease(ctx, store.ReleaseRequest{Params: casestats.Params{Threshold: 5}}, store.Audit{}); !errors.Is(err, casestats.ErrParams) {
			t.Errorf("threshold 5: %v", err)
		}
		rel, err := s.CreateRelease(ctx, store.ReleaseRequest{Expect: pv.Fingerprint}, store.Audit{ActorID: 0, Action: "test.release"})
		if err != nil {
			t.Fatal(err)
		}
		if rel.ID == 0 || rel.CaseCount != 3000 || rel.Synthetic || !bytes.Equal(rel.JSON, wantJSON) {
			t.Errorf("release = %+v", rel)
		}
		latest, err := s.LatestRelease(ctx)
		if err != nil || latest.ID != rel.ID || !bytes.Equal(latest.JSON, wantJSON) || latest.Params != (casestats.Params{Threshold: 11, Rounding: 5, MinDenominator: 30}) {
			t.Fatalf("latest = %+v %v", latest, err)
		}
		if v, _ := latest.Figures.Value("cases"); v != "3,000" {
			t.Errorf("cases = %q", v)
		}
		if n, det := countAudit(t, s, "test.release"); n != 1 || !strings.HasPrefix(det[0], "stats_release ") {
			t.Errorf("audit %v", det)
		}

		// a change of three records: the earlier release is taken into
		// account (at rounding 1 the total would give them away)
		if _, err := s.CreateCases(ctx, slices.Values(synthetic(3, 77)), store.ImportOptions{}, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		rel2, err := s.CreateRelease(ctx, store.ReleaseRequest{Params: casestats.Params{Rounding: 1}}, store.Audit{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCases(ctx, slices.Values(synthetic(2, 78)), store.ImportOptions{}, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		_, err = s.CreateRelease(ctx, store.ReleaseRequest{Params: casestats.Params{Rounding: 1}}, store.Audit{})
		var tooClose *casestats.TooCloseError
		if !errors.Is(err, casestats.ErrTooCloseToPrevious) || !errors.As(err, &tooClose) || tooClose.ReleaseID != rel2.ID ||
			!strings.Contains(err.Error(), fmt.Sprintf("release #%d: the number of documented cases changed by too few", rel2.ID)) {
			t.Errorf("two more records at rounding 1: %v", err)
		}
		list, err := s.Releases(ctx, 10)
		if err != nil || len(list) != 2 || list[0].ID <= list[1].ID || list[0].Figures != nil {
			t.Errorf("releases = %+v %v", list, err)
		}

		// immutable: the database itself refuses to change or delete
		for _, q := range []string{
			"UPDATE stats_releases SET figures = '{}'",
			"UPDATE stats_releases SET synthetic = TRUE WHERE id = " + fmt.Sprint(rel.ID),
			"DELETE FROM stats_releases",
			"DELETE FROM stats_releases WHERE id = " + fmt.Sprint(rel.ID),
		} {
			if _, err := s.DB().ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "immutable") {
				t.Errorf("%s: %v", q, err)
			}
		}
		if s.Dialect() == store.Postgres {
			if _, err := s.DB().ExecContext(ctx, "TRUNCATE stats_releases"); err == nil {
				t.Error("TRUNCATE allowed")
			}
		}
		again, err := s.ReleaseByID(ctx, rel.ID)
		if err != nil || !bytes.Equal(again.JSON, wantJSON) {
			t.Errorf("release changed: %v", err)
		}
	})
}

func TestSeedDemo(t *testing.T) {
	casesEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if need, err := s.DemoNeeded(ctx); err != nil || !need {
			t.Fatalf("new database: demo needed = %v %v", need, err)
		}
		res, err := s.SeedDemo(ctx, store.DemoOptions{}, store.Audit{})
		if err != nil || !res.Seeded || res.Records != 4000 || !res.Release.Synthetic || res.Release.ID == 0 {
			t.Fatalf("seed: %+v %v", res, err)
		}
		res2, err := s.SeedDemo(ctx, store.DemoOptions{}, store.Audit{})
		if err != nil || res2.Seeded {
			t.Fatalf("second seed: %+v %v", res2, err)
		}
		c, _ := s.CountCases(ctx)
		if c.Total != 4000 || c.Synthetic != 4000 {
			t.Errorf("counts after two seeds = %+v", c)
		}
		list, _ := s.Releases(ctx, 0)
		if len(list) != 1 || !list[0].Synthetic {
			t.Errorf("releases after two seeds = %+v", list)
		}
		if need, _ := s.DemoNeeded(ctx); need {
			t.Error("demo still needed after seeding")
		}

		// real records are not mixed with demonstration ones
		if _, err := s.CreateCase(ctx, synthetic(1, 8)[0], store.Audit{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PreviewRelease(ctx, casestats.Params{}); !errors.Is(err, store.ErrMixedData) {
			t.Errorf("mixed preview: %v", err)
		}
		n, err := s.DeleteSyntheticCases(ctx, store.Audit{})
		if err != nil || n != 4000 {
			t.Fatalf("remove demo: %d %v", n, err)
		}
		if _, err := s.SeedDemo(ctx, store.DemoOptions{}, store.Audit{}); !errors.Is(err, store.ErrRealData) {
			t.Errorf("seeding over real data: %v", err)
		}
		if need, _ := s.DemoNeeded(ctx); need {
			t.Error("demo needed although records and a release exist")
		}
	})
}
