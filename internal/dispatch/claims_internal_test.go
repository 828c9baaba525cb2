package dispatch

import (
	"context"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// One letter twice in one coalesced claim (a retried batch and a job of
// its own, flushed together) is claimed for one of them only: the
// database updates the row once, and the second caller must not send.
func TestClaimFlushGivesALetterToOneCaller(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: "twice-" + time.Now().Format("150405.000000"), Title: "Twice",
			Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Live, Subject: "S", Template: "{{.salutation}}"},
			store.Audit{Action: "test.campaign"})
		if err != nil {
			t.Fatal(err)
		}
		sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: c.ID, EmailIndex: "twice", Lang: "en"},
			func(int64) (string, error) { return "-", nil })
		if err != nil {
			t.Fatal(err)
		}
		ids, err := st.CreateLetters(ctx, []store.NewLetter{{CampaignID: c.ID, SubmissionID: sub.ID, BioguideID: "P000197", OfficeCode: "HCA11",
			Chamber: "house", State: "CA", TemplateVer: 1, DeliveryID: "d-twice", ReplyToken: "r-twice",
			Seal: func(int64) (string, error) { return "x", nil }}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		w := NewWorker(st, nil, nil, nil, DefaultSettings(), nil, nil)
		now := time.Now()
		got, err := w.claims.flush(ctx, []store.Claim{{ID: ids[0], Channel: "sendgrid", At: now}, {ID: ids[0], Channel: "sendgrid", At: now}})
		if err != nil {
			t.Fatal(err)
		}
		if !got[0] || got[1] {
			t.Fatalf("claims of one letter twice in a flush: %v, want [true false]", got)
		}
		if ev, _ := st.Timeline(ctx, ids[0]); len(ev) != 2 {
			t.Errorf("timeline %+v: want created and one attempt", ev)
		}
	})
}
