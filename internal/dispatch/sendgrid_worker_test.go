package dispatch_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestSendGridDeliveryFaults runs the real worker and the real SendGrid
// adapter against a local fake SendGrid, one letter per kind of answer:
// accepted; rate limited (429 with X-RateLimit-Reset); server errors;
// refused (400) and then requeued by staff; and two connections dropped
// after SendGrid read the request, one where SendGrid took the message
// (a "processed" event arrives) and one where it did not (no event: sent
// again once the grace window is over).
func TestSendGridDeliveryFaults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const grace, base = 3 * time.Second, 150 * time.Millisecond
		e := newEnv(t, st)
		fake := deliverytest.NewSendGrid(t)
		w := dispatch.NewWorker(st, e.keys, []delivery.Sender{sgClient(t, fake, "SG.test-key")}, campInfo(st), fastSettings(grace, base), quiet(), nil)
		client := newClient(t, st, w, 4, "")
		enq := dispatch.Enqueuer{Client: client}.EnqueueTx

		ids, err := st.CreateLetters(ctx, e.emailLetters(6, "F"), enq)
		if err != nil || len(ids) != 6 {
			t.Fatalf("created %v, %v", ids, err)
		}
		ok, limited, flaky, refused, lostReply, lostRequest := ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]
		reset := time.Now().Add(2 * time.Second)
		fake.Plan(limited, deliverytest.RateLimited(reset))
		fake.Plan(flaky, deliverytest.ServerError(http.StatusInternalServerError), deliverytest.ServerError(http.StatusServiceUnavailable))
		const why = "The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved."
		fake.Plan(refused, deliverytest.Rejected(http.StatusBadRequest, why, "from"))
		fake.Plan(lostReply, deliverytest.DropAfterAccept())
		fake.Plan(lostRequest, deliverytest.DropBeforeAccept())
		start(t, client)

		// Both dropped connections leave the letter "sending" with the
		// unknown outcome on its timeline.
		for _, id := range []int64{lostReply, lostRequest} {
			eventually(t, 5*time.Second, "the dropped connection to be recorded", func() bool {
				k, _ := timeline(t, st, id)
				return strings.HasPrefix(k, "created,attempt,unknown")
			})
			if l := loadLetter(t, st, id); l.Status != delivery.StatusSending || l.SendingSince == nil || time.Since(*l.SendingSince) > grace/2 {
				t.Fatalf("letter %d after a dropped connection: %s since %v (grace %s)", id, l.Status, l.SendingSince, grace)
			}
		}
		// SendGrid's "processed" event (by letter id) settles the one it took.
		if applied, err := st.ApplyProviderEvent(ctx, "evt-processed-"+strconv.FormatInt(lostReply, 10), lostReply, "processed", "sent", "", time.Now()); err != nil || !applied {
			t.Fatalf("processed event: %v %v", applied, err)
		}
		if l := loadLetter(t, st, lostReply); l.Status != delivery.StatusSent {
			t.Errorf("after the processed event: %s", l.Status)
		}
		// Halfway through the grace window nothing has been sent again.
		sendingSince := *loadLetter(t, st, lostRequest).SendingSince
		time.Sleep(time.Until(sendingSince.Add(grace / 2)))
		if n := fake.Received(lostRequest); n != 1 || loadLetter(t, st, lostRequest).Status != delivery.StatusSending {
			t.Fatalf("letter resent before the grace window: %d requests", n)
		}

		// Accepted at once: sent, with SendGrid's message id recorded.
		waitStatus(t, st, []int64{ok}, delivery.StatusSent)
		l := loadLetter(t, st, ok)
		reqs := fake.Requests(ok)
		if len(reqs) != 1 || l.ProviderID == "" || l.ProviderID != reqs[0].MessageID || l.Channel != "sendgrid" || l.SentAt == nil || l.Attempts != 1 {
			t.Errorf("accepted letter: %+v, requests %+v", l, reqs)
		}
		m := reqs[0].Mail
		if m.CustomArgs["letter_id"] != strconv.FormatInt(ok, 10) || m.Personalizations[0].To[0].Email != officeEmail("HCA11") ||
			m.From.Name != "Ana García via Families Together" || m.ReplyTo == nil || !strings.HasPrefix(m.ReplyTo.Email, "reply+"+l.ReplyToken+"@") {
			t.Errorf("mail as SendGrid saw it: %+v", m)
		}
		if kinds, _ := timeline(t, st, ok); kinds != "created,attempt,sent" {
			t.Errorf("accepted letter timeline = %s", kinds)
		}

		// Refused for good: failed at once, SendGrid's reason on the timeline.
		waitStatus(t, st, []int64{refused}, delivery.StatusFailed)
		kinds, ev := timeline(t, st, refused)
		if kinds != "created,attempt,failed" || !strings.Contains(ev[2].Detail, "verified Sender Identity") || !strings.Contains(ev[2].Detail, "(from)") {
			t.Errorf("refused letter timeline = %s %+v", kinds, ev)
		}
		if l := loadLetter(t, st, refused); !strings.Contains(l.LastError, "status 400") || fake.Received(refused) != 1 {
			t.Errorf("refused letter: %q, %d requests", l.LastError, fake.Received(refused))
		}

		// Rate limited: back to queued until SendGrid's reset time.
		eventually(t, 5*time.Second, "the 429 to be recorded", func() bool { k, _ := timeline(t, st, limited); return strings.Contains(k, "retry") })
		if _, ev := timeline(t, st, limited); ev[2].Kind != "retry" || ev[2].Status != delivery.StatusQueued || !strings.Contains(ev[2].Detail, "429") {
			t.Errorf("rate-limited letter: %+v", ev[2])
		}

		// Staff requeue the refused letter (after fixing the sender): sent.
		requeued, err := st.Requeue(ctx, []int64{refused}, enq, store.Audit{Action: "test.requeue"})
		if err != nil || len(requeued) != 1 {
			t.Fatalf("requeue: %v %v", requeued, err)
		}

		waitStatus(t, st, ids, delivery.StatusSent)
		waitJobsSettled(t, client, ids, 3*grace)

		want := map[int64]struct {
			received int
			timeline string
		}{
			ok:          {1, "created,attempt,sent"},
			limited:     {2, "created,attempt,retry,attempt,sent"},
			flaky:       {3, "created,attempt,retry,attempt,retry,attempt,sent"},
			refused:     {2, "created,attempt,failed,requeue,attempt,sent"},
			lostReply:   {1, "created,attempt,unknown,event"},
			lostRequest: {2, "created,attempt,unknown,attempt,sent"},
		}
		for id, w := range want {
			if got := fake.Accepted(id); got != 1 {
				t.Errorf("letter %d accepted %d times by SendGrid", id, got)
			}
			if got := fake.Received(id); got != w.received {
				t.Errorf("letter %d: %d requests, want %d", id, got, w.received)
			}
			if kinds, _ := timeline(t, st, id); kinds != w.timeline {
				t.Errorf("letter %d timeline = %s, want %s", id, kinds, w.timeline)
			}
		}
		// The retry after a 429 waited for the reset second.
		if r := fake.Requests(limited); len(r) == 2 && r[1].At.Before(time.Unix(reset.Unix(), 0)) {
			t.Errorf("retried at %s, before the rate limit reset %s", r[1].At, time.Unix(reset.Unix(), 0))
		}
		// Server errors back off: at least 75% of base, then of 2×base.
		if r := fake.Requests(flaky); len(r) == 3 {
			if d := r[1].At.Sub(r[0].At); d < base*3/4 {
				t.Errorf("first retry after %s, backoff base %s", d, base)
			}
			if d := r[2].At.Sub(r[1].At); d < 2*base*3/4 {
				t.Errorf("second retry after %s, backoff base %s", d, base)
			}
		}
		// The lost request was sent again only after the grace window.
		if r := fake.Requests(lostRequest); len(r) == 2 && r[1].At.Sub(r[0].At) < grace {
			t.Errorf("resent %s after the first attempt, grace %s", r[1].At.Sub(r[0].At), grace)
		}
		if l := loadLetter(t, st, lostRequest); l.ProviderID != fake.Requests(lostRequest)[1].MessageID || l.Attempts != 2 {
			t.Errorf("resent letter: %+v", l)
		}
	})
}

