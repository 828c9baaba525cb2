package dispatch_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestTwoProcessesShareTheQueue runs two River clients, each with its own
// connection pool, worker and SendGrid client (as two replicas would), on
// one PostgreSQL database and one queue of letters, against a fake
// SendGrid that now and then answers 503 or 429. Every letter must be
// accepted exactly once, and both replicas must have done work.
func TestTwoProcessesShareTheQueue(t *testing.T) {
	const n = 500
	ctx := context.Background()
	// Two stores are two connection pools to the same database.
	stA, stB := storetest.Postgres(t), storetest.Postgres(t)
	e := newEnv(t, stA)
	fake := deliverytest.NewSendGrid(t)
	settings := fastSettings(time.Minute, 50*time.Millisecond)
	wA := dispatch.NewWorker(stA, e.keys, []delivery.Sender{sgClient(t, fake, "SG.replica-a")}, campInfo(stA), settings, quiet(), nil)
	wB := dispatch.NewWorker(stB, e.keys, []delivery.Sender{sgClient(t, fake, "SG.replica-b")}, campInfo(stB), settings, quiet(), nil)
	a := newClient(t, stA, wA, 6, "replica-a")
	b := newClient(t, stB, wB, 6, "replica-b")

	// Letters and their jobs are written together, in batches, through
	// replica A's client.
	var ids []int64
	t0 := time.Now()
	letters := e.emailLetters(n, "R")
	for i := 0; i < n; i += 100 {
		got, err := stA.CreateLetters(ctx, letters[i:i+100], dispatch.Enqueuer{Client: a}.EnqueueTx)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	if len(ids) != n {
		t.Fatalf("created %d letters", len(ids))
	}
	for i, id := range ids {
		switch {
		case i%37 == 0:
			fake.Plan(id, deliverytest.ServerError(http.StatusServiceUnavailable))
		case i%53 == 0:
			fake.Plan(id, deliverytest.RateLimited(time.Now()))
		}
	}
	t1 := time.Now()
	start(t, a)
	start(t, b)

	eventually(t, 60*time.Second, "every letter to be sent", func() bool {
		c, err := stA.LetterCounts(ctx, e.camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c[delivery.StatusSent] == n
	})
	t2 := time.Now()
	waitJobsSettled(t, a, ids, 10*time.Second)
	t.Logf("created %d letters in %s, delivered in %s", n, t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond))

	perReplica := map[string]int{}
	for _, r := range fake.Requests(0) {
		if r.Accepted() {
			perReplica[r.APIKey]++
		}
	}
	for _, id := range ids {
		if got := fake.Accepted(id); got != 1 {
			t.Errorf("letter %d accepted %d times", id, got)
		}
	}
	if fake.AcceptedTotal() != n {
		t.Errorf("SendGrid accepted %d messages for %d letters", fake.AcceptedTotal(), n)
	}
	if perReplica["SG.replica-a"] == 0 || perReplica["SG.replica-b"] == 0 {
		t.Errorf("work was not shared: %v", perReplica)
	}
	t.Logf("accepted per replica: %v", perReplica)
}
