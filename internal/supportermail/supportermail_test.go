package supportermail_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/supportermail"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// mailer records what it sends; fail, when set, may refuse a message.
type mailer struct {
	mu   sync.Mutex
	sent []delivery.Email
	fail func(e delivery.Email) error
}

func (m *mailer) SendEmail(_ context.Context, kind string, e delivery.Email) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if kind != "supporter" {
		return errors.New("kind " + kind)
	}
	if m.fail != nil {
		if err := m.fail(e); err != nil {
			return err
		}
	}
	m.sent = append(m.sent, e)
	return nil
}

func (m *mailer) all() []delivery.Email {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]delivery.Email(nil), m.sent...)
}

type env struct {
	st     *store.Store
	keys   *seal.Keys
	camp   campaign.Campaign
	mail   *mailer
	client *jobs.Client // works supporter-mail jobs
	insert *jobs.Client // inserts jobs, as the web process does
	events <-chan *river.Event
}

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{st: st, keys: seal.NewRandom(), mail: &mailer{}}
	var err error
	e.camp, err = st.CreateCampaign(ctx, campaign.Campaign{Slug: strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())), Title: "Reunite separated families", Targets: campaign.TargetBoth,
		LOCTopic: "Immigration", Status: campaign.Live, Subject: "Oversight", Template: "{{.salutation}}"}, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	// The PostgreSQL database is the package's, shared by its tests: jobs
	// of an earlier test are not this one's.
	if _, err := st.DB().ExecContext(ctx, "DELETE FROM river_job"); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &supportermail.Worker{Store: st, Mailer: e.mail, OrgName: "Families Together",
		Links: supportermail.Links{BaseURL: "http://act.example.org", Keys: e.keys}})
	e.client, err = jobs.New(st.DB(), st.Dialect() == store.Postgres, jobs.Options{Workers: workers,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		Queues:            map[string]river.QueueConfig{supportermail.Queue: {MaxWorkers: 2}},
		FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if e.insert, err = jobs.New(st.DB(), st.Dialect() == store.Postgres, jobs.Options{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	var cancel func()
	e.events, cancel = e.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	t.Cleanup(func() {
		cancel()
		ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = e.client.Stop(ctx)
	})
	return e
}

func (e *env) start(t *testing.T) {
	t.Helper()
	if err := e.client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// next waits for the next finished job.
func (e *env) next(t *testing.T) *river.Event {
	t.Helper()
	select {
	case ev := <-e.events:
		return ev
	case <-time.After(60 * time.Second):
		t.Fatal("no supporter-mail job finished")
		return nil
	}
}

var form = action.Form{Prefix: "Ms.", FirstName: "Ana", LastName: "García", Email: "ana@example.org", Address1: "3200 24th St",
	City: "San Francisco", State: "CA", ZIP: "94110"}

// submission stores a pending submission of f.
func (e *env) submission(t *testing.T, f action.Form) store.Submission {
	t.Helper()
	sub, err := e.st.CreateSubmission(context.Background(), store.Submission{CampaignID: e.camp.ID, EmailIndex: e.keys.Index("email", f.Email), Lang: "en"},
		func(id int64) (string, error) {
			return e.keys.SealJSON(action.Sealed{Form: f, Lang: "en"}, action.SubmissionAAD(id))
		})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

var offices = []delivery.Office{
	{BioguideID: "P000197", Name: "Nancy Pelosi", Title: "Representative", Chamber: "house", State: "CA", Code: "CA11"},
	{BioguideID: "S001150", Name: "Adam Schiff", Title: "Senator", Chamber: "senate", State: "CA", Code: "SCA01"},
}

// confirm confirms sub as the confirmation page does: a letter to each
// office, the opt-in request when asked, and the mail job.
func (e *env) confirm(t *testing.T, sub store.Submission, lang string) ([]int64, error) {
	t.Helper()
	return e.st.Confirm(context.Background(), sub.ID, store.Confirmation{CampaignID: e.camp.ID, Now: time.Now(),
		Build: func(sub store.Submission, already map[string]bool) (store.Confirmed, error) {
			var ss action.Sealed
			if err := e.keys.OpenJSON(sub.Sealed, action.SubmissionAAD(sub.ID), &ss); err != nil {
				return store.Confirmed{}, err
			}
			var out store.Confirmed
			for _, o := range offices {
				sealed := delivery.Sealed{Subject: "Oversight", Body: "Dear " + o.Title + " " + o.Name + ", reunite the families.", Office: o,
					From: delivery.Constituent{FirstName: ss.Form.FirstName, Email: ss.Form.Email}}
				out.Letters = append(out.Letters, store.NewLetter{CampaignID: sub.CampaignID, SubmissionID: sub.ID, BioguideID: o.BioguideID,
					OfficeCode: o.Code, Chamber: o.Chamber, State: o.State, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
					Seal: func(id int64) (string, error) { return e.keys.SealJSON(sealed, delivery.LetterAAD(id)) }})
			}
			if ss.Form.OptIn {
				sealed, err := e.keys.SealJSON(map[string]string{"email": ss.Form.Email}, "optin:"+sub.EmailIndex)
				if err != nil {
					return store.Confirmed{}, err
				}
				out.OptIn = &store.OptInRequest{Sealed: sealed, Lang: lang}
			}
			return out, nil
		},
		Jobs: func(ctx context.Context, tx *sql.Tx, sub store.Submission, ids []int64) error {
			_, err := e.insert.InsertManyTx(ctx, tx, append(dispatch.JobParams(ids), supportermail.JobParams(sub.ID, lang)))
			return err
		}})
}

// mailJobs returns the args of the supporter-mail jobs, as stored.
func (e *env) mailJobs(t *testing.T) []string {
	t.Helper()
	var args []string
	text := "json(args)" // SQLite keeps JSONB
	if e.st.Dialect() == store.Postgres {
		text = "CAST(args AS TEXT)"
	}
	rows, err := e.st.DB().QueryContext(context.Background(), "SELECT "+text+" FROM river_job WHERE kind = 'supporter_mail'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		args = append(args, a)
	}
	return args
}

func TestConfirmEnqueuesOneMailJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		sub := e.submission(t, form)
		ids, err := e.confirm(t, sub, "es")
		if err != nil || len(ids) != 2 {
			t.Fatalf("confirm: %v %v", ids, err)
		}
		jobs := e.mailJobs(t)
		if len(jobs) != 1 {
			t.Fatalf("%d mail jobs, want 1", len(jobs))
		}
		// ids only: nothing personal in the payload
		for _, bad := range []string{"ana", "Ana", "García", "94110", "3200"} {
			if strings.Contains(jobs[0], bad) {
				t.Errorf("job args %s carry %q", jobs[0], bad)
			}
		}
		if !strings.Contains(jobs[0], `"lang"`) || !strings.Contains(jobs[0], `"submission_id"`) {
			t.Errorf("job args %s", jobs[0])
		}
		// the second click: no second job, no letter
		if _, err := e.confirm(t, sub, "es"); !errors.Is(err, store.ErrAlreadyDone) {
			t.Errorf("second confirmation: %v", err)
		}
		// and the job is unique per submission even if enqueued again
		tx, err := st.DB().BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.insert.InsertManyTx(context.Background(), tx, []river.InsertManyParams{supportermail.JobParams(sub.ID, "en")}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n := len(e.mailJobs(t)); n != 1 {
			t.Errorf("%d mail jobs after enqueueing again, want 1", n)
		}
		// a confirmation whose job cannot be enqueued leaves nothing behind
		other := e.submission(t, action.Form{FirstName: "Lupe", Email: "lupe@example.org", ZIP: "94110", State: "CA"})
		_, err = st.Confirm(context.Background(), other.ID, store.Confirmation{Now: time.Now(),
			Build: func(store.Submission, map[string]bool) (store.Confirmed, error) { return store.Confirmed{}, nil },
			Jobs:  func(context.Context, *sql.Tx, store.Submission, []int64) error { return errors.New("queue down") }})
		if err == nil {
			t.Fatal("confirmation committed without its mail job")
		}
		if got, _ := st.SubmissionByID(context.Background(), other.ID); got.Status != "pending" {
			t.Errorf("submission is %s after a failed confirmation", got.Status)
		}
	})
}

func TestMailJobSendsCopyAndOptInOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		optin := form
		optin.OptIn = true
		if _, err := e.confirm(t, e.submission(t, optin), "es"); err != nil {
			t.Fatal(err)
		}
		plain := form
		plain.Email = "bea@example.org"
		if _, err := e.confirm(t, e.submission(t, plain), "en"); err != nil {
			t.Fatal(err)
		}
		e.start(t)
		for range 2 {
			if ev := e.next(t); ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("job %s: %v", ev.Kind, ev.Job.Errors)
			}
		}
		sent := e.mail.all()
		if len(sent) != 3 {
			t.Fatalf("%d emails, want a copy for each and one opt-in request: %+v", len(sent), sent)
		}
		var subjects []string
		for _, m := range sent {
			subjects = append(subjects, m.To+": "+m.Subject)
			if !strings.Contains(m.Headers["List-Unsubscribe"], "http://act.example.org/u?") ||
				m.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" || !strings.Contains(m.Text, "/forget?") {
				t.Errorf("email %q lacks the unsubscribe and delete-my-data links: %+v", m.Subject, m)
			}
			if strings.Contains(m.Subject, "Sus cartas") {
				for _, want := range []string{"Hola Ana", "Reunite separated families", "Para: Representante Nancy Pelosi", "Dear Senator Adam Schiff"} {
					if !strings.Contains(m.Text, want) {
						t.Errorf("Spanish copy lacks %q:\n%s", want, m.Text)
					}
				}
			}
			if strings.Contains(m.Subject, "noticias") && !strings.Contains(m.Text, "http://act.example.org/optin?") {
				t.Errorf("opt-in email without its link:\n%s", m.Text)
			}
		}
		got := strings.Join(subjects, "\n")
		for _, want := range []string{"ana@example.org: Sus cartas al Congreso", "ana@example.org: Confirme que quiere recibir noticias de Families Together",
			"bea@example.org: Your letters to Congress"} {
			if !strings.Contains(got, want) {
				t.Errorf("emails lack %q:\n%s", want, got)
			}
		}
		if ok, _ := st.OptInConfirmed(context.Background(), e.keys.Index("email", "ana@example.org")); ok {
			t.Error("opt-in confirmed before the supporter followed the link")
		}
	})
}

func TestMailJobErasedOrSuppressedGetsNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		erased := form
		erased.OptIn = true
		if _, err := e.confirm(t, e.submission(t, erased), "en"); err != nil {
			t.Fatal(err)
		}
		suppressed := form
		suppressed.Email, suppressed.OptIn = "bea@example.org", true
		if _, err := e.confirm(t, e.submission(t, suppressed), "en"); err != nil {
			t.Fatal(err)
		}
		// between the confirmation and the job: one asks for their data to
		// be deleted, the other unsubscribes
		if _, err := st.EraseSupporter(ctx, e.keys.Index("email", "ana@example.org"), store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		if err := st.Unsubscribe(ctx, e.keys.Index("email", "bea@example.org"), "unsubscribe"); err != nil {
			t.Fatal(err)
		}
		e.start(t)
		for range 2 {
			if ev := e.next(t); ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("job %s: %v", ev.Kind, ev.Job.Errors)
			}
		}
		if sent := e.mail.all(); len(sent) != 0 {
			t.Errorf("%d emails sent to an erased or suppressed supporter: %+v", len(sent), sent)
		}
	})
}

func TestMailJobFailureKeepsLettersAndRetriesOnlyWhatFailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		var optinTries int
		e.mail.fail = func(m delivery.Email) error {
			if strings.Contains(m.Subject, "hear from") {
				optinTries++
				if optinTries == 1 {
					return errors.New("mail channel down")
				}
			}
			return nil
		}
		f := form
		f.OptIn = true
		ids, err := e.confirm(t, e.submission(t, f), "en")
		if err != nil {
			t.Fatal(err)
		}
		e.start(t)
		if ev := e.next(t); ev.Kind != river.EventKindJobFailed {
			t.Fatalf("first attempt: %s", ev.Kind)
		}
		// the letters are there, waiting for delivery, whatever the email did
		for _, id := range ids {
			if l, err := st.LetterByID(ctx, id); err != nil || l.Status != delivery.StatusPending || l.Sealed == "" {
				t.Errorf("letter %d after the mail job failed: %+v %v", id, l, err)
			}
		}
		if ev := e.next(t); ev.Kind != river.EventKindJobCompleted {
			t.Fatalf("retry: %s %v", ev.Kind, ev.Job.Errors)
		}
		copies, optins := 0, 0
		for _, m := range e.mail.all() {
			switch m.Subject {
			case "Your letters to Congress":
				copies++
			case "Confirm that you want to hear from Families Together":
				optins++
			}
		}
		if copies != 1 || optins != 1 {
			t.Errorf("%d copies and %d opt-in emails after a retry, want 1 and 1", copies, optins)
		}
	})
}
