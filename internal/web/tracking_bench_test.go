package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// BenchmarkDashboardAndMetricsAPI serves /admin/dashboard and the metrics
// API over loopback from a generated data set (TRACKING_BENCH_LETTERS,
// default 100,000 letters; PostgreSQL) and reports p50/p99 of page views,
// the first (uncached) view included in the samples.
//
//	TEST_DATABASE_URL=... go test -run X -bench DashboardAndMetricsAPI -benchtime 300x ./internal/web
func BenchmarkDashboardAndMetricsAPI(b *testing.B) {
	if benchDash.url == "" {
		benchDash = setupDashBench(b)
	}
	urls := []string{"/admin/dashboard?campaign=" + benchDash.camp, "/api/v1/metrics/response-rates?group_by=office&campaign=" + benchDash.camp,
		"/admin/dashboard?campaign=" + benchDash.camp + "&chamber=house&sort=median&dir=asc"}
	lat := make([][]time.Duration, len(urls))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, u := range urls {
			t0 := time.Now()
			code, _ := do(b, http.DefaultClient, http.MethodGet, benchDash.url+u, benchDash.token, "", "")
			if code != 200 {
				b.Fatalf("%s: %d", u, code)
			}
			lat[j] = append(lat[j], time.Since(t0))
		}
	}
	b.StopTimer()
	if b.N < 10 {
		return
	}
	for j, u := range urls {
		s := append([]time.Duration(nil), lat[j]...)
		sort.Slice(s, func(a, c int) bool { return s[a] < s[c] })
		b.Logf("%s: first %s, p50 %s, p99 %s, max %s", u, lat[j][0].Round(time.Microsecond), s[len(s)/2].Round(time.Microsecond),
			s[len(s)*99/100].Round(time.Microsecond), s[len(s)-1].Round(time.Microsecond))
	}
}

var benchDash struct{ url, token, camp string }

func setupDashBench(b *testing.B) struct{ url, token, camp string } {
	n := 100_000
	if v := os.Getenv("TRACKING_BENCH_LETTERS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	storetest.Postgres(b) // creates and migrates the package's database
	ctx := context.Background()
	// a store of its own: the server outlives this first benchmark run
	st, err := store.Open(ctx, store.Options{DatabaseURL: storetest.PostgresURL(b)})
	if err != nil {
		b.Fatal(err)
	}
	c, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: fmt.Sprintf("dash-bench-%d", time.Now().UnixNano()), Title: "Bench", Targets: campaign.TargetBoth,
		LOCTopic: "Immigration", Status: campaign.Live, Subject: "S", Template: "{{.salutation}},\n\nPlease act."}, store.Audit{Action: "test"})
	if err != nil {
		b.Fatal(err)
	}
	dir := directory(b)
	var offices []store.GenOffice
	for _, m := range dir.Members() {
		offices = append(offices, store.GenOffice{BioguideID: m.BioguideID, OfficeCode: "X" + m.BioguideID, Chamber: string(m.Chamber), State: m.State, Party: m.Party})
	}
	start := time.Now()
	nl, nr, err := st.GenerateTracking(ctx, store.TrackingGen{CampaignID: c.ID, Offices: offices, Channels: []string{"cwc", "sendgrid", "packet"},
		Letters: n, Now: time.Now().UTC(), FailEvery: 13, ReplyEvery: 4, SubstantiveEvery: 3, ReplyDays: []int{1, 3, 7, 12, 20, 35, 60, 90}, Batch: 2000})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.RefreshRollups(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d letters, %d responses, generated and rolled up in %s", nl, nr, time.Since(start).Round(time.Millisecond))
	srv, err := web.New(web.Deps{Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})), Store: st, Congress: dir})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler()) // lives as long as the process: the benchmark runs more than once
	u := addUser(b, st, fmt.Sprintf("org-%d@example.org", time.Now().UnixNano()), auth.Organizer)
	return struct{ url, token, camp string }{ts.URL, bearer(b, st, u), strconv.FormatInt(c.ID, 10)}
}