// Without SendGrid's event webhook no "processed" event can ever settle an
// unknown outcome: once the grace window is over the letter is failed with
// the reason, for staff to check SendGrid's activity feed, and it is not
// sent again.
func TestUnknownOutcomeWithoutWebhookGoesToStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		fake := deliverytest.NewSendGrid(t)
		settings := fastSettings(500*time.Millisecond, 100*time.Millisecond)
		settings.NoProviderEvents = true
		w := dispatch.NewWorker(st, e.keys, []delivery.Sender{sgClient(t, fake, "SG.no-webhook")}, campInfo(st), settings, quiet(), nil)
		client := newClient(t, st, w, 2, "")
		ids, err := st.CreateLetters(ctx, e.emailLetters(2, "U"), dispatch.Enqueuer{Client: client}.EnqueueTx)
		if err != nil || len(ids) != 2 {
			t.Fatalf("created %v, %v", ids, err)
		}
		lost, fine := ids[0], ids[1]
		fake.Plan(lost, deliverytest.DropAfterAccept())
		start(t, client)
		waitStatus(t, st, []int64{lost}, delivery.StatusFailed)
		waitStatus(t, st, []int64{fine}, delivery.StatusSent)
		l := loadLetter(t, st, lost)
		if !strings.Contains(l.LastError, "activity feed") {
			t.Errorf("failed without the reason: %q", l.LastError)
		}
		if kinds, _ := timeline(t, st, lost); kinds != "created,attempt,unknown,failed" {
			t.Errorf("timeline %s", kinds)
		}
		if n := fake.Received(lost); n != 1 {
			t.Errorf("letter with an unknown outcome sent %d times", n)
		}
	})
}

