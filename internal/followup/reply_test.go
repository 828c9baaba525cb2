package followup_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// secondSettings turns second letters on, 21 days after delivery.
func (e *env) secondSettings(t *testing.T, approval bool) {
	t.Helper()
	if err := e.st.SaveFollowupSettings(context.Background(), store.FollowupSettings{CampaignID: e.camp.ID, SurveyDays: 14, SecondEnabled: true,
		SecondDays: 21, SecondApproval: approval, SecondSubject: "Again", SecondBody: secondBody}, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
}

// seconds lists the campaign's second letters by office code.
func (e *env) seconds(t *testing.T) map[string]store.Letter {
	t.Helper()
	letters, err := e.st.Letters(context.Background(), store.LetterFilter{CampaignID: e.camp.ID})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Letter{}
	for _, l := range letters {
		if l.Kind == store.LetterSecond {
			out[l.OfficeCode] = l
		}
	}
	return out
}

// No second letter goes to an office from a supporter (or any of the
// office's constituents) once the office's reply is recorded: while the
// letter waits for approval, once it is approved but not written, and
// once it is written but not yet handed to a channel. Once a worker has
// claimed it for sending, a reply recorded after that is too late: the
// letter is on its way.
func TestNoSecondLetterAfterTheOfficeReplied(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		start := utc("2026-03-02T15:00:00Z")
		keys := seal.NewRandom() // every runner's scan covers every campaign

		// Held for approval, then the office replies: staff no longer see
		// it, and approving writes nothing.
		held := newEnv(t, st, campaign.Live)
		held.keys = keys
		hIDs := held.confirmAs(t, held.supporter(t, "Ana", "Pérez", "San Francisco", "held@example.org"), delivery.Constituent{FirstName: "Ana"}, start)
		held.secondSettings(t, true)
		clk := &clock{t: start.Add(21 * 24 * time.Hour)}
		j := &jobsSpy{}
		r := held.runner(clk, j, &mailSpy{})
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if h, _ := st.HeldSecondLetters(ctx, held.camp.ID); len(h) != 2 {
			t.Fatalf("held offices = %+v, want 2", h)
		}
		if _, err := st.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: hIDs[1], Answer: "replied", AnsweredAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		if h, _ := st.HeldSecondLetters(ctx, held.camp.ID); len(h) != 1 || h[0].OfficeCode != "HCA11" {
			t.Fatalf("held offices after SCA01 replied = %+v, want HCA11 only", h)
		}
		if n, err := st.ApproveSecondLetters(ctx, held.camp.ID, "SCA01", clk.Now(), store.Audit{Action: "test"}); err != nil || n != 0 {
			t.Fatalf("approving SCA01 after its reply = %d, %v", n, err)
		}
		if n, err := st.ApproveSecondLetters(ctx, held.camp.ID, "HCA11", clk.Now(), store.Audit{Action: "test"}); err != nil || n != 1 {
			t.Fatalf("approving HCA11 = %d, %v", n, err)
		}
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if got := held.deliverJobs(t, j.take()); len(got) != 1 {
			t.Fatalf("second letters written = %d, want HCA11's", len(got))
		}
		if s := held.seconds(t); len(s) != 1 || s["SCA01"].ID != 0 {
			t.Fatalf("second letters = %+v, want none to SCA01", s)
		}
		timelineHas(t, st, hIDs[1], "second_letter: not written: the office replied (survey answer)")

		// Approved, then the office replies before the tick writes it: the
		// approval is undone (skipped), nothing is written. The reply here
		// comes from another constituent of the office (an
		// acknowledgement): it is the office's reply that counts.
		appr := newEnv(t, st, campaign.Live)
		appr.keys = keys
		aIDs := appr.confirmAs(t, appr.supporter(t, "Ben", "Okafor", "Oakland", "appr@example.org"), delivery.Constituent{FirstName: "Ben"}, start)
		other := appr.confirmAs(t, appr.supporter(t, "Cy", "Ng", "Oakland", "appr2@example.org"), delivery.Constituent{FirstName: "Cy"}, clk.Now())
		appr.secondSettings(t, true)
		r = appr.runner(clk, j, &mailSpy{})
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if n, err := st.ApproveSecondLetters(ctx, appr.camp.ID, "HCA11", clk.Now(), store.Audit{Action: "test"}); err != nil || n != 1 {
			t.Fatalf("approve = %d, %v", n, err)
		}
		if _, err := st.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: other[0], Answer: "acknowledged", AnsweredAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if got := appr.deliverJobs(t, j.take()); len(got) != 0 {
			t.Fatalf("second letters written after the office acknowledged: %d", len(got))
		}
		if s := appr.seconds(t); len(s) != 0 {
			t.Fatalf("second letters = %+v, want none", s)
		}
		timelineHas(t, st, aIDs[0], "second_letter: not written: the office replied (survey answer)")

		// Written (automatic mode) and queued for delivery, then replies
		// come: HCA11's letter was already claimed by a worker (on its way),
		// SCA01's was not: it is withdrawn, and the worker sends nothing.
		auto := newEnv(t, st, campaign.Live)
		auto.keys = keys
		wIDs := auto.confirmAs(t, auto.supporter(t, "Dee", "Ruiz", "Oakland", "auto@example.org"), delivery.Constituent{FirstName: "Dee"}, start)
		auto.secondSettings(t, false)
		r = auto.runner(clk, j, &mailSpy{})
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if got := auto.deliverJobs(t, j.take()); len(got) != 2 {
			t.Fatalf("automatic second letters written = %d, want 2", len(got))
		}
		s := auto.seconds(t)
		claimed, err := st.ClaimManyForSending(ctx, []store.Claim{{ID: s["HCA11"].ID, Channel: "outbox", At: clk.Now(), Attempts: 0}})
		if err != nil || !claimed[s["HCA11"].ID] {
			t.Fatalf("claim HCA11's second letter: %v %v", claimed, err)
		}
		for _, id := range wIDs {
			if _, err := st.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: id, Answer: "replied", AnsweredAt: clk.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		s = auto.seconds(t)
		if l := s["SCA01"]; l.Status != delivery.StatusFailed || l.LastError != "cancelled: the office replied (survey answer) before this second letter was sent" {
			t.Errorf("SCA01's unsent second letter after the reply: %s %q", l.Status, l.LastError)
		}
		if l := s["HCA11"]; l.Status != delivery.StatusSending {
			t.Errorf("HCA11's claimed second letter after the reply: %s, want sending (on its way)", l.Status)
		}
		// The delivery worker's turn for the withdrawn letter sends nothing.
		settings := dispatch.DefaultSettings()
		settings.Channels = []delivery.Channel{outbox.Name}
		w := dispatch.NewWorker(st, auto.keys, []delivery.Sender{outbox.New(st, auto.keys)}, func(ctx context.Context, id int64) (delivery.Campaign, error) {
			c, err := st.Campaign(ctx, id)
			return delivery.Campaign{ID: c.ID, Slug: c.Slug, Title: c.Title}, err
		}, settings, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now)
		if err := w.Work(ctx, &river.Job[dispatch.DeliverArgs]{Args: dispatch.DeliverArgs{LetterID: s["SCA01"].ID}}); err != nil {
			t.Fatal(err)
		}
		if l, _ := st.LetterByID(ctx, s["SCA01"].ID); l.Status != delivery.StatusFailed || l.Channel != "" {
			t.Errorf("withdrawn letter after its delivery job: %s via %q", l.Status, l.Channel)
		}
		if msgs, _ := st.Outbox(ctx, "letter", 0, 50); hasLetter(msgs, s["SCA01"].ID) {
			t.Error("the withdrawn second letter reached the outbox")
		}

		// Steps an earlier version held for an office that had replied (the
		// reply recorded without stopping them): staff do not see them, and
		// approved they are not written (the writer checks for a reply).
		legacy := newEnv(t, st, campaign.Live)
		legacy.keys = keys
		lIDs := legacy.confirmAs(t, legacy.supporter(t, "Fay", "Ito", "Oakland", "legacy@example.org"), delivery.Constituent{FirstName: "Fay"}, start)
		legacy.secondSettings(t, true)
		r = legacy.runner(clk, j, &mailSpy{})
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().ExecContext(ctx, "INSERT INTO survey_answers (letter_id, answer, note, reply_text, answered_at) VALUES ("+
			strconv.FormatInt(lIDs[0], 10)+", 'replied', '', '', CURRENT_TIMESTAMP)"); err != nil {
			t.Fatal(err)
		}
		if h, _ := st.HeldSecondLetters(ctx, legacy.camp.ID); len(h) != 1 || h[0].OfficeCode != "SCA01" {
			t.Errorf("held offices = %+v, want SCA01 only", h)
		}
		if n, err := st.ApproveSecondLetters(ctx, legacy.camp.ID, "HCA11", clk.Now(), store.Audit{Action: "test"}); err != nil || n != 1 {
			t.Fatalf("approve the legacy step = %d, %v", n, err)
		}
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if s := legacy.seconds(t); len(s) != 0 {
			t.Errorf("second letters = %+v, want none to HCA11, which replied", s)
		}
		timelineHas(t, st, lIDs[0], "second_letter: second letter not written: the office replied")
		j.take()

		// A reply logged by staff withdraws an unsent second letter too.
		staff := newEnv(t, st, campaign.Live)
		staff.keys = keys
		staff.confirmAs(t, staff.supporter(t, "Eva", "Li", "Oakland", "staff@example.org"), delivery.Constituent{FirstName: "Eva"}, start)
		staff.secondSettings(t, false)
		r = staff.runner(clk, j, &mailSpy{})
		if err := r.ScanFollowups(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		j.take()
		if _, err := st.LogResponse(ctx, store.ResponseLog{CampaignID: staff.camp.ID, BioguideID: "P000197", AllOpen: true, Kind: "meeting",
			Substance: store.SubstanceSubstantive, OccurredAt: clk.Now()}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		s = staff.seconds(t)
		if l := s["HCA11"]; l.Status != delivery.StatusFailed || !strings.Contains(l.LastError, "logged by staff") {
			t.Errorf("second letter after a staff-logged meeting: %s %q", l.Status, l.LastError)
		}
		if l := s["SCA01"]; l.Status != delivery.StatusPending {
			t.Errorf("the other office's second letter: %s, want pending", l.Status)
		}
	})
}

// pausingJobs holds the transaction that writes a second letter open
// (its delivery job is inserted last in it) for a while after telling
// that the letter is written: the moment a reply may arrive.
type pausingJobs struct {
	jobsSpy
	once    sync.Once
	written chan struct{}
	hold    time.Duration
}

func (p *pausingJobs) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, o *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if _, ok := args.(dispatch.DeliverArgs); ok {
		p.once.Do(func() {
			close(p.written)
			time.Sleep(p.hold)
		})
	}
	return p.jobsSpy.InsertTx(ctx, tx, args, o)
}

// The race between writing a second letter and recording the office's
// reply. Here the reply arrives while the transaction that checked for
// replies and wrote the letter is still open: either the reply's
// transaction skips the step first (the letter's transaction then finds
// its step changed and writes nothing), or it waits for the letter's
// transaction on the step's row and then withdraws the letter. (The other
// order, the reply committed before the check, is the "approved, then the
// office replies" case above: nothing is written.)
func TestSecondLetterRacesWithReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		start := utc("2026-03-02T15:00:00Z")
		clk := &clock{t: start.Add(21 * 24 * time.Hour)}
		e := newEnv(t, st, campaign.Live)
		ids := e.confirmAs(t, e.supporter(t, "Ana", "Pérez", "Oakland", "race@example.org"), delivery.Constituent{FirstName: "Ana"}, start)
		e.secondSettings(t, false)
		j := &pausingJobs{written: make(chan struct{}), hold: 300 * time.Millisecond}
		r := e.runner(clk, &jobsSpy{}, &mailSpy{})
		r.Jobs = j
		scanned := make(chan error, 1)
		go func() { scanned <- r.ScanFollowups(ctx, clk.Now()) }()
		select {
		case <-j.written:
		case err := <-scanned:
			t.Fatalf("the scan ended without writing a second letter: %v", err)
		}
		if _, err := st.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: ids[0], Answer: "replied", AnsweredAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := <-scanned; err != nil {
			t.Fatal(err)
		}
		s := e.seconds(t)
		if l, ok := s["HCA11"]; ok && (l.Status != delivery.StatusFailed || !strings.Contains(l.LastError, "the office replied")) {
			t.Errorf("the second letter written while the office's reply arrived: %s %q, want withdrawn (or never written)", l.Status, l.LastError)
		}
		if l := s["SCA01"]; l.Status != delivery.StatusPending {
			t.Errorf("SCA01's second letter (no reply): %q, want pending", l.Status)
		}
	})
}

func timelineHas(t *testing.T, st *store.Store, letterID int64, detail string) {
	t.Helper()
	tl, err := st.Timeline(context.Background(), letterID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range tl {
		if strings.Contains(ev.Detail, detail) {
			return
		}
	}
	t.Errorf("letter %d's timeline lacks %q", letterID, detail)
}

func hasLetter(msgs []store.OutboxMessage, id int64) bool {
	for _, m := range msgs {
		if m.LetterID != nil && *m.LetterID == id {
			return true
		}
	}
	return false
}
