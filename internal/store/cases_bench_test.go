package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// BenchmarkCreateRelease1M: a release over 1,000,000 synthetic case
// records on PostgreSQL (target: at most 2 s). Inserting the records is
// setup, outside the timing; every iteration computes and stores a release
// checked against the earlier ones.
func BenchmarkCreateRelease1M(b *testing.B) {
	s := casesPostgres(b)
	ctx := context.Background()
	start := time.Now()
	n, err := s.CreateCases(ctx, casestats.Synthetic(1_000_000, 2018), store.ImportOptions{}, store.Audit{})
	if err != nil || n != 1_000_000 {
		b.Fatal(n, err)
	}
	if _, err := s.DB().ExecContext(ctx, "VACUUM ANALYZE case_records"); err != nil {
		b.Fatal(err)
	}
	b.Logf("setup: 1,000,000 records inserted in %s", time.Since(start).Round(time.Millisecond))
	var rel store.Release
	for b.Loop() {
		rel, err = s.CreateRelease(ctx, store.ReleaseRequest{}, store.Audit{})
		if err != nil {
			b.Fatal(err)
		}
	}
	v, _ := rel.Figures.Value("cases")
	b.Logf("release %d: cases = %s", rel.ID, v)
}

// BenchmarkImportCSV100k: importing a 100,000-row CSV file (one
// transaction, batches of 1,000) into each database.
func BenchmarkImportCSV100k(b *testing.B) {
	var buf strings.Builder
	buf.WriteString(strings.Join(casestats.Fields, ",") + "\n")
	for r := range casestats.Synthetic(100_000, 7) {
		for i, f := range casestats.Fields {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(r.Get(f))
		}
		buf.WriteByte('\n')
	}
	body := buf.String()
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", casesPostgres}} {
		b.Run(db.name, func(b *testing.B) {
			s := db.open(b)
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				res, err := s.ImportCSV(ctx, strings.NewReader(body), store.ImportOptions{}, store.Audit{})
				if err != nil || res.Imported != 100_000 {
					b.Fatal(res.Errors, err)
				}
			}
			b.ReportMetric(float64(b.N)*100_000/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