// A letter that was sent (its job completed) and then bounced can be
// requeued by staff: the new job is not taken for a duplicate of the
// completed one, and the letter goes out again.
func TestRequeueAfterBounceSendsAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		fake := deliverytest.NewSendGrid(t)
		w := dispatch.NewWorker(st, e.keys, []delivery.Sender{sgClient(t, fake, "SG.requeue")}, campInfo(st), fastSettings(time.Minute, 100*time.Millisecond), quiet(), nil)
		client := newClient(t, st, w, 2, "")
		enq := dispatch.Enqueuer{Client: client}.EnqueueTx
		ids, err := st.CreateLetters(ctx, e.emailLetters(1, "Q"), enq)
		if err != nil || len(ids) != 1 {
			t.Fatalf("created %v, %v", ids, err)
		}
		id := ids[0]
		start(t, client)
		waitStatus(t, st, ids, delivery.StatusSent)
		waitJobsSettled(t, client, ids, 10*time.Second)
		if _, err := st.ApplyProviderEvent(ctx, "evt-bounce-"+strconv.FormatInt(id, 10), id, "bounce", delivery.StatusBounced, ": mailbox full", time.Now()); err != nil {
			t.Fatal(err)
		}
		if got, err := st.Requeue(ctx, ids, enq, store.Audit{Action: "test.requeue"}); err != nil || len(got) != 1 {
			t.Fatalf("requeue %v, %v", got, err)
		}
		waitStatus(t, st, ids, delivery.StatusSent)
		if n := fake.Accepted(id); n != 2 {
			t.Errorf("requeued letter accepted %d times, want 2 (once, then again after the bounce)", n)
		}
	})
}
