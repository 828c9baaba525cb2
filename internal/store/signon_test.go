package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

func signOnCampaign(t *testing.T, s *store.Store) campaign.Campaign {
	t.Helper()
	c, err := s.CreateCampaign(context.Background(), campaign.Campaign{Kind: campaign.SignOn, Slug: "judiciary-signon", Title: "Sign-on",
		SummaryEN: "S", CallToActionEN: "C", Targets: campaign.Targets{{Kind: campaign.RuleLeaders, Committee: "SSJU"}}, LOCTopic: "Immigration",
		Status: campaign.Live, Subject: "Oversight", Template: "{{.salutation}},\n\nPlease hold hearings."}, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sign(t *testing.T, s *store.Store, c campaign.Campaign, org, email string) store.Signatory {
	t.Helper()
	sig, err := s.CreateSignatory(context.Background(), store.Submission{CampaignID: c.ID, EmailIndex: "idx:" + email, Lang: "en"},
		func(int64) (string, error) { return "sealed", nil }, store.Signatory{Organization: org, City: "Tucson", State: "AZ", NameKey: org}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestSignatoryLifecycle: a signature is unconfirmed until its link is
// followed, then waits for staff; staff approve, reject and merge
// duplicates, with an audit entry each; an unconfirmed one cannot be
// approved; confirming twice is ErrAlreadyDone.
func TestSignatoryLifecycle(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := signOnCampaign(t, s)
		if c.Kind != campaign.SignOn {
			t.Fatalf("kind %q", c.Kind)
		}
		a := sign(t, s, c, "florence project", "a@x.org")
		b := sign(t, s, c, "florence project", "b@x.org")
		u := sign(t, s, c, "al otro lado", "c@y.org")
		if a.Status != store.SignUnconfirmed {
			t.Fatalf("new signatory is %s", a.Status)
		}
		var st *store.ErrSignatoryState
		if _, err := s.ReviewSignatory(ctx, c.ID, u.ID, store.SignApproved, store.Audit{}); !errors.As(err, &st) {
			t.Errorf("approving an unconfirmed signatory: %v", err)
		}
		for _, x := range []store.Signatory{a, b} {
			got, err := s.ConfirmSignatory(ctx, c.ID, x.SubmissionID, time.Now())
			if err != nil || got.Status != store.SignPending {
				t.Fatalf("confirm: %+v %v", got, err)
			}
		}
		if _, err := s.ConfirmSignatory(ctx, c.ID, a.SubmissionID, time.Now()); !errors.Is(err, store.ErrAlreadyDone) {
			t.Errorf("second confirmation: %v", err)
		}
		if _, err := s.ConfirmSignatory(ctx, c.ID+1, u.SubmissionID, time.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("confirmation on another campaign: %v", err)
		}
		if _, err := s.ReviewSignatory(ctx, c.ID, a.ID, store.SignApproved, store.Audit{ActorID: 0}); err != nil {
			t.Fatal(err)
		}
		if err := s.MergeSignatories(ctx, c.ID, a.ID, b.ID, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		if err := s.MergeSignatories(ctx, c.ID, a.ID, b.ID, store.Audit{}); !errors.As(err, &st) {
			t.Errorf("merging a merged signatory again: %v", err)
		}
		approved, err := s.Signatories(ctx, c.ID, store.SignApproved)
		if err != nil || len(approved) != 1 || approved[0].ID != a.ID {
			t.Fatalf("approved: %+v %v", approved, err)
		}
		merged, _ := s.Signatory(ctx, c.ID, b.ID)
		if merged.Status != store.SignMerged || merged.MergedInto == nil || *merged.MergedInto != a.ID {
			t.Errorf("merged: %+v", merged)
		}
		if n, _ := s.ApprovedCount(ctx, c.ID); n != 1 {
			t.Errorf("approved count %d", n)
		}
		// Every review is audited.
		var audited int
		if err := s.DB().QueryRow("SELECT COUNT(*) FROM " + auditTable + " WHERE action IN ('signatory.approved', 'signatory.merge')").Scan(&audited); err != nil || audited != 2 {
			t.Errorf("audit entries: %d %v", audited, err)
		}
		// The unconfirmed signature gets no constituent's reminder.
		due, err := s.DueReminders(ctx, c.ID, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 10)
		if err != nil || len(due) != 0 {
			t.Errorf("reminders for a sign-on: %+v %v", due, err)
		}
	})
}

// TestDeliverSignOnOnce: parallel deliveries write the letters once (one
// per office); the others get ErrAlreadyDone, and the list is final
// afterwards.
func TestDeliverSignOnOnce(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := signOnCampaign(t, s)
		x := sign(t, s, c, "florence project", "a@x.org")
		if _, err := s.ConfirmSignatory(ctx, c.ID, x.SubmissionID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReviewSignatory(ctx, c.ID, x.ID, store.SignApproved, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		build := func(subID int64, approved []store.Signatory) ([]store.NewLetter, error) {
			if len(approved) != 1 {
				return nil, fmt.Errorf("approved: %d", len(approved))
			}
			var out []store.NewLetter
			for i, office := range []string{"G000386", "D000563"} {
				out = append(out, store.NewLetter{CampaignID: c.ID, BioguideID: office, OfficeCode: fmt.Sprintf("SIA0%d", i+1), Chamber: "senate", State: "IA",
					TemplateVer: 1, DeliveryID: fmt.Sprintf("D%031d", time.Now().UnixNano()%1e9+int64(i)), ReplyToken: fmt.Sprintf("r%d%d", time.Now().UnixNano(), i),
					Seal: func(int64) (string, error) { return "sealed", nil }})
			}
			return out, nil
		}
		const n = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, already := 0, 0
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids, err := s.DeliverSignOn(ctx, c.ID, time.Now(), store.Audit{Action: "test"}, build, nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && len(ids) == 2:
					wins++
				case errors.Is(err, store.ErrAlreadyDone):
					already++
				default:
					t.Errorf("deliver: %v %v", ids, err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || already != n-1 {
			t.Errorf("%d deliveries wrote letters, %d were told it was done", wins, already)
		}
		var letters int64
		if err := s.DB().QueryRow("SELECT COUNT(*) FROM letters WHERE campaign_id = " + fmt.Sprint(c.ID)).Scan(&letters); err != nil || letters != 2 {
			t.Errorf("letters: %d %v", letters, err)
		}
		d, err := s.SignOnDeliveryOf(ctx, c.ID)
		if err != nil || d.DeliveredAt == nil || d.Signatories != 1 || d.Letters != 2 || d.SubmissionID == nil {
			t.Errorf("delivery: %+v %v", d, err)
		}
		if _, err := s.ReviewSignatory(ctx, c.ID, x.ID, store.SignRejected, store.Audit{}); !errors.Is(err, store.ErrSignOnDelivered) {
			t.Errorf("review after delivery: %v", err)
		}
		if err := s.ScheduleSignOn(ctx, c.ID, nil, store.Audit{}); !errors.Is(err, store.ErrSignOnDelivered) {
			t.Errorf("schedule after delivery: %v", err)
		}
	})
}

// TestDueSignOns: a scheduled letter is due once its time has come, until
// it is delivered.
func TestDueSignOns(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := signOnCampaign(t, s)
		at := time.Now().Add(time.Hour)
		if err := s.ScheduleSignOn(ctx, c.ID, &at, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		if ids, _ := s.DueSignOns(ctx, time.Now()); len(ids) != 0 {
			t.Errorf("due before its time: %v", ids)
		}
		if ids, _ := s.DueSignOns(ctx, at.Add(time.Second)); len(ids) != 1 || ids[0] != c.ID {
			t.Errorf("due: %v", ids)
		}
		if err := s.ScheduleSignOn(ctx, c.ID, nil, store.Audit{}); err != nil {
			t.Fatal(err)
		}
		if ids, _ := s.DueSignOns(ctx, at.Add(time.Second)); len(ids) != 0 {
			t.Errorf("due after the schedule was cleared: %v", ids)
		}
	})
}

const auditTable = "audit_log"
