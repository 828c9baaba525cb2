package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestMailingUnsubscribes: an unsubscribe through a mailing's link counts
// once for that mailing, only when it took the supporter off the list;
// one through another link (or a mailing that does not exist) counts for
// no mailing and still unsubscribes.
func TestMailingUnsubscribes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		m, err := s.CreateMailing(ctx, store.Mailing{Name: "M", SubjectEN: "S", BodyEN: "B", Segment: "{}", Status: store.MailingDraft}, store.Audit{Action: "test"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		u := campaignUser(t, s)
		c, err := s.CreateCampaign(ctx, newCampaign(uniq("unsub")), store.Audit{ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := joinViaAction(t, s, c.ID, "CA", 12, "", "en")
		b, _ := joinViaAction(t, s, c.ID, "CA", 13, "", "en")
		d, _ := joinViaAction(t, s, c.ID, "CA", 14, "", "en")
		count := func() int {
			p, err := s.MailingProgress(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			return p.Unsubscribed
		}
		for _, step := range []struct {
			idx     string
			mailing int64
			want    int
		}{
			{a, m.ID, 1},      // through the mailing
			{a, m.ID, 1},      // the same link again: already off the list
			{b, 0, 1},         // another link (a confirmation email's)
			{b, m.ID, 1},      // then the mailing's: already off the list
			{d, m.ID + 99, 1}, // a mailing that does not exist
			{uniq("nobody"), m.ID, 1},
		} {
			if err := s.UnsubscribeVia(ctx, step.idx, "unsubscribe", step.mailing); err != nil {
				t.Fatal(err)
			}
			if got := count(); got != step.want {
				t.Errorf("after %s via %d: %d unsubscribes, want %d", step.idx, step.mailing, got, step.want)
			}
		}
		for _, idx := range []string{a, b, d} {
			if sp, err := s.SupporterByIndex(ctx, idx); err != nil || sp.Sendable() {
				t.Errorf("%s still sendable: %+v %v", idx, sp, err)
			}
		}
	})
}

// TestMailingSegmentMigration: migration 00034 renames the segment key
// no_reply_campaign_id of mailings stored before it to the supporter
// list's not_replied_campaign_id (and back down), and adds the table of
// unsubscribes; the schema ends as it started.
func TestMailingSegmentMigration(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		before := schema(t, st)
		p := migrationsOf(t, st)
		if _, err := p.DownTo(ctx, 33); err != nil {
			t.Fatalf("down: %v", err)
		}
		if _, ok := schema(t, st)["mailing_unsubscribes"]; ok {
			t.Fatal("mailing_unsubscribes after down")
		}
		now := time.Now().UTC()
		old := `{"campaign_id":3,"states":["CA"],"no_reply_campaign_id":5,"not_written_campaign_id":3}`
		if _, err := st.DB().ExecContext(ctx, "INSERT INTO mailings (name, subject_en, body_en, segment, status, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
			"Old", "S", "B", old, store.MailingScheduled, now, now); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if after := schema(t, st); !reflect.DeepEqual(before, after) {
			t.Errorf("schema changed:\nbefore %v\nafter  %v", before, after)
		}
		ms, err := st.Mailings(ctx, 10)
		if err != nil || len(ms) != 1 {
			t.Fatal(ms, err)
		}
		if want := `{"campaign_id":3,"states":["CA"],"not_replied_campaign_id":5,"not_written_campaign_id":3}`; ms[0].Segment != want {
			t.Errorf("segment after the migration = %s, want %s", ms[0].Segment, want)
		}
	})
}
