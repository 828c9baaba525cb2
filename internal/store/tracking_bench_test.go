package store_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/tracking"
)

// BenchmarkResponseMetrics generates TRACKING_BENCH_LETTERS letters (default
// 1,000,000) over 541 offices, 3 channels and a year, with about one reply
// in five delivered letters, refreshes the rollups once, and then measures
// the dashboard's queries (uncached: the web layer's 30-second cache is not
// in the way) and reports p50/p99 per query. PostgreSQL only:
//
//	TEST_DATABASE_URL=... go test -run X -bench ResponseMetrics -benchtime 50x -timeout 30m ./internal/store
//
// TRACKING_BENCH_EXPLAIN=1 logs EXPLAIN (ANALYZE, BUFFERS) of each query.
func BenchmarkResponseMetrics(b *testing.B) {
	runMetricsBench(b, benchData(b), benchCampaign)
}

// benchData is the PostgreSQL store with the generated campaign
// (TRACKING_BENCH_LETTERS letters, default 1,000,000), made once.
func benchData(b *testing.B) *store.Store {
	n := 1_000_000
	if v := os.Getenv("TRACKING_BENCH_LETTERS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	s := storetest.Postgres(b)
	if benchCampaign == 0 {
		benchCampaign = benchSetup(b, s, n)
	}
	return s
}

// benchCampaign is the generated campaign, made once per process (the
// benchmark function runs more than once).
var benchCampaign int64

func benchSetup(b *testing.B, s *store.Store, n int) int64 {
	ctx := context.Background()
	u, err := s.CreateUser(ctx, auth.User{Email: uniq("bench") + "@example.org", Role: auth.Campaigner, PasswordHash: "x"}, store.Audit{Action: "user.create"})
	if err != nil {
		b.Fatal(err)
	}
	c, err := s.CreateCampaign(ctx, newCampaign(uniq("bench")), store.Audit{ActorID: u.ID})
	if err != nil {
		b.Fatal(err)
	}
	var offices []store.GenOffice
	parties := []string{"Democrat", "Republican", "Independent"}
	states := []string{"CA", "TX", "NY", "FL", "PA", "OH", "IL", "GA", "NC", "MI"}
	for i := 0; i < 541; i++ {
		ch := "house"
		if i < 100 {
			ch = "senate"
		}
		offices = append(offices, store.GenOffice{BioguideID: fmt.Sprintf("B%06d", i), OfficeCode: fmt.Sprintf("H%03d", i), Chamber: ch,
			State: states[i%len(states)], Party: parties[i%len(parties)]})
	}
	start := time.Now()
	nl, nr, err := s.GenerateTracking(ctx, store.TrackingGen{CampaignID: c.ID, Offices: offices, Channels: []string{"cwc", "sendgrid", "packet"},
		Letters: n, Now: time.Now().UTC(), Spread: 365 * 24 * time.Hour, FailEvery: 13, ReplyEvery: 4, SubstantiveEvery: 3,
		ReplyDays: []int{1, 3, 7, 12, 20, 35, 60, 90}, Batch: 2000})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d letters and %d responses in %s", nl, nr, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if err := s.RefreshRollups(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("full rollup refresh in %s", time.Since(start).Round(time.Millisecond))
	return c.ID
}

func runMetricsBench(b *testing.B, s *store.Store, campaignID int64) {
	ctx := context.Background()
	from := time.Now().AddDate(0, -6, 0).Format("2006-01")
	// A dashboard view asks for offices (the headline, party, chamber and
	// committee are added up from them), channels, sources and months;
	// the same view filtered to the House; and an API call with filters
	// and a period.
	queries := []store.MetricsQuery{
		{GroupBy: "office", CampaignID: campaignID}, {GroupBy: "month", CampaignID: campaignID},
		{GroupBy: "channel", CampaignID: campaignID}, {GroupBy: "source", CampaignID: campaignID},
		{GroupBy: "office", CampaignID: campaignID, Chamber: "house"}, {GroupBy: "month", CampaignID: campaignID, Chamber: "house"},
		{GroupBy: "channel", CampaignID: campaignID, Chamber: "house"}, {GroupBy: "source", CampaignID: campaignID, Chamber: "house"},
		{GroupBy: "state", CampaignID: campaignID, Chamber: "house", FromMonth: from},
	}
	views := []struct {
		name    string
		queries []int
	}{
		{"a dashboard view's queries together (office, month, channel; uncached)", []int{0, 1, 2}},
		{"a dashboard view's queries together (office, month, channel, source; uncached)", []int{0, 1, 2, 3}},
		{"a dashboard view filtered to the House (office, month, channel, source; uncached)", []int{4, 5, 6, 7}},
	}
	lat := make([][]time.Duration, len(queries))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for qi, q := range queries {
			t0 := time.Now()
			gs, err := s.ResponseMetrics(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			if q.GroupBy == "office" {
				gs = append(gs, store.MergeGroups(gs, func(g store.MetricGroup) string { return g.Party })...)
				gs = append(gs, store.MergeGroups(gs, func(g store.MetricGroup) string { return g.Chamber })...)
				gs = append(gs, store.MergeGroups(gs, func(g store.MetricGroup) string { return "" })...)
			}
			for _, g := range gs {
				c := tracking.KaplanMeier(g.Times)
				c.Median()
				c.Quantile(0.9)
			}
			lat[qi] = append(lat[qi], time.Since(t0))
		}
	}
	b.StopTimer()
	if b.N < 10 {
		return // the warm-up run: figures come from the real one
	}
	for qi, q := range queries {
		p50, p99 := pcts(lat[qi])
		b.Logf("group_by=%-8q filters(chamber=%q from=%q): p50 %s p99 %s", q.GroupBy, q.Chamber, q.FromMonth, p50, p99)
	}
	for _, v := range views {
		sum := make([]time.Duration, b.N)
		for _, qi := range v.queries {
			for i, d := range lat[qi] {
				sum[i] += d
			}
		}
		p50, p99 := pcts(sum)
		b.Logf("%s: p50 %s p99 %s", v.name, p50, p99)
	}
	if os.Getenv("TRACKING_BENCH_EXPLAIN") != "" {
		// what each query reads
		for _, q := range queries {
			query, args := store.MetricsSQL(q)
			for i := range args {
				query = strings.Replace(query, "?", "$"+strconv.Itoa(i+1), 1)
			}
			rows, err := s.DB().QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+query, args...)
			if err != nil {
				b.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					b.Fatal(err)
				}
				plan = append(plan, line)
			}
			rows.Close()
			b.Logf("EXPLAIN %+v\n%s", q, strings.Join(plan, "\n"))
		}
	}
	// a response write refreshes its office's rollups at once
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		n, err := s.LogResponse(ctx, store.ResponseLog{CampaignID: campaignID, BioguideID: fmt.Sprintf("B%06d", 200+i), AllOpen: true, Kind: "meeting",
			Substance: "substantive", OccurredAt: time.Now()}, store.Audit{Action: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("office-level response on %d open letters, office rollups refreshed: %s", n, time.Since(t0).Round(time.Millisecond))
	}
	// and a full refresh, as the schedule does every 10 minutes
	t0 := time.Now()
	if err := s.RefreshRollups(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("full rollup refresh (again, rollups in place): %s", time.Since(t0).Round(time.Millisecond))
}

func pcts(d []time.Duration) (time.Duration, time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(10 * time.Microsecond), s[min(len(s)-1, len(s)*99/100)].Round(10 * time.Microsecond)
}

// BenchmarkRefreshChangedRollups measures the minute tick's refresh of the
// offices whose letters changed since the last refresh (1 and 10 of the
// 541 offices, each with a new letter event), on the data set of
// BenchmarkResponseMetrics; benchSetup logs one full refresh to compare.
// PostgreSQL only:
//
//	TEST_DATABASE_URL=... TRACKING_BENCH_LETTERS=100000 go test -run X -bench RefreshChangedRollups -benchtime 5x ./internal/store
func BenchmarkRefreshChangedRollups(b *testing.B) {
	s := benchData(b)
	ctx := context.Background()
	var ids []int64
	for i := 0; i < 10; i++ {
		ls, err := s.Letters(ctx, store.LetterFilter{CampaignID: benchCampaign, OfficeCode: fmt.Sprintf("H%03d", i*50), Limit: 1})
		if err != nil || len(ls) == 0 {
			b.Fatalf("letters of office %d: %v %v", i*50, ls, err)
		}
		ids = append(ids, ls[0].ID)
	}
	for _, k := range []int{1, 10} {
		b.Run(fmt.Sprintf("offices=%d", k), func(b *testing.B) {
			if _, _, err := s.RefreshChangedRollups(ctx, 1000); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for _, id := range ids[:k] {
					if err := s.NoteEvent(ctx, id, "bench", "", "changed", time.Now()); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				got, full, err := s.RefreshChangedRollups(ctx, 1000)
				if err != nil || full || got < k {
					b.Fatalf("refreshed %d offices (full %v), want %d: %v", got, full, k, err)
				}
			}
		})
	}
}

// BenchmarkLetterCountsAndPacing measures the two queries that read a
// letter's status or send time from its row since migration 00036 took
// them out of the indexes (so that an acceptance is heap-only): a
// campaign's counts by status (staff pages), and an office's letters
// sent in the last hour (pacing, once every 5 seconds per office and
// worker), on the generated campaign:
//
//	TEST_DATABASE_URL=... go test -run X -bench LetterCountsAndPacing -timeout 30m ./internal/store
func BenchmarkLetterCountsAndPacing(b *testing.B) {
	s := benchData(b)
	ctx := context.Background()
	b.Run("campaign-counts", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.LetterCounts(ctx, benchCampaign); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("office-sent-since", func(b *testing.B) {
		since := time.Now().Add(-time.Hour)
		for b.Loop() {
			if _, err := s.OfficeSentSince(ctx, "H007", since); err != nil {
				b.Fatal(err)
			}
		}
	})
}
