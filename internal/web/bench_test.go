package web_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// serveLoopback runs the real server on a loopback port.
func serveLoopback(tb testing.TB) string {
	tb.Helper()
	s, err := web.New(web.Deps{Log: discard(), Congress: directory(tb), DB: downDB{}})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, 5*time.Second) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// BenchmarkAPIRepresentativesLoopback measures requests per second over
// real TCP on loopback with keep-alive clients, as wrk would.
func BenchmarkAPIRepresentativesLoopback(b *testing.B) {
	loopbackRate(b, serveLoopback(b), "/api/v1/representatives?zip=94110")
}

// BenchmarkLookupPageLoopback does the same for the HTML results page.
func BenchmarkLookupPageLoopback(b *testing.B) {
	loopbackRate(b, serveLoopback(b), "/?q=94110")
}

// BenchmarkStartupToReady is what `outreach serve` does before it accepts
// connections: load the congress data, open and migrate SQLite, build the
// server and its templates.
func BenchmarkStartupToReady(b *testing.B) {
	for i := 0; i < b.N; i++ {
		dir, err := congress.LoadEmbedded()
		if err != nil {
			b.Fatal(err)
		}
		st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(b.TempDir(), "o.db")})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Migrate(context.Background(), discard()); err != nil {
			b.Fatal(err)
		}
		if _, err := web.New(web.Deps{Log: discard(), Congress: dir, DB: st}); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}

func TestGracefulShutdown(t *testing.T) {
	base := serveLoopback(t) // Cleanup cancels and checks Serve returns nil
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
}

// loopbackRate runs GETs of path from 16 parallel keep-alive clients and
// reports requests per second.
func loopbackRate(b *testing.B, base, path string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	// Before the server shuts down (cleanups run last first), so that
	// its graceful shutdown does not wait on our keep-alive connections.
	b.Cleanup(client.CloseIdleConnections)
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(base + path)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkHelloWorldLoopback is the ceiling the public pages are
// compared with: a net/http server that answers a constant, measured the
// same way on the same machine.
func BenchmarkHelloWorldLoopback(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello, world\n")
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	loopbackRate(b, "http://"+ln.Addr().String(), "/")
}

// BenchmarkStatsPageLoopback: /stats with a published release.
func BenchmarkStatsPageLoopback(b *testing.B) {
	st := storetest.SQLite(b)
	if _, err := st.SeedDemo(context.Background(), store.DemoOptions{}, store.Audit{Action: "bench"}); err != nil {
		b.Fatal(err)
	}
	s, err := web.New(web.Deps{Log: discard(), Congress: directory(b), Store: st})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, 5*time.Second) }()
	b.Cleanup(func() { cancel(); <-done })
	loopbackRate(b, "http://"+ln.Addr().String(), "/stats")
}
