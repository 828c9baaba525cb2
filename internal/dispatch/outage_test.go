package dispatch_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// pgProxy forwards TCP connections to PostgreSQL. While it is down every
// connection is cut and new ones are closed at once: what a client sees
// while the server restarts. (The server itself is shared by every test
// package on this machine, so the test restarts the path to it instead.)
type pgProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
	cut   int // connections cut by outages
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setDown(true) })
	go p.serve()
	return p
}

func (p *pgProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.mu.Unlock()
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		go pipe(s, c)
		go pipe(c, s)
	}
}

// setDown cuts every connection and refuses new ones (true), or lets
// connections through again (false).
func (p *pgProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
			p.cut++
		}
		clear(p.conns)
	}
}

// TestDeliverySurvivesPostgresRestart sends letters through a worker whose
// every database connection (its store and its River client) goes through
// pgProxy, and takes the database away for three seconds in the middle of
// sending. SendGrid's "processed" events arrive as they would from its
// webhook, a moment after each message is accepted. The worker must not
// die: once the database is back, every letter ends "sent", SendGrid took
// each exactly once (letters whose acceptance could not be recorded are
// settled by their processed event, not sent again), and letters created
// after the outage go out too.
func TestDeliverySurvivesPostgresRestart(t *testing.T) {
	const n = 3000
	ctx := context.Background()
	direct := storetest.Postgres(t)
	u, err := url.Parse(storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newPGProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	st, err := store.Open(ctx, store.Options{DatabaseURL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	e := newEnv(t, direct)
	fake := deliverytest.NewSendGrid(t)
	fake.Delay = time.Millisecond
	w := dispatch.NewWorker(st, e.keys, []delivery.Sender{sgClient(t, fake, "SG.outage")}, campInfo(st),
		fastSettings(10*time.Second, 200*time.Millisecond), quiet(), nil)
	workers := river.NewWorkers()
	dispatch.Register(workers, w)
	client, err := jobs.New(st.DB(), true, jobs.Options{
		Workers: workers, Queues: map[string]river.QueueConfig{dispatch.Queue: {MaxWorkers: 8}},
		Logger: quiet(), FetchPollInterval: 20 * time.Millisecond, JobTimeout: 2 * time.Second, RescueStuckJobsAfter: 3 * time.Second, ID: "outage",
	})
	if err != nil {
		t.Fatal(err)
	}
	inserter, err := jobs.New(direct.DB(), true, jobs.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	create := func(count int, prefix string) []int64 {
		var ids []int64
		letters := e.emailLetters(count, prefix)
		for i := 0; i < count; i += 500 {
			got, err := direct.CreateLetters(ctx, letters[i:min(i+500, count)], dispatch.Enqueuer{Client: inserter}.EnqueueTx)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got...)
		}
		return ids
	}
	ids := create(n, "O")

	// SendGrid's webhook: "processed" for each accepted message, shortly
	// after it was accepted, written through the direct connection (the
	// web process that receives webhooks is not the worker). SendGrid posts
	// events in batches from many senders at once, so the hook applies them
	// concurrently and only looks at requests it has not settled: written
	// one by one over the whole backlog, a loaded 2-core machine fell
	// behind the 10-second grace and the worker rightly sent again.
	stopHook := make(chan struct{})
	hookDone := make(chan struct{})
	go func() {
		defer close(hookDone)
		var next int                     // requests before this index are settled or refused
		var retry []deliverytest.Request // events whose write failed
		for {
			all := fake.Requests(0)
			todo := append(retry, all[next:]...)
			next, retry = len(all), nil
			var mu sync.Mutex
			var wg sync.WaitGroup
			sem := make(chan struct{}, 16)
			for _, r := range todo {
				if !r.Accepted() {
					continue
				}
				wg.Add(1)
				sem <- struct{}{}
				go func(r deliverytest.Request) {
					defer func() { <-sem; wg.Done() }()
					// As the webhook handler does: apply the event, then note the
					// message id on a letter that has none.
					if _, err := direct.ApplyProviderEvent(ctx, "processed-"+strconv.FormatInt(r.LetterID, 10), r.LetterID, "processed", "sent", "", time.Now()); err == nil &&
						direct.NoteProviderID(ctx, r.LetterID, r.MessageID) == nil {
						return
					}
					mu.Lock()
					retry = append(retry, r)
					mu.Unlock()
				}(r)
			}
			wg.Wait()
			select {
			case <-stopHook:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { close(stopHook); <-hookDone })

	start(t, client)
	eventually(t, 60*time.Second, "a third of the letters accepted", func() bool { return fake.AcceptedTotal() >= n/3 })
	before := fake.AcceptedTotal()
	proxy.setDown(true)
	time.Sleep(3 * time.Second) // the outage
	proxy.setDown(false)
	proxy.mu.Lock()
	cut := proxy.cut
	proxy.mu.Unlock()
	if after := fake.AcceptedTotal(); after >= n || cut == 0 {
		t.Fatalf("the outage missed the sending: %d of %d letters accepted by its end, %d connections cut", after, n, cut)
	}
	t.Logf("database away for 3 s after %d of %d letters were accepted (%d connections cut)", before, n, cut)

	waitSent := func(ids []int64) {
		eventually(t, 120*time.Second, "every letter sent", func() bool {
			got, err := direct.LettersByIDs(ctx, ids)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range got {
				if l.Status != delivery.StatusSent {
					return false
				}
			}
			return len(got) == len(ids)
		})
	}
	waitSent(ids)
	more := create(50, "P") // the worker still works
	waitSent(more)

	for _, id := range append(ids, more...) {
		if got := fake.Accepted(id); got != 1 {
			t.Errorf("letter %d accepted %d times", id, got)
		}
	}
	// Every letter has SendGrid's message id: from the worker, or from the
	// event when the acceptance was lost in the outage.
	all, err := direct.LettersByIDs(ctx, append(ids, more...))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range fake.Requests(0) {
		if r.Accepted() && all[r.LetterID].ProviderID != r.MessageID {
			t.Errorf("letter %d: provider id %q, SendGrid's %q", r.LetterID, all[r.LetterID].ProviderID, r.MessageID)
		}
	}
	if fake.AcceptedTotal() != n+50 {
		t.Errorf("SendGrid accepted %d messages for %d letters", fake.AcceptedTotal(), n+50)
	}
}
