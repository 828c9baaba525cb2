package followup_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// supporter makes a submission with every field a letter merges.
func (e *env) supporter(t *testing.T, first, last, city, email string) store.Submission {
	t.Helper()
	sub, err := e.st.CreateSubmission(context.Background(), store.Submission{CampaignID: e.camp.ID, EmailIndex: e.keys.Index("email", email), Lang: "en"},
		func(id int64) (string, error) {
			return e.keys.SealJSON(struct {
				Form action.Form `json:"form"`
				Lang string      `json:"lang"`
			}{action.Form{FirstName: first, LastName: last, City: city, State: "CA", ZIP: "94110", Email: email, Note: "My cousin was separated."}, "en"},
				"submission:"+strconv.FormatInt(id, 10))
		})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// confirmAs confirms a submission with letters from that constituent.
func (e *env) confirmAs(t *testing.T, sub store.Submission, from delivery.Constituent, now time.Time) []int64 {
	t.Helper()
	ids, err := e.st.ConfirmSubmission(context.Background(), sub.ID, now, func(map[string]bool) ([]store.NewLetter, error) {
		var out []store.NewLetter
		for _, o := range offices {
			o := o
			out = append(out, store.NewLetter{CampaignID: e.camp.ID, SubmissionID: sub.ID, BioguideID: o.BioguideID, OfficeCode: o.Code,
				Chamber: o.Chamber, State: o.State, TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
				Seal: func(id int64) (string, error) {
					return e.keys.SealJSON(delivery.Sealed{Subject: "Oversight", Body: "Please act.", From: from, Office: o}, delivery.LetterAAD(id))
				}})
		}
		return out, nil
	}, nil)
	if err != nil || len(ids) != len(offices) {
		t.Fatalf("confirm: %v %v", ids, err)
	}
	for _, id := range ids {
		if err := e.st.MarkSent(context.Background(), id, "outbox", "", "test", true, now); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// deliverJobs lists the letters of the campaign's delivery jobs, and
// fails on any other job of the campaign (the PostgreSQL database is
// shared by the package's tests: other tests' jobs are left out).
func (e *env) deliverJobs(t *testing.T, jobs []river.JobArgs) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for _, a := range jobs {
		switch a := a.(type) {
		case dispatch.DeliverArgs:
			if l, err := e.st.LetterByID(ctx, a.LetterID); err == nil && l.CampaignID == e.camp.ID {
				ids = append(ids, a.LetterID)
			}
		case followup.EmailArgs:
			if f, err := e.st.FollowupSendByID(ctx, a.SendID); err == nil && f.CampaignID == e.camp.ID {
				t.Fatalf("unexpected follow-up job %+v", f)
			}
		}
	}
	return ids
}

const secondBody = "{{.salutation}},\n\n{{.first_name}} {{.last_name}} of {{.city}}, {{.state}} wrote to {{.member_title}} {{.member_name}} on {{.first_letter_date}}, " +
	"with {{.constituent_count}} constituents. {{.personal_note}}"

// Automatic mode: M days after delivery, one second letter per first
// letter to each office without a reply, as a real letter with its
// delivery job, rendered with the supporter's fields; never twice; not
// for erased supporters or offices that replied; delivered by the
// normal worker; reply rates stay over first letters.
func TestSecondLettersAreRealLettersSentOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, campaign.Live)
		// Monday March 2, 2026, 10:00 in Washington: office hours, then and
		// 21 days later.
		clk := &clock{t: utc("2026-03-02T15:00:00Z")}
		ana := e.supporter(t, "Ana", "Pérez", "San Francisco", "ana.p@example.org")
		ben := e.supporter(t, "Ben", "Okafor", "Oakland", "ben@example.org")
		cara := e.supporter(t, "Cara", "Li", "Daly City", "cara@example.org")
		anaFrom := delivery.Constituent{FirstName: "Ana", LastName: "Pérez", City: "San Francisco", State: "CA", ZIP: "94110", Email: "ana.p@example.org"}
		anaIDs := e.confirmAs(t, ana, anaFrom, clk.Now())
		benIDs := e.confirmAs(t, ben, delivery.Constituent{FirstName: "Ben", LastName: "Okafor", State: "CA", ZIP: "94110"}, clk.Now())
		caraIDs := e.confirmAs(t, cara, delivery.Constituent{FirstName: "Cara", LastName: "Li", State: "CA", ZIP: "94110"}, clk.Now())
		// The senator's office answered Ben: no second letter to SCA01 at all.
		if _, err := st.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: benIDs[1], Answer: "replied", AnsweredAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		// Cara asked for her data to be deleted.
		if _, err := st.EraseSupporter(ctx, cara.EmailIndex, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveFollowupSettings(ctx, store.FollowupSettings{CampaignID: e.camp.ID, SurveyDays: 14, SecondEnabled: true, SecondDays: 21,
			SecondApproval: false, SecondSubject: "Following up: {{.first_name}} {{.last_name}}", SecondBody: secondBody}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		j, m := &jobsSpy{}, &mailSpy{}
		r := e.runner(clk, j, m)

		clk.Add(21*24*time.Hour - time.Minute)
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.deliverJobs(t, j.take()); len(got) != 0 {
			t.Fatalf("a minute early: %d jobs", len(got))
		}
		clk.Add(time.Minute)
		var created []int64
		for i := 0; i < 3; i++ {
			if _, err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			created = append(created, e.deliverJobs(t, j.take())...)
			clk.Add(time.Minute)
		}
		if len(created) != 2 {
			t.Fatalf("second letters = %d, want 2 (Ana and Ben to HCA11)", len(created))
		}
		byFirst := map[int64]store.Letter{}
		for _, id := range created {
			l, err := st.LetterByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if l.Kind != store.LetterSecond || l.FollowupOf == nil || l.Status != "pending" || l.OfficeCode != "HCA11" {
				t.Fatalf("letter %+v", l)
			}
			byFirst[*l.FollowupOf] = l
		}
		second, ok := byFirst[anaIDs[0]]
		if !ok || byFirst[benIDs[0]].ID == 0 || second.SubmissionID != ana.ID {
			t.Fatalf("second letters follow %v", byFirst)
		}
		var sl delivery.Sealed
		if err := e.keys.OpenJSON(second.Sealed, delivery.LetterAAD(second.ID), &sl); err != nil {
			t.Fatal(err)
		}
		want := "Dear Representative Pelosi,\n\nAna Pérez of San Francisco, CA wrote to Representative Nancy Pelosi on March 2, 2026, with 3 constituents. My cousin was separated."
		if sl.Body != want || sl.Subject != "Following up: Ana Pérez" || sl.OrganizationStatement != "" || sl.From != anaFrom || sl.Office != offices[0] {
			t.Fatalf("second letter = %+v\nwant body %q", sl, want)
		}
		// The first letter's timeline says so; the step is done.
		tl, _ := st.Timeline(ctx, anaIDs[0])
		if !strings.Contains(tl[len(tl)-1].Detail, "second letter #"+strconv.FormatInt(second.ID, 10)) {
			t.Errorf("timeline = %+v", tl)
		}
		for _, id := range []int64{caraIDs[0], caraIDs[1], anaIDs[1], benIDs[1]} {
			if done, _ := st.HasFollowup(ctx, id, followup.StepSecond); done {
				t.Errorf("letter %d got a second-letter step", id)
			}
		}
		// Days later nothing more, even for the second letters themselves.
		clk.Add(30 * 24 * time.Hour)
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.deliverJobs(t, j.take()); len(got) != 0 {
			t.Fatalf("later ticks: %d jobs", len(got))
		}

		// The normal delivery worker sends it like a first letter.
		clk.t = utc("2026-03-24T15:00:00Z")
		settings := dispatch.DefaultSettings()
		settings.Channels = []delivery.Channel{outbox.Name}
		w := dispatch.NewWorker(st, e.keys, []delivery.Sender{outbox.New(st, e.keys)}, func(ctx context.Context, id int64) (delivery.Campaign, error) {
			c, err := st.Campaign(ctx, id)
			return delivery.Campaign{ID: c.ID, Slug: c.Slug, Title: c.Title, LOCTopic: c.LOCTopic}, err
		}, settings, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
		if err := w.Work(ctx, &river.Job[dispatch.DeliverArgs]{Args: dispatch.DeliverArgs{LetterID: second.ID}}); err != nil {
			t.Fatal(err)
		}
		if l, _ := st.LetterByID(ctx, second.ID); l.Status != "outbox" || l.Channel != "outbox" {
			t.Fatalf("second letter kept in the outbox = %s via %s", l.Status, l.Channel)
		}
		// Supporters are surveyed about their own letters, not the second.
		due, err := st.DueSurveys(ctx, e.camp.ID, clk.Now().Add(365*24*time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range due {
			for _, id := range d.LetterIDs {
				if id == second.ID {
					t.Errorf("survey due for the second letter %d", second.ID)
				}
			}
		}
		// The public count and the reply rates are over first letters; a
		// reply to the second letter counts for the first one.
		if n, _ := st.CampaignLetterCount(ctx, e.camp.ID); n != 6 {
			t.Errorf("campaign letter count = %d, want the 6 first letters", n)
		}
		written, _ := st.WrittenOffices(ctx, e.camp.ID, ana.EmailIndex)
		if len(written) != 2 || !written["P000197"] {
			t.Errorf("written offices = %v", written)
		}
		if _, err := st.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: second.ID, Answer: "replied", AnsweredAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := st.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		groups, err := st.ResponseMetrics(ctx, store.MetricsQuery{GroupBy: "office", CampaignID: e.camp.ID})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, g := range groups {
			if g.Key == "P000197" {
				found = true
				if g.Letters != 3 || g.Replied != 1 {
					t.Errorf("office P000197: %d letters, %d replied; want 3 first letters, 1 replied", g.Letters, g.Replied)
				}
			}
		}
		if !found {
			t.Errorf("no P000197 group in %+v", groups)
		}
	})
}

// Approval mode: held per first letter, approved per office, then
// written; closed campaigns skip approved letters, paused ones keep them.
func TestSecondLettersHeldApprovedPerOffice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, campaign.Live)
		clk := &clock{t: utc("2026-03-02T15:00:00Z")}
		subs := []store.Submission{e.supporter(t, "Ana", "Pérez", "San Francisco", "a2@example.org"), e.supporter(t, "Ben", "Okafor", "Oakland", "b2@example.org")}
		for _, s := range subs {
			e.confirmAs(t, s, delivery.Constituent{FirstName: "X", State: "CA"}, clk.Now())
		}
		if err := st.SaveFollowupSettings(ctx, store.FollowupSettings{CampaignID: e.camp.ID, SurveyDays: 14, SecondEnabled: true, SecondDays: 21,
			SecondApproval: true, SecondSubject: "Again", SecondBody: secondBody}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		j := &jobsSpy{}
		r := e.runner(clk, j, &mailSpy{})
		clk.Add(21 * 24 * time.Hour)
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.deliverJobs(t, j.take()); len(got) != 0 {
			t.Fatalf("held letters enqueued %d jobs", len(got))
		}
		held, err := st.HeldSecondLetters(ctx, e.camp.ID)
		if err != nil || len(held) != 2 || held[0].OfficeCode != "HCA11" || held[0].Letters != 2 || held[1].OfficeCode != "SCA01" {
			t.Fatalf("held = %+v, %v", held, err)
		}
		// The preview staff see is the real letter for one constituent.
		first, _ := st.LetterByID(ctx, held[0].FirstLetterID)
		sub, _ := st.SubmissionByID(ctx, first.SubmissionID)
		pv, err := followup.SecondLetter(e.keys, nil, store.FollowupSettings{SecondSubject: "Again", SecondBody: secondBody}, first, sub, 2, clk.Now())
		if err != nil || !strings.HasPrefix(pv.Body, "Dear Representative Pelosi,\n\nAna Pérez of San Francisco") {
			t.Fatalf("preview = %q, %v", pv.Body, err)
		}
		if n, err := st.ApproveSecondLetters(ctx, e.camp.ID, "HCA11", clk.Now(), store.Audit{Action: "test"}); err != nil || n != 2 {
			t.Fatalf("approve = %d, %v", n, err)
		}
		if n, _ := st.ApproveSecondLetters(ctx, e.camp.ID, "HCA11", clk.Now(), store.Audit{Action: "test"}); n != 0 {
			t.Fatalf("approved twice: %d", n)
		}
		// Paused: approved letters wait.
		if _, err := st.SetCampaignStatus(ctx, e.camp.ID, "live", "paused", store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.deliverJobs(t, j.take()); len(got) != 0 {
			t.Fatalf("paused campaign: %d jobs", len(got))
		}
		if _, err := st.SetCampaignStatus(ctx, e.camp.ID, "paused", "live", store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.deliverJobs(t, j.take()); len(got) != 2 {
			t.Fatalf("approved HCA11 letters written = %d, want 2", len(got))
		}
		// SCA01 approved, then the campaign closes: skipped, never written.
		if n, _ := st.ApproveSecondLetters(ctx, e.camp.ID, "SCA01", clk.Now(), store.Audit{Action: "test"}); n != 2 {
			t.Fatalf("approve SCA01 = %d", n)
		}
		if _, err := st.SetCampaignStatus(ctx, e.camp.ID, "live", "closed", store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if got := e.deliverJobs(t, j.take()); len(got) != 0 {
			t.Fatalf("closed campaign: %d jobs", len(got))
		}
		skipped, _ := st.FollowupSends(ctx, e.camp.ID, "skipped", 10)
		if len(skipped) != 2 {
			t.Fatalf("skipped = %d, want 2", len(skipped))
		}
	})
}

// A first letter has at most one second letter: the step, the store and
// the unique index each refuse a second one.
func TestSecondLetterNeverTwiceForTheSameFirstLetter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, campaign.Live)
		now := utc("2026-03-02T15:00:00Z")
		sub := e.supporter(t, "Ana", "Pérez", "San Francisco", "a3@example.org")
		ids := e.confirmAs(t, sub, delivery.Constituent{FirstName: "Ana"}, now)
		first, _ := st.LetterByID(ctx, ids[0])
		nl := func() store.NewLetter {
			fid := first.ID
			return store.NewLetter{CampaignID: first.CampaignID, SubmissionID: first.SubmissionID, BioguideID: first.BioguideID, OfficeCode: first.OfficeCode,
				Chamber: first.Chamber, State: first.State, TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
				Kind: store.LetterSecond, FollowupOf: &fid, Seal: func(int64) (string, error) { return "x", nil }}
		}
		fid := first.ID
		if ok, err := st.RecordFollowup(ctx, store.FollowupSend{CampaignID: e.camp.ID, LetterID: &fid, Step: followup.StepSecond, Status: "approved", At: now}, "t", nil); !ok || err != nil {
			t.Fatal(ok, err)
		}
		sends, _ := st.FollowupSends(ctx, e.camp.ID, "approved", 10)
		enq := 0
		count := func(context.Context, *sql.Tx, []int64) error { enq++; return nil }
		id, ok, err := st.CreateSecondLetter(ctx, sends[0].ID, "approved", nl(), now, count)
		if err != nil || !ok || id == 0 || enq != 1 {
			t.Fatalf("create = %d %v %v (jobs %d)", id, ok, err, enq)
		}
		// The same step again: not approved any more, nothing happens.
		if id2, ok, err := st.CreateSecondLetter(ctx, sends[0].ID, "approved", nl(), now, count); err != nil || ok || id2 != 0 || enq != 1 {
			t.Fatalf("again = %d %v %v (jobs %d)", id2, ok, err, enq)
		}
		// Through CreateLetters: the (submission, office, kind) index skips it.
		if got, err := st.CreateLetters(ctx, []store.NewLetter{nl()}, count); err != nil || len(got) != 0 {
			t.Fatalf("CreateLetters = %v, %v", got, err)
		}
		// Another office, same first letter: followup_of is unique, so the
		// letter is skipped like any repeat (and nothing is enqueued).
		other := nl()
		other.BioguideID = "X000001"
		if got, err := st.CreateLetters(ctx, []store.NewLetter{other}, count); err != nil || len(got) != 0 || enq != 1 {
			t.Fatalf("a second second letter for the same first letter: %v, %v (jobs %d)", got, err, enq)
		}
		// A first letter and its second coexist; a repeat first letter does not.
		again := nl()
		again.Kind, again.FollowupOf = "", nil
		if got, err := st.CreateLetters(ctx, []store.NewLetter{again}, count); err != nil || len(got) != 0 {
			t.Fatalf("repeat first letter = %v, %v", got, err)
		}
	})
}
