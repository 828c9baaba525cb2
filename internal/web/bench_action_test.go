package web_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// benchServer runs the real server on loopback with a store, a live
// campaign and a statistics release.
func benchServer(b *testing.B, st *store.Store, slug string) (string, *seal.Keys, campaign.Campaign) {
	return benchServerDeps(b, st, slug, web.Deps{})
}

// benchServerDeps is benchServer with more dependencies (a job queue).
func benchServerDeps(b *testing.B, st *store.Store, slug string, deps web.Deps) (string, *seal.Keys, campaign.Campaign) {
	b.Helper()
	ctx := context.Background()
	if _, err := st.SeedDemo(ctx, store.DemoOptions{}, store.Audit{Action: "bench"}); err != nil {
		b.Fatal(err)
	}
	c, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: slug, Title: "Reunite separated families", SummaryEN: "Families were separated.",
		SummaryES: "Familias separadas.", CallToActionEN: "Write", CallToActionES: "Escriba", Targets: campaign.TargetBoth,
		LOCTopic: "Immigration", Status: campaign.Live, Subject: "Oversight", Template: demoTemplate}, store.Audit{Action: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	keys := seal.NewRandom()
	deps.Log, deps.Congress, deps.Store, deps.Keys = discard(), directory(b), st, keys
	deps.BaseURL = "http://act.example.org"
	s, err := web.New(deps)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Warm(ctx); err != nil { // as outreach serve does before it serves
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx, ln, 5*time.Second) }()
	b.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String(), keys, c
}

// BenchmarkCampaignPageLoopback is GET /c/{slug} throughput over loopback
// (campaign, release and progress count come from in-memory caches).
func BenchmarkCampaignPageLoopback(b *testing.B) {
	base, _, c := benchServer(b, storetest.SQLite(b), "bench-page")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	get := func() {
		resp, err := client.Get(base + "/c/" + c.Slug)
		if err != nil {
			b.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get() // warm the caches
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get()
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// atRate sends n requests at a fixed rate and returns the latencies.
func atRate(rate, n int, do func(i int) error) ([]time.Duration, int) {
	var mu sync.Mutex
	lat := make([]time.Duration, 0, n)
	errs := 0
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; i < n; i++ {
		<-tick.C
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t0 := time.Now()
			err := do(i)
			d := time.Since(t0)
			mu.Lock()
			lat = append(lat, d)
			if err != nil {
				errs++
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat, errs
}

func p(lat []time.Duration, q float64) time.Duration { return lat[int(float64(len(lat)-1)*q)] }

// BenchmarkCampaignPageAt1000rps measures latency percentiles of
// GET /c/{slug} at a steady 1,000 requests/s for 3 s, on SQLite and on
// PostgreSQL (run with -benchtime=1x; b.N is ignored).
func BenchmarkCampaignPageAt1000rps(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { campaignPageAt1000rps(b, storetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { campaignPageAt1000rps(b, storetest.Postgres(b)) })
}

func campaignPageAt1000rps(b *testing.B, st *store.Store) {
	base, _, c := benchServer(b, st, "bench-rate-"+strconv.FormatInt(time.Now().UnixNano()%1e6, 10))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	b.ResetTimer()
	lat, errs := atRate(1000, 3000, func(int) error {
		resp, err := client.Get(base + "/c/" + c.Slug)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	})
	b.ReportMetric(float64(p(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(errs), "errors")
}

// BenchmarkConfirmAt200rps measures confirming submissions (render three
// letters, store them, their delivery jobs, the supporter's copy email and
// its job in one transaction) at 200 confirmations/s for 3 s on
// PostgreSQL, after 1 s at the same rate that warms the caches and the
// connection pool (its percentiles are reported as warmup-p50/p99-ms). The
// web process inserts jobs; workers run elsewhere.
func BenchmarkConfirmAt200rps(b *testing.B) {
	st := storetest.Postgres(b)
	q, err := jobs.New(st.DB(), true, jobs.Options{Logger: discard()})
	if err != nil {
		b.Fatal(err)
	}
	base, keys, c := benchServerDeps(b, st, "bench-confirm-"+strconv.FormatInt(time.Now().UnixNano()%1e6, 10),
		web.Deps{Enqueue: dispatch.Enqueuer{Client: q}.EnqueueTx, Jobs: q})
	ctx := context.Background()
	const warm, n = 200, 600
	signer := action.NewSigner(keys.Index)
	tokens := make([]string, warm+n)
	for i := range tokens {
		f := action.Form{Prefix: "Ms.", FirstName: "Ana", LastName: "García", Email: "bench" + strconv.Itoa(i) + "@example.org",
			Address1: "3200 24th St", City: "San Francisco", State: "CA", ZIP: "94110", Note: "Families belong together."}
		sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: c.ID, EmailIndex: keys.Index("email", f.Email), Lang: "en"},
			func(id int64) (string, error) {
				return keys.SealJSON(map[string]any{"form": f, "lang": "en"}, "submission:"+strconv.FormatInt(id, 10))
			})
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = signer.Sign("confirm", strconv.FormatInt(sub.ID, 10), time.Now().Add(time.Hour))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	confirm := func(i int) error {
		req, _ := http.NewRequest(http.MethodPost, base+"/c/"+c.Slug+"/confirm", strings.NewReader(url.Values{"t": {tokens[i]}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return io.ErrUnexpectedEOF
		}
		return nil
	}
	wlat, werrs := atRate(200, warm, confirm)
	b.ResetTimer()
	lat, errs := atRate(200, n, func(i int) error { return confirm(warm + i) })
	b.ReportMetric(float64(p(wlat, 0.5).Microseconds())/1000, "warmup-p50-ms")
	b.ReportMetric(float64(p(wlat, 0.99).Microseconds())/1000, "warmup-p99-ms")
	b.ReportMetric(float64(p(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(errs+werrs), "errors")
	b.ReportMetric(float64(st.DB().Stats().MaxIdleClosed), "conns-closed")
	done := warm + n - errs - werrs
	if counts, _ := st.LetterCounts(ctx, c.ID); counts["pending"] != 3*int64(done) {
		b.Errorf("letters: %v, want %d pending", counts, 3*done)
	}
	var mailJobs int
	if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM river_job WHERE kind = 'supporter_email'").Scan(&mailJobs); err != nil || mailJobs != done {
		b.Errorf("%d supporter-mail jobs (the copy) for %d confirmations (%v)", mailJobs, done, err)
	}
}
