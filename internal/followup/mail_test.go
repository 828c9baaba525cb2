package followup_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/supportermail"
)

// One survey email per supporter and campaign, listing every office they
// wrote to (across their submissions), sent once all their letters have
// settled and the last was delivered N days before.
func TestOneSurveyPerSupporterPerCampaign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, campaign.Live)
		start := utc("2026-03-02T15:00:00Z")
		clk := &clock{t: start}
		// Ana writes to two offices, then (another submission, same email)
		// to a third; Ben to two.
		ana := e.submission(t, "ana.s@example.org")
		anaIDs := e.confirm(t, ana, start)
		third := delivery.Office{BioguideID: "S001150", Name: "Adam Schiff", Title: "Senator", Chamber: "senate", State: "CA", Code: "SCA02"}
		ana2 := e.submission(t, "ana.s@example.org")
		ana2IDs, err := st.ConfirmSubmission(ctx, ana2.ID, start, func(map[string]bool) ([]store.NewLetter, error) {
			return []store.NewLetter{{CampaignID: e.camp.ID, SubmissionID: ana2.ID, BioguideID: third.BioguideID, OfficeCode: third.Code,
				Chamber: third.Chamber, State: third.State, TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
				Seal: func(id int64) (string, error) {
					return e.keys.SealJSON(delivery.Sealed{Subject: "Oversight", Body: "Please act.", Office: third}, delivery.LetterAAD(id))
				}}}, nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ben := e.submission(t, "ben.s@example.org")
		benIDs := e.confirm(t, ben, start)
		for _, id := range append(append([]int64{}, anaIDs...), benIDs...) {
			if err := st.MarkSent(ctx, id, "outbox", "", "test", true, start); err != nil {
				t.Fatal(err)
			}
		}
		// Ana's third letter is still on its way (waiting for office hours).
		if err := st.SaveFollowupSettings(ctx, store.FollowupSettings{CampaignID: e.camp.ID, SurveyEnabled: true, SurveyDays: 14}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		j, rec := &jobsSpy{}, &mailRec{}
		r := e.runner(clk, j, &mailSpy{})
		w := e.mailWorker(r, clk, rec)
		clk.Add(14 * 24 * time.Hour)
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if n := sendAll(t, w, j.take()); n != 1 {
			t.Fatalf("survey emails = %d, want Ben's only (Ana's third letter is not delivered yet)", n)
		}
		if sent := rec.take(); len(sent) != 1 || sent[0].To != "ben.s@example.org" || strings.Count(sent[0].Text, "/survey?") != 2 {
			t.Fatalf("Ben's survey = %+v", sent)
		}
		// The third letter goes out a week later: Ana is asked 14 days after
		// that, once, about her three offices.
		clk.Add(7 * 24 * time.Hour)
		if err := st.MarkSent(ctx, ana2IDs[0], "outbox", "", "test", true, clk.Now()); err != nil {
			t.Fatal(err)
		}
		clk.Add(14*24*time.Hour - time.Hour)
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if n := sendAll(t, w, j.take()); n != 0 {
			t.Fatalf("an hour early: %d survey emails", n)
		}
		clk.Add(time.Hour)
		// Letters sealed before offices carried a gender take it from the
		// member data: Schiff's is known, Pelosi's title is the same either way.
		r.Member = func(id string) (*congress.Member, bool) {
			if id == "S001150" {
				return &congress.Member{BioguideID: id, Gender: "M"}, true
			}
			return nil, false
		}
		for range 3 {
			if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if n := sendAll(t, w, j.take()); n != 1 {
			t.Fatalf("Ana's survey emails = %d, want 1", n)
		}
		sent := rec.take()
		if len(sent) != 1 || sent[0].To != "ana.s@example.org" || strings.Count(sent[0].Text, "/survey?") != 3 ||
			!strings.Contains(sent[0].Text, "Senador Adam Schiff") || !strings.Contains(sent[0].Text, "Representante Nancy Pelosi") {
			t.Fatalf("Ana's survey = %+v", sent)
		}
		// Each link names its own letter.
		got := map[int64]bool{}
		for _, l := range strings.Split(sent[0].Text, "\n") {
			if strings.Contains(l, "/survey?") {
				id, err := r.Links.VerifySurvey(linkParam(t, l, "/survey?", "t"), clk.Now())
				if err != nil {
					t.Fatal(err)
				}
				got[id] = true
			}
		}
		if !got[anaIDs[0]] || !got[anaIDs[1]] || !got[ana2IDs[0]] {
			t.Errorf("survey links name letters %v, want %v and %d", got, anaIDs, ana2IDs[0])
		}
		// Every letter's timeline says the survey was queued.
		for _, id := range append(anaIDs, ana2IDs[0]) {
			timelineHas(t, st, id, "survey: survey emailed to the supporter (one email for all their offices)")
		}
		// The record: one survey row for Ana (on her latest submission).
		if m, err := st.SupporterMailOf(ctx, ana2.ID, supportermail.KindSurvey); err != nil || m.Status != store.MailSent {
			t.Errorf("Ana's survey row: %+v %v", m, err)
		}
		if _, err := st.SupporterMailOf(ctx, ana.ID, supportermail.KindSurvey); err == nil {
			t.Error("a second survey row for Ana's first submission")
		}
	})
}

// Follow-up jobs an earlier version left in the queue (a survey step per
// letter, a reminder) become the supporter's one email of that kind.
func TestLegacyFollowupJobsBecomeSupporterEmails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, campaign.Live)
		clk := &clock{t: utc("2026-03-20T15:00:00Z")}
		ids := e.confirm(t, e.submission(t, "legacy.s@example.org"), utc("2026-03-02T15:00:00Z"))
		pending := e.submission(t, "legacy.p@example.org")
		var sends []int64
		for _, id := range ids {
			id := id
			if ok, err := st.RecordFollowup(ctx, store.FollowupSend{CampaignID: e.camp.ID, LetterID: &id, Step: followup.StepSurvey, At: clk.Now()}, "survey", nil); err != nil || !ok {
				t.Fatal(ok, err)
			}
		}
		if ok, err := st.RecordFollowup(ctx, store.FollowupSend{CampaignID: e.camp.ID, SubmissionID: &pending.ID, Step: followup.StepReminder, At: clk.Now()}, "reminder", nil); err != nil || !ok {
			t.Fatal(ok, err)
		}
		all, err := st.FollowupSends(ctx, e.camp.ID, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range all {
			sends = append(sends, f.ID)
		}
		j := &jobsSpy{}
		r := e.runner(clk, j, &mailSpy{})
		for _, id := range sends {
			if err := r.SendStep(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		got := map[string]int{}
		for _, a := range j.take() {
			if ma, ok := a.(supportermail.Args); ok {
				got[ma.Mail]++
			}
		}
		if got[supportermail.KindSurvey] != 1 || got[supportermail.KindReminder] != 1 || len(got) != 2 {
			t.Errorf("jobs from the legacy steps: %v, want one survey (for %d letters) and one reminder", got, len(ids))
		}
		// and the scan does not survey that supporter again
		if err := st.SaveFollowupSettings(ctx, store.FollowupSettings{CampaignID: e.camp.ID, SurveyEnabled: true, SurveyDays: 1}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if err := st.MarkSent(ctx, id, "outbox", "", "test", true, utc("2026-03-02T15:00:00Z")); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		for _, a := range j.take() {
			if ma, ok := a.(supportermail.Args); ok && ma.Mail == supportermail.KindSurvey {
				t.Errorf("a survey queued again for submission %d", ma.SubmissionID)
			}
		}
	})
}
