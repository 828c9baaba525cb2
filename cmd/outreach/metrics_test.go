package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
)

// TestMetricsEndpoint: with OUTREACH_METRICS_ADDR, serve answers /metrics
// on that listener only, behind the token, with the request, database
// and queue series; the public site has no /metrics.
func TestMetricsEndpoint(t *testing.T) {
	const token = "scrape-token-0123456789"
	dir := t.TempDir()
	env := map[string]string{"OUTREACH_DATA_DIR": dir, "OUTREACH_ADDR": "127.0.0.1:0", "OUTREACH_LOG_LEVEL": "info",
		"OUTREACH_METRICS_ADDR": "127.0.0.1:0", "OUTREACH_METRICS_TOKEN": token, "OUTREACH_LOOKUP_LIMIT": "5"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- cmdServe(ctx, nil, func(k string) string { return env[k] }, io.Discard, logs) }()
	site := regexp.MustCompile(`msg="outreach ready" addr=(\S+)`)
	scrape := regexp.MustCompile(`msg="metrics listening" addr=(\S+)`)
	var base, murl string
	for deadline := time.Now().Add(90 * time.Second); base == "" || murl == ""; {
		if m := site.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
		}
		if m := scrape.FindStringSubmatch(logs.String()); m != nil {
			murl = "http://" + m[1] + "/metrics"
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", logs.String())
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	get := func(u, auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Five lookups a minute: the sixth and seventh are throttled.
	for i := range 7 {
		if code, _ := get(base+"/?q=94110", ""); (code == 200) != (i < 5) {
			t.Fatalf("lookup %d: %d", i+1, code)
		}
	}
	// A supporter sends letters to three offices; the workers put them in
	// the outbox (the demonstration campaign's channel).
	s, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dir, "outreach.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys, err := seal.LoadFile(filepath.Join(dir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	newDemoClient(t, base, s, keys, logs).sendDemoLetters()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		n, err := s.LetterCounts(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n["outbox"] == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("letters %v\n%s", n, logs.String())
		}
	}
	if code, _ := get(base+"/metrics", ""); code != http.StatusNotFound {
		t.Errorf("the public site answers /metrics: %d", code)
	}
	for _, auth := range []string{"", "Bearer wrong-token-0123456789", token} {
		if code, _ := get(murl, auth); code != http.StatusUnauthorized {
			t.Errorf("/metrics with Authorization %q: %d, want 401", auth, code)
		}
	}
	// Job timings arrive from the queue's events just after the jobs end.
	var code int
	var body string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, body = get(murl, "Bearer "+token)
		if code != 200 {
			t.Fatalf("/metrics: %d %s", code, body)
		}
		if strings.Contains(body, `outreach_job_seconds_count{kind="deliver_letter",outcome="completed",phase="run",queue="delivery"} 3`) || time.Now().After(deadline) {
			break
		}
	}
	value := func(series string) (float64, bool) {
		for _, line := range strings.Split(body, "\n") {
			if rest, ok := strings.CutPrefix(line, series+" "); ok {
				v, err := strconv.ParseFloat(rest, 64)
				return v, err == nil
			}
		}
		return 0, false
	}
	for series, want := range map[string]float64{
		`outreach_http_request_duration_seconds_count{code="2xx",method="GET",route="/"}`: 5,
		`outreach_http_request_duration_seconds_count{code="4xx",method="GET",route="/"}`: 2,
		`outreach_throttled_total{throttle="lookup"}`:                                     2,
		`outreach_letters{channel="outbox",status="outbox"}`:                              3,
		`outreach_provider_responses_total{channel="outbox",class="accepted"}`:            3,
	} {
		if v, ok := value(series); !ok || v != want {
			t.Errorf("%s = %v (%t), want %v", series, v, ok, want)
		}
	}
	if v, ok := value(`outreach_job_seconds_count{kind="deliver_letter",outcome="completed",phase="run",queue="delivery"}`); !ok || v != 3 {
		jobLines := regexp.MustCompile(`(?m)^outreach_job_seconds_count.*$`).FindAllString(body, -1)
		t.Errorf("delivery jobs timed: %v (%t); job series: %v", v, ok, jobLines)
	}
	if v, ok := value(`outreach_db_gauges_up`); !ok || v != 1 {
		t.Errorf("database gauges up = %v (%t)", v, ok)
	}
	// The demonstration release was published at start.
	if v, ok := value(`outreach_stats_release_age_seconds`); !ok || v < 0 || v > 600 {
		t.Errorf("release age = %v (%t)", v, ok)
	}
	for _, series := range []string{`outreach_queue_jobs{queue="delivery",state="available"} 0`, "go_goroutines "} {
		if !strings.Contains(body, series) {
			t.Errorf("no %q in /metrics", series)
		}
	}
	if strings.Contains(body, "94110") {
		t.Error("/metrics carries what a supporter typed")
	}
}

// TestWorkerServesMetrics: outreach worker, which has no web server,
// serves /metrics on its own listener too.
func TestWorkerServesMetrics(t *testing.T) {
	const token = "worker-scrape-token-0123"
	env := map[string]string{"OUTREACH_DATA_DIR": t.TempDir(), "OUTREACH_LOG_LEVEL": "info", "OUTREACH_DEMO": "false",
		"OUTREACH_METRICS_ADDR": "127.0.0.1:0", "OUTREACH_METRICS_TOKEN": token}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- cmdWorker(ctx, nil, func(k string) string { return env[k] }, io.Discard, logs) }()
	defer func() { cancel(); <-done }()
	scrape := regexp.MustCompile(`msg="metrics listening" addr=(\S+)`)
	var murl string
	for deadline := time.Now().Add(60 * time.Second); murl == ""; time.Sleep(20 * time.Millisecond) {
		if m := scrape.FindStringSubmatch(logs.String()); m != nil {
			murl = "http://" + m[1] + "/metrics"
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker serves no metrics:\n%s", logs.String())
		}
	}
	req, _ := http.NewRequest(http.MethodGet, murl, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `outreach_queue_jobs{queue="delivery",state="available"}`) {
		t.Errorf("worker /metrics: %d\n%.500s", resp.StatusCode, b)
	}
}
