package cwc

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
)

// TestConnectionsAreReused: the client New makes (no http.Client given)
// keeps Config.Connections connections open between sends, so rounds of
// parallel letters reuse them instead of opening new ones.
func TestConnectionsAreReused(t *testing.T) {
	f := &fakeCWC{t: t, seen: map[string]bool{}, officesCode: http.StatusOK, officesBody: activeOfficesJSON}
	srv, opened := deliverytest.CountingServer(t, 5*time.Millisecond, http.HandlerFunc(f.serve))
	f.srv = srv
	const inFlight, rounds = 24, 5
	cfg := f.config()
	cfg.Timeout, cfg.Connections = 5*time.Second, inFlight
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for r := range rounds {
		var wg sync.WaitGroup
		for i := range inFlight {
			wg.Go(func() {
				m := testMessage("HCA11")
				m.DeliveryID = fmt.Sprintf("%s%02d%02d", m.DeliveryID[:28], r, i)
				if _, err := c.Send(context.Background(), m); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	if _, accepted, _ := f.counts(); accepted != inFlight*rounds {
		t.Errorf("the fake accepted %d letters, want %d", accepted, inFlight*rounds)
	}
	// Every send after the first round finds an idle connection; a few
	// more than inFlight may be opened when one is closed and replaced
	// mid-run (seen once in a hundred runs on a loaded box). Go's default
	// transport, two idle connections per host, opens about one per send.
	if n := opened.Load(); n > inFlight+inFlight/8 {
		t.Errorf("%d letters in %d rounds of %d opened %d connections; want at most %d", inFlight*rounds, rounds, inFlight, n, inFlight+inFlight/8)
	}
}
