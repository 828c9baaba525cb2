package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// A letter kept in the outbox reached no office: it is never counted as
// sent or delivered, not in the public progress count, not in the
// response dashboards (so no reply rate is worked out over it).
func TestOutboxLettersAreNeverCountedDelivered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := trackLetters(t, s, 3)
		now := time.Now().UTC()
		var sent []store.Sent
		for _, id := range append(f.a, f.b[0]) {
			sent = append(sent, store.Sent{ID: id, Channel: "outbox", ProviderID: "outbox-1", Detail: "stored in the outbox", Kept: true, At: now})
		}
		// One letter really delivered, in the same batch.
		sent = append(sent, store.Sent{ID: f.b[1], Channel: "sendgrid", ProviderID: "sg-1", Detail: "accepted", Delivered: true, At: now})
		if err := s.MarkManySent(ctx, sent); err != nil {
			t.Fatal(err)
		}
		for _, id := range append(f.a, f.b[0]) {
			l, err := s.LetterByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if l.Status != "outbox" || l.DeliveredAt != nil {
				t.Errorf("letter %d kept in the outbox: status %q, delivered at %v", id, l.Status, l.DeliveredAt)
			}
		}
		if l, _ := s.LetterByID(ctx, f.b[1]); l.Status != "delivered" {
			t.Errorf("delivered letter: status %q", l.Status)
		}
		if n, err := s.CampaignLetterCount(ctx, f.campaignID); err != nil || n != 1 {
			t.Errorf("public count = %d, %v; want 1 (only the delivered letter)", n, err)
		}
		if err := s.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		gs, err := s.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "office", CampaignID: f.campaignID})
		if err != nil {
			t.Fatal(err)
		}
		if a := groupOf(t, gs, "A000001"); a.Delivered != 0 || a.Failed != 0 {
			t.Errorf("office A (all in the outbox) %+v", a)
		}
		if b := groupOf(t, gs, "B000002"); b.Delivered != 1 {
			t.Errorf("office B (one delivered, one in the outbox) %+v", b)
		}
	})
}
