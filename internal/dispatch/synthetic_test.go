package dispatch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// A letter quoting the synthetic demonstration release is never handed to
// a real channel, even after the demonstration records are removed: it
// fails with the reason on its timeline, and SendGrid receives nothing.
// The demonstration campaign's letters go to the outbox although
// SendGrid is configured and first in the channel order.
func TestSyntheticFiguresNeverReachAnOffice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		demo, err := st.SeedDemo(ctx, store.DemoOptions{Records: 300}, store.Audit{Action: "test.seed"})
		if err != nil {
			t.Fatal(err)
		}
		if !demo.Release.Synthetic {
			// Another test of the package seeded first: use the latest release.
			rel, err := st.LatestRelease(ctx)
			if err != nil || !rel.Synthetic {
				t.Fatalf("no synthetic release: %+v %v", rel, err)
			}
			demo.Release = rel
		}
		synth := demo.Release.ID
		// remove-demo deletes the records; the release (immutable) stays,
		// and so does what the letters quote.
		if _, err := st.DeleteSyntheticCases(ctx, store.Audit{Action: "test.remove_demo"}); err != nil {
			t.Fatal(err)
		}

		e := newEnv(t, st)
		fake := deliverytest.NewSendGrid(t)
		settings := fastSettings(time.Second, 100*time.Millisecond)
		settings.Channels = []delivery.Channel{"sendgrid", outbox.Name}
		w := dispatch.NewWorker(st, e.keys, []delivery.Sender{sgClient(t, fake, "SG.test-key"), outbox.New(st, e.keys)}, campInfo(st), settings, quiet(), nil)
		client := newClient(t, st, w, 4, "")
		enq := dispatch.Enqueuer{Client: client}.EnqueueTx

		quoting := e.emailLetters(2, "Q")
		for i := range quoting {
			quoting[i].StatsReleaseID = &synth
		}
		bad, err := st.CreateLetters(ctx, quoting, enq)
		if err != nil || len(bad) != 2 {
			t.Fatalf("created %v, %v", bad, err)
		}
		good, err := st.CreateLetters(ctx, e.emailLetters(1, "R"), enq) // quotes no figure
		if err != nil || len(good) != 1 {
			t.Fatalf("created %v, %v", good, err)
		}

		// The demonstration campaign: outbox only, synthetic figures or not.
		dc, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: e.camp.Slug + "-demo", Title: "Demo", Targets: campaign.TargetBoth,
			LOCTopic: "Immigration", Status: campaign.Live, Demo: true, Subject: "Demo", Template: "Demo letter"}, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		de := *e
		de.camp = dc
		demoLetters := de.emailLetters(2, "D")
		demoLetters[0].StatsReleaseID = &synth
		demoIDs, err := st.CreateLetters(ctx, demoLetters, enq)
		if err != nil || len(demoIDs) != 2 {
			t.Fatalf("created %v, %v", demoIDs, err)
		}
		start(t, client)

		waitStatus(t, st, bad, delivery.StatusFailed)
		waitStatus(t, st, good, delivery.StatusSent)
		waitStatus(t, st, demoIDs, delivery.StatusOutbox)
		for _, id := range bad {
			if n := fake.Received(id); n != 0 {
				t.Errorf("letter %d quoting synthetic figures reached SendGrid %d times", id, n)
			}
			l := loadLetter(t, st, id)
			if !strings.Contains(l.LastError, "synthetic demonstration records") || !strings.Contains(l.LastError, "never sent to an office") {
				t.Errorf("letter %d reason = %q", id, l.LastError)
			}
			ev, _ := st.Timeline(ctx, id)
			if len(ev) == 0 || ev[len(ev)-1].Kind != "failed" || !strings.Contains(ev[len(ev)-1].Detail, "synthetic") {
				t.Errorf("letter %d timeline = %+v", id, ev)
			}
		}
		if fake.Received(good[0]) != 1 {
			t.Error("a letter quoting no figure did not go by SendGrid")
		}
		for _, id := range demoIDs {
			if n := fake.Received(id); n != 0 {
				t.Errorf("demonstration letter %d reached SendGrid", id)
			}
			if l := loadLetter(t, st, id); l.Channel != string(outbox.Name) {
				t.Errorf("demonstration letter %d went by %q", id, l.Channel)
			}
		}
	})
}
