package signon_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/signon"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// TestTickDeliversWhenDue: the tick leaves a scheduled letter alone before
// its time and delivers it, one letter per office, once the time has come.
func TestTickDeliversWhenDue(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dir, c := closedSignOn(t, st, "tick")
		sig, err := st.CreateSignatory(ctx, store.Submission{CampaignID: c.ID, EmailIndex: "e", Lang: "en"}, func(int64) (string, error) { return "", nil },
			store.Signatory{Organization: "Florence Project", City: "Tucson", State: "AZ", NameKey: "florence project"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.ConfirmSignatory(ctx, c.ID, sig.SubmissionID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ReviewSignatory(ctx, c.ID, sig.ID, store.SignApproved, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(time.Hour)
		if err := st.ScheduleSignOn(ctx, c.ID, &at, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		w := &signon.TickWorker{Due: st, Now: func() time.Time { return now },
			D: &signon.Deliverer{Store: st, Keys: seal.NewRandom(), Congress: dir, OrgName: "Families Together", StatsURL: "https://x.example/stats"}}
		if err := w.Work(ctx, &river.Job[signon.TickArgs]{}); err != nil {
			t.Fatal(err)
		}
		if d, _ := st.SignOnDeliveryOf(ctx, c.ID); d.DeliveredAt != nil {
			t.Fatal("delivered before its time")
		}
		now = at.Add(time.Minute)
		if err := w.Work(ctx, &river.Job[signon.TickArgs]{}); err != nil {
			t.Fatal(err)
		}
		if d, _ := st.SignOnDeliveryOf(ctx, c.ID); d.DeliveredAt == nil || d.Letters != 2 || d.Signatories != 1 {
			t.Errorf("after its time: %+v", d)
		}
	})
}

// TestTickRefusalUnschedules: a scheduled delivery that cannot be made
// (no organization approved) is unscheduled once, with its reason kept for
// staff, instead of being tried (and logged) every minute; scheduling
// again clears the reason.
func TestTickRefusalUnschedules(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dir, c := closedSignOn(t, st, "refused")
		at := time.Now().Add(time.Hour)
		if err := st.ScheduleSignOn(ctx, c.ID, &at, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		now := at.Add(time.Minute)
		w := &signon.TickWorker{Due: st, Now: func() time.Time { return now },
			D: &signon.Deliverer{Store: st, Keys: seal.NewRandom(), Congress: dir, OrgName: "Families Together", StatsURL: "https://x.example/stats"}}
		if err := w.Work(ctx, &river.Job[signon.TickArgs]{}); err != nil {
			t.Fatal(err)
		}
		d, err := st.SignOnDeliveryOf(ctx, c.ID)
		if err != nil || d.DeliveredAt != nil || d.DeliverAt != nil || d.Refused == "" || d.RefusedAt == nil || d.RefusedAt.Sub(now).Abs() > time.Millisecond {
			t.Fatalf("after a refused tick: %+v, %v", d, err)
		}
		if due, err := st.DueSignOns(ctx, now.Add(time.Hour)); err != nil || len(due) != 0 {
			t.Errorf("still due after the refusal: %v, %v", due, err)
		}
		again := now.Add(time.Hour)
		if err := st.ScheduleSignOn(ctx, c.ID, &again, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		if d, _ := st.SignOnDeliveryOf(ctx, c.ID); d.Refused != "" || d.RefusedAt != nil || d.DeliverAt == nil {
			t.Errorf("scheduled again: %+v", d)
		}
	})
}

// closedSignOn is a sign-on letter to the Judiciary Committee's leaders
// whose sign-ons closed a minute ago.
func closedSignOn(t *testing.T, st *store.Store, slug string) (*congress.Directory, campaign.Campaign) {
	t.Helper()
	dir, err := congress.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	ends := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	c, err := st.CreateCampaign(context.Background(), campaign.Campaign{Kind: campaign.SignOn, Slug: slug, Title: "T", SummaryEN: "S", CallToActionEN: "C",
		Targets: campaign.Targets{{Kind: campaign.RuleLeaders, Committee: "SSJU"}}, LOCTopic: "Immigration", Status: campaign.Closed, EndsAt: &ends,
		Subject: "Hearings", Template: "{{.salutation}},\n\nHold hearings."}, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return dir, c
}
