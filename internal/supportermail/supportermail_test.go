package supportermail_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
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
	sent []supportermail.Outgoing
	fail func(m supportermail.Outgoing) error
}

func (m *mailer) SendSupporterEmail(_ context.Context, o supportermail.Outgoing) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		if err := m.fail(o); err != nil {
			return "", err
		}
	}
	m.sent = append(m.sent, o)
	return "rec-" + o.Kind, nil
}

func (m *mailer) all() []supportermail.Email {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []supportermail.Email
	for _, o := range m.sent {
		out = append(out, o.Email)
	}
	return out
}

type env struct {
	st     *store.Store
	keys   *seal.Keys
	camp   campaign.Campaign
	mail   *mailer
	worker *supportermail.Worker
	client *jobs.Client // works supporter-mail jobs
	insert *jobs.Client // inserts jobs, as the web process does
	events <-chan *river.Event
}

// newEnv builds a campaign and a River client that works supporter-mail
// jobs with w's settings (Mailer defaults to a recorder).
func newEnv(t *testing.T, st *store.Store, w supportermail.Worker) *env {
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
	if w.Mailer == nil {
		w.Mailer = e.mail
	}
	w.Store, w.OrgName, w.Links = st, "Families Together", supportermail.Links{BaseURL: "http://act.example.org", Keys: e.keys}
	e.worker = &w
	workers := river.NewWorkers()
	river.AddWorker(workers, e.worker)
	river.AddWorker(workers, &supportermail.LegacyWorker{Store: st})
	e.client, err = jobs.New(st.DB(), st.Dialect() == store.Postgres, jobs.Options{Workers: workers,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		Queues:            map[string]river.QueueConfig{supportermail.Queue: {MaxWorkers: 2}, river.QueueDefault: {MaxWorkers: 1}},
		FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if e.insert, err = jobs.New(st.DB(), st.Dialect() == store.Postgres, jobs.Options{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	var cancel func()
	e.events, cancel = e.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled, river.EventKindJobSnoozed)
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

// next waits for the next finished (or snoozed) job.
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

// completed waits for n jobs to complete, failing on anything else but a
// snooze or a failed attempt River retries.
func (e *env) completed(t *testing.T, n int) {
	t.Helper()
	for n > 0 {
		ev := e.next(t)
		switch ev.Kind {
		case river.EventKindJobCompleted:
			n--
		case river.EventKindJobCancelled:
			t.Fatalf("job %s cancelled: %v", ev.Job.Kind, ev.Job.Errors)
		}
	}
}

var form = action.Form{Prefix: "Ms.", FirstName: "Ana", LastName: "García", Email: "ana@example.org", Address1: "3200 24th St",
	City: "San Francisco", State: "CA", ZIP: "94110"}

// submission stores a pending submission of f and queues its
// confirmation email, as the campaign page does.
func (e *env) submission(t *testing.T, f action.Form) store.Submission {
	t.Helper()
	sub, err := e.st.CreateSubmissionMail(context.Background(), store.Submission{CampaignID: e.camp.ID, EmailIndex: e.keys.Index("email", f.Email), Lang: "en"},
		func(id int64) (string, error) {
			return e.keys.SealJSON(action.Sealed{Form: f, Lang: "en", Offices: []action.OfficeName{{Title: "Representative", Name: "Nancy Pelosi"},
				{Title: "Senator", Name: "Adam Schiff"}}}, action.SubmissionAAD(id))
		}, supportermail.Enqueue(e.insert))
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
// office, the opt-in request when asked, and the emails' jobs.
func (e *env) confirm(t *testing.T, sub store.Submission, lang string) ([]int64, error) {
	t.Helper()
	var mail []string
	return e.st.Confirm(context.Background(), sub.ID, store.Confirmation{CampaignID: e.camp.ID, Now: time.Now(),
		Build: func(sub store.Submission, already map[string]bool) (store.Confirmed, error) {
			var ss action.Sealed
			if err := e.keys.OpenJSON(sub.Sealed, action.SubmissionAAD(sub.ID), &ss); err != nil {
				return store.Confirmed{}, err
			}
			out := store.Confirmed{MailLang: lang}
			for _, o := range offices {
				sealed := delivery.Sealed{Subject: "Oversight", Body: "Dear " + o.Title + " " + o.Name + ", reunite the families.", Office: o,
					From: delivery.Constituent{FirstName: ss.Form.FirstName, Email: ss.Form.Email}}
				out.Letters = append(out.Letters, store.NewLetter{CampaignID: sub.CampaignID, SubmissionID: sub.ID, BioguideID: o.BioguideID,
					OfficeCode: o.Code, Chamber: o.Chamber, State: o.State, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
					Seal: func(id int64) (string, error) { return e.keys.SealJSON(sealed, delivery.LetterAAD(id)) }})
			}
			mail = []string{supportermail.KindCopy}
			if ss.Form.OptIn {
				sealed, err := e.keys.SealJSON(map[string]string{"email": ss.Form.Email}, "optin:"+sub.EmailIndex)
				if err != nil {
					return store.Confirmed{}, err
				}
				out.OptIn = &store.OptInRequest{Sealed: sealed, Lang: lang}
				mail = append(mail, supportermail.KindOptIn)
			}
			out.Mail = mail
			return out, nil
		},
		Jobs: func(ctx context.Context, tx *sql.Tx, sub store.Submission, ids []int64) error {
			_, err := e.insert.InsertManyTx(ctx, tx, append(dispatch.JobParams(ids), supportermail.JobParams(sub.ID, mail...)...))
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
	rows, err := e.st.DB().QueryContext(context.Background(), "SELECT "+text+" FROM river_job WHERE kind = 'supporter_email' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		args = append(args, strings.ReplaceAll(a, " ", "")) // PostgreSQL's jsonb text has spaces
	}
	return args
}

// row loads the email of kind to sub.
func (e *env) row(t *testing.T, sub store.Submission, kind string) store.SupporterMail {
	t.Helper()
	m, err := e.st.SupporterMailOf(context.Background(), sub.ID, kind)
	if err != nil {
		t.Fatalf("%s email of submission %d: %v", kind, sub.ID, err)
	}
	return m
}

func TestSubmissionAndConfirmationEmailAreOneTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, supportermail.Worker{})
		sub := e.submission(t, form)
		if m := e.row(t, sub, supportermail.KindConfirm); m.Status != store.MailQueued || m.Attempts != 0 {
			t.Errorf("confirmation email row: %+v", m)
		}
		jobs := e.mailJobs(t)
		if len(jobs) != 1 || !strings.Contains(jobs[0], `"mail":"confirm"`) {
			t.Fatalf("jobs %q, want the confirmation email's", jobs)
		}
		for _, bad := range []string{"ana", "Ana", "García", "94110", "3200"} {
			if strings.Contains(jobs[0], bad) {
				t.Errorf("job args %s carry %q", jobs[0], bad)
			}
		}
		// the queue refuses: no submission, no email row
		_, err := st.CreateSubmissionMail(ctx, store.Submission{CampaignID: e.camp.ID, EmailIndex: e.keys.Index("email", "lupe@example.org"), Lang: "en"},
			func(int64) (string, error) { return "sealed", nil },
			func(context.Context, *sql.Tx, []store.SupporterMail) error { return errors.New("queue down") })
		if err == nil {
			t.Fatal("a submission was stored without its confirmation email's job")
		}
		var n int64
		if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM submissions WHERE campaign_id = "+itoa(e.camp.ID)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d submissions, want the first only", n)
		}
		if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM supporter_mail m JOIN submissions s ON s.id = m.submission_id WHERE s.campaign_id = "+
			itoa(e.camp.ID)).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d supporter_mail rows (%v), want 1", n, err)
		}

		// The job sends it once: the link, the offices, the footer.
		e.start(t)
		e.completed(t, 1)
		sent := e.mail.all()
		if len(sent) != 1 {
			t.Fatalf("%d emails, want the confirmation", len(sent))
		}
		for _, want := range []string{"Hello Ana", "Reunite separated families", "- Representative Nancy Pelosi\n- Senator Adam Schiff",
			"http://act.example.org/c/" + e.camp.Slug + "/confirm?lang=en&t=", "/forget?"} {
			if !strings.Contains(sent[0].Text, want) {
				t.Errorf("confirmation email lacks %q:\n%s", want, sent[0].Text)
			}
		}
		if m := e.row(t, sub, supportermail.KindConfirm); m.Status != store.MailSent || m.Attempts != 1 || m.ProviderID != "rec-confirm" || m.SentAt == nil {
			t.Errorf("after sending: %+v", m)
		}
	})
}

func TestConfirmQueuesCopyAndOptIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, supportermail.Worker{})
		f := form
		f.OptIn = true
		sub := e.submission(t, f)
		ids, err := e.confirm(t, sub, "es")
		if err != nil || len(ids) != 2 {
			t.Fatalf("confirm: %v %v", ids, err)
		}
		jobs := e.mailJobs(t)
		if len(jobs) != 3 || !strings.Contains(jobs[1], `"mail":"copy"`) || !strings.Contains(jobs[2], `"mail":"optin"`) {
			t.Fatalf("jobs %q, want the confirmation, the copy and the opt-in request", jobs)
		}
		for _, k := range []string{supportermail.KindCopy, supportermail.KindOptIn} {
			if m := e.row(t, sub, k); m.Status != store.MailQueued || m.Lang != "es" {
				t.Errorf("%s row: %+v", k, m)
			}
		}
		// the second click: no second job, no letter
		if _, err := e.confirm(t, sub, "es"); !errors.Is(err, store.ErrAlreadyDone) {
			t.Errorf("second confirmation: %v", err)
		}
		// enqueued again (a retried transaction): no second job while one waits
		tx, err := st.DB().BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.insert.InsertManyTx(context.Background(), tx, supportermail.JobParams(sub.ID, supportermail.KindCopy)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n := len(e.mailJobs(t)); n != 3 {
			t.Errorf("%d mail jobs after enqueueing again, want 3", n)
		}
		// a confirmation whose jobs cannot be enqueued leaves nothing behind
		other := e.submission(t, action.Form{FirstName: "Lupe", Email: "lupe@example.org", ZIP: "94110", State: "CA"})
		_, err = st.Confirm(context.Background(), other.ID, store.Confirmation{Now: time.Now(),
			Build: func(store.Submission, map[string]bool) (store.Confirmed, error) {
				return store.Confirmed{Mail: []string{supportermail.KindCopy}}, nil
			},
			Jobs: func(context.Context, *sql.Tx, store.Submission, []int64) error { return errors.New("queue down") }})
		if err == nil {
			t.Fatal("confirmation committed without its jobs")
		}
		if got, _ := st.SubmissionByID(context.Background(), other.ID); got.Status != "pending" {
			t.Errorf("submission is %s after a failed confirmation", got.Status)
		}
		if _, err := st.SupporterMailOf(context.Background(), other.ID, supportermail.KindCopy); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a copy row outlived its failed confirmation: %v", err)
		}
	})
}

func TestEachEmailSentOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, supportermail.Worker{})
		optin := form
		optin.OptIn = true
		ana := e.submission(t, optin)
		if _, err := e.confirm(t, ana, "es"); err != nil {
			t.Fatal(err)
		}
		plain := form
		plain.Email = "bea@example.org"
		if _, err := e.confirm(t, e.submission(t, plain), "en"); err != nil {
			t.Fatal(err)
		}
		e.start(t)
		// Both confirmation emails find their submission confirmed already
		// (skipped); the copies and the opt-in request go out.
		e.completed(t, 5)
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
		if m := e.row(t, ana, supportermail.KindConfirm); m.Status != store.MailSkipped || !strings.Contains(m.Detail, "confirmed") {
			t.Errorf("confirmation email of a confirmed submission: %+v", m)
		}
		if ok, _ := st.OptInConfirmed(context.Background(), e.keys.Index("email", "ana@example.org")); ok {
			t.Error("opt-in confirmed before the supporter followed the link")
		}
		// A job run again (River retried it after its outcome was lost)
		// sends nothing more: the row says sent.
		if err := e.worker.Work(context.Background(), &river.Job[supportermail.Args]{Args: supportermail.Args{SubmissionID: ana.ID, Mail: supportermail.KindCopy}}); err != nil {
			t.Fatal(err)
		}
		if n := len(e.mail.all()); n != 3 {
			t.Errorf("%d emails after the copy's job ran again, want 3", n)
		}
	})
}

func TestErasedOrSuppressedGetsNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, supportermail.Worker{})
		erased := form
		erased.OptIn = true
		ana := e.submission(t, erased)
		if _, err := e.confirm(t, ana, "en"); err != nil {
			t.Fatal(err)
		}
		suppressed := form
		suppressed.Email, suppressed.OptIn = "bea@example.org", true
		bea := e.submission(t, suppressed)
		if _, err := e.confirm(t, bea, "en"); err != nil {
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
		e.completed(t, 6)
		if sent := e.mail.all(); len(sent) != 0 {
			t.Errorf("%d emails sent to an erased or suppressed supporter: %+v", len(sent), sent)
		}
		for _, sub := range []store.Submission{ana, bea} {
			for _, k := range []string{supportermail.KindConfirm, supportermail.KindCopy, supportermail.KindOptIn} {
				if m := e.row(t, sub, k); m.Status != store.MailSkipped || m.Attempts != 0 {
					t.Errorf("%s email of submission %d: %+v", k, sub.ID, m)
				}
			}
		}
	})
}

func TestFailureKeepsLettersAndRetriesOnlyWhatFailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, supportermail.Worker{BackoffBase: 50 * time.Millisecond})
		var optinTries int
		e.mail.fail = func(m supportermail.Outgoing) error {
			if m.Kind == supportermail.KindOptIn {
				optinTries++
				if optinTries == 1 {
					return delivery.Temporary(errors.New("mail channel down"), 0)
				}
			}
			return nil
		}
		f := form
		f.OptIn = true
		sub := e.submission(t, f)
		ids, err := e.confirm(t, sub, "en")
		if err != nil {
			t.Fatal(err)
		}
		e.start(t)
		e.completed(t, 3)
		// the letters are there, waiting for delivery, whatever the email did
		for _, id := range ids {
			if l, err := st.LetterByID(ctx, id); err != nil || l.Status != delivery.StatusPending || l.Sealed == "" {
				t.Errorf("letter %d after the mail job failed: %+v %v", id, l, err)
			}
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
		if copies != 1 || optins != 1 || optinTries != 2 {
			t.Errorf("%d copies and %d opt-in emails (%d tries) after a retry, want 1, 1 (2)", copies, optins, optinTries)
		}
		if m := e.row(t, sub, supportermail.KindOptIn); m.Status != store.MailSent || m.Attempts != 2 {
			t.Errorf("opt-in row after a retry: %+v", m)
		}
	})
}

// sendgridEnv is an env whose worker sends through the real SendGrid
// adapter to a local fake.
func sendgridEnv(t *testing.T, st *store.Store, w supportermail.Worker) (*env, *deliverytest.SendGrid) {
	t.Helper()
	fake := deliverytest.NewSendGrid(t)
	c, err := sendgrid.New(sendgrid.Config{APIKey: "SG.test", BaseURL: fake.URL, FromEmail: "act@example.org", FromName: "Families Together"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Mailer = supportermail.SendGridMailer{Client: c}
	return newEnv(t, st, w), fake
}

// answers makes the fake answer a supporter email's requests with plan,
// in order, then accept.
func answers(fake *deliverytest.SendGrid, plan ...deliverytest.Answer) {
	var mu sync.Mutex
	seen := map[int64]int{}
	fake.Fallback(func(r deliverytest.Request) deliverytest.Answer {
		mu.Lock()
		defer mu.Unlock()
		n := seen[r.MailID]
		seen[r.MailID]++
		if n < len(plan) {
			return plan[n]
		}
		return deliverytest.Accept()
	})
}

func TestRateLimitWaitsForSendGridReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e, fake := sendgridEnv(t, st, supportermail.Worker{})
		reset := time.Now().Add(3 * time.Second).Truncate(time.Second)
		answers(fake, deliverytest.RateLimited(reset))
		sub := e.submission(t, form)
		e.start(t)
		if ev := e.next(t); ev.Kind != river.EventKindJobSnoozed {
			t.Fatalf("after a 429: job %s %v, want snoozed", ev.Kind, ev.Job.Errors)
		}
		m := e.row(t, sub, supportermail.KindConfirm)
		if m.Status != store.MailQueued || !strings.Contains(m.Detail, "429") {
			t.Errorf("after a 429 the email is %+v, want queued (SendGrid did not take it)", m)
		}
		res, err := e.insert.JobList(ctx, river.NewJobListParams().Kinds("supporter_email").First(10))
		if err != nil || len(res.Jobs) != 1 {
			t.Fatalf("jobs: %v %v", res, err)
		}
		if j := res.Jobs[0]; j.State == rivertype.JobStateCompleted || j.ScheduledAt.Before(reset.Add(-time.Second)) || j.ScheduledAt.After(reset.Add(2*time.Second)) {
			t.Errorf("after a 429 resetting at %s the job is %s at %s", reset.Format(time.TimeOnly), j.State, j.ScheduledAt.Local().Format(time.TimeOnly))
		}
		e.completed(t, 1)
		if time.Now().Before(reset) {
			t.Errorf("sent before SendGrid's reset")
		}
		reqs := fake.Requests(0)
		if len(reqs) != 2 || !reqs[1].Accepted() || reqs[1].At.Before(reset) {
			t.Fatalf("requests %+v, want a 429 then one accepted after the reset", reqs)
		}
		m = e.row(t, sub, supportermail.KindConfirm)
		if m.Status != store.MailSent || m.ProviderID != reqs[1].MessageID || m.Attempts != 2 {
			t.Errorf("sent email: %+v (SendGrid's id %s)", m, reqs[1].MessageID)
		}
		// what SendGrid got: the address, the mail_id to settle events by,
		// the categories, the one-click unsubscribe header
		got := reqs[1].Mail
		if got.Personalizations[0].To[0].Email != "ana@example.org" || got.CustomArgs["mail_id"] != itoa(m.ID) ||
			strings.Join(got.Categories, ",") != "supporter,confirm" || got.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
			t.Errorf("SendGrid request: %+v", got)
		}
	})
}

func TestServerErrorRetriedWithBackoffAndRefusalFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, fake := sendgridEnv(t, st, supportermail.Worker{BackoffBase: 200 * time.Millisecond})
		answers(fake, deliverytest.ServerError(503), deliverytest.ServerError(500))
		sub := e.submission(t, form)
		e.start(t)
		var failed int
		for done := false; !done; {
			switch ev := e.next(t); ev.Kind {
			case river.EventKindJobFailed:
				failed++
			case river.EventKindJobCompleted:
				done = true
			default:
				t.Fatalf("job %s %v", ev.Kind, ev.Job.Errors)
			}
		}
		reqs := fake.Requests(0)
		if failed != 2 || len(reqs) != 3 || fake.AcceptedTotal() != 1 {
			t.Errorf("%d failed attempts, %d requests, %d accepted: want 2, 3, 1", failed, len(reqs), fake.AcceptedTotal())
		}
		if len(reqs) == 3 {
			// exponential: the second wait is about twice the first (±25 %)
			first, second := reqs[1].At.Sub(reqs[0].At), reqs[2].At.Sub(reqs[1].At)
			if first < 150*time.Millisecond || second < 300*time.Millisecond {
				t.Errorf("retries after %s and %s, want about 200 ms then 400 ms", first, second)
			}
		}
		if m := e.row(t, sub, supportermail.KindConfirm); m.Status != store.MailSent || m.Attempts != 3 {
			t.Errorf("after two 5xx: %+v", m)
		}

		// A 400 (a refused address) fails the email at once, for good.
		answers(fake, deliverytest.Rejected(400, "Does not contain a valid address.", "personalizations.0.to.0.email"))
		bad := form
		bad.Email = "bea@example.org"
		other := e.submission(t, bad)
		if ev := e.next(t); ev.Kind != river.EventKindJobCancelled {
			t.Fatalf("after a 400: job %s, want cancelled", ev.Kind)
		}
		if m := e.row(t, other, supportermail.KindConfirm); m.Status != store.MailFailed || !strings.Contains(m.Detail, "valid address") {
			t.Errorf("refused email: %+v", m)
		}
		if n := len(fake.Requests(0)); n != 4 {
			t.Errorf("%d requests, want the refused one once", n-3)
		}
	})
}

func TestUnknownOutcomeSettledByEventOrSentAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		// With the event webhook: the email whose answer was lost waits
		// for SendGrid's event, which settles it; nothing is sent again.
		e, fake := sendgridEnv(t, st, supportermail.Worker{Events: true, Grace: time.Second})
		answers(fake, deliverytest.DropAfterAccept())
		sub := e.submission(t, form)
		e.start(t)
		if ev := e.next(t); ev.Kind != river.EventKindJobSnoozed {
			t.Fatalf("after a lost answer: job %s %v, want snoozed for the grace window", ev.Kind, ev.Job.Errors)
		}
		m := e.row(t, sub, supportermail.KindConfirm)
		if m.Status != store.MailSending || m.Attempts != 1 {
			t.Fatalf("after a lost answer: %+v, want sending (outcome unknown)", m)
		}
		msgID := fake.Requests(0)[0].MessageID
		if ok, err := st.SettleSupporterMail(ctx, m.ID, msgID, time.Now()); err != nil || !ok {
			t.Fatalf("settle: %v %v", ok, err)
		}
		e.completed(t, 1)
		if n, a := len(fake.Requests(0)), fake.AcceptedTotal(); n != 1 || a != 1 {
			t.Errorf("%d requests, %d accepted after the event settled it, want 1 and 1", n, a)
		}
		if m := e.row(t, sub, supportermail.KindConfirm); m.Status != store.MailSent || m.ProviderID != msgID {
			t.Errorf("settled email: %+v", m)
		}

		// No event within the grace window: sent again, once.
		fake.Reset()
		answers(fake, deliverytest.DropAfterAccept())
		bea := form
		bea.Email = "bea@example.org"
		other := e.submission(t, bea)
		e.completed(t, 1)
		if n, a := len(fake.Requests(0)), fake.AcceptedTotal(); n != 2 || a != 2 {
			t.Errorf("%d requests, %d accepted without an event, want 2 and 2 (the unknown one, then once more)", n, a)
		}
		if m := e.row(t, other, supportermail.KindConfirm); m.Status != store.MailSent || m.Attempts != 2 {
			t.Errorf("email sent again after the grace window: %+v", m)
		}
	})
}

func TestUnknownOutcomeWithoutEventsSentAgainOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		// Without the event webhook nothing can tell whether SendGrid has
		// it: the next attempt sends it again, at once.
		e, fake := sendgridEnv(t, st, supportermail.Worker{BackoffBase: 50 * time.Millisecond})
		answers(fake, deliverytest.DropAfterAccept())
		sub := e.submission(t, form)
		e.start(t)
		e.completed(t, 1)
		if n, a := len(fake.Requests(0)), fake.AcceptedTotal(); n != 2 || a != 2 {
			t.Errorf("%d requests, %d accepted, want 2 and 2", n, a)
		}
		if m := e.row(t, sub, supportermail.KindConfirm); m.Status != store.MailSent || m.Attempts != 2 {
			t.Errorf("email: %+v", m)
		}
	})
}

func TestOutboxStoresEachEmailOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, supportermail.Worker{})
		e.worker.Mailer = supportermail.OutboxMailer{Store: st, Keys: e.keys}
		sub := e.submission(t, form)
		m := e.row(t, sub, supportermail.KindConfirm)
		if ok, err := st.ClaimSupporterMail(ctx, m.ID, 0, time.Now()); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		ob := supportermail.OutboxMailer{Store: st, Keys: e.keys}
		out := supportermail.Outgoing{MailID: m.ID, Attempt: 1, Kind: supportermail.KindConfirm, Email: supportermail.Email{To: "ana@example.org", Subject: "s", Text: "t"}}
		id, err := ob.SendSupporterEmail(ctx, out)
		if err != nil || !strings.HasPrefix(id, "outbox-") {
			t.Fatalf("outbox: %q %v", id, err)
		}
		// the same attempt again (the worker died before it knew): nothing more
		if id, err := ob.SendSupporterEmail(ctx, out); err != nil || id != "" {
			t.Errorf("second store of the same attempt: %q %v", id, err)
		}
		msgs, err := st.Outbox(ctx, "supporter", 0, 10)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("%d outbox messages (%v), want 1", len(msgs), err)
		}
		stored, err := outbox.Open(e.keys, msgs[0].ID, msgs[0].Sealed)
		if err != nil || stored.Email == nil || stored.Email.To != "ana@example.org" {
			t.Errorf("outbox message: %+v %v", stored, err)
		}
		if got := e.row(t, sub, supportermail.KindConfirm); got.Status != store.MailSent || got.ProviderID != id {
			t.Errorf("row: %+v", got)
		}
		// and the job then finds it sent
		e.start(t)
		e.completed(t, 1)
		if msgs, _ := st.Outbox(ctx, "supporter", 0, 10); len(msgs) != 1 {
			t.Errorf("%d outbox messages after the job ran, want 1", len(msgs))
		}
	})
}

func TestLegacyJobBecomesEmailRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, supportermail.Worker{})
		f := form
		f.OptIn = true
		sub := e.submission(t, f)
		if _, err := st.Confirm(ctx, sub.ID, store.Confirmation{Now: time.Now(), Build: func(s store.Submission, _ map[string]bool) (store.Confirmed, error) {
			return store.Confirmed{}, nil
		}}); err != nil {
			t.Fatal(err)
		}
		// an earlier version's job, left in the queue at an upgrade
		if _, err := e.insert.Insert(ctx, supportermail.LegacyArgs{SubmissionID: sub.ID, Lang: "es"}, &river.InsertOpts{Queue: supportermail.Queue}); err != nil {
			t.Fatal(err)
		}
		e.start(t)
		e.completed(t, 4) // the legacy job, the confirmation (skipped), the copy (skipped: no letters), the opt-in request
		sent := e.mail.all()
		if len(sent) != 1 || sent[0].Subject != "Confirme que quiere recibir noticias de Families Together" {
			t.Errorf("emails %+v, want the Spanish opt-in request only", sent)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	// The defaults: 12 attempts, the first retry about 10 s later, each
	// further one twice as long, up to an hour (±25 %).
	if got := (supportermail.Args{}).InsertOpts().MaxAttempts; got != 12 {
		t.Errorf("MaxAttempts = %d, want 12", got)
	}
	w := &supportermail.Worker{}
	for _, c := range []struct {
		attempt  int
		min, max time.Duration
	}{{1, 7500 * time.Millisecond, 12500 * time.Millisecond}, {2, 15 * time.Second, 25 * time.Second}, {30, 45 * time.Minute, 75 * time.Minute}} {
		d := time.Until(w.NextRetry(&river.Job[supportermail.Args]{JobRow: &rivertype.JobRow{Attempt: c.attempt}}))
		if d < c.min-time.Second || d > c.max {
			t.Errorf("retry after attempt %d in %s, want %s to %s", c.attempt, d, c.min, c.max)
		}
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, supportermail.Worker{BackoffBase: 20 * time.Millisecond})
		e.mail.fail = func(supportermail.Outgoing) error { return delivery.Temporary(errors.New("503 from the provider"), 0) }
		sub, err := st.CreateSubmissionMail(ctx, store.Submission{CampaignID: e.camp.ID, EmailIndex: e.keys.Index("email", form.Email), Lang: "en"},
			func(id int64) (string, error) {
				return e.keys.SealJSON(action.Sealed{Form: form, Lang: "en"}, action.SubmissionAAD(id))
			},
			func(context.Context, *sql.Tx, []store.SupporterMail) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.insert.InsertMany(ctx, []river.InsertManyParams{{Args: supportermail.Args{SubmissionID: sub.ID, Mail: supportermail.KindConfirm},
			InsertOpts: &river.InsertOpts{Queue: supportermail.Queue, MaxAttempts: 3}}}); err != nil {
			t.Fatal(err)
		}
		e.start(t)
		for done := false; !done; {
			switch ev := e.next(t); ev.Kind {
			case river.EventKindJobCancelled:
				done = true
			case river.EventKindJobFailed:
			default:
				t.Fatalf("job %s", ev.Kind)
			}
		}
		if m := e.row(t, sub, supportermail.KindConfirm); m.Status != store.MailFailed || m.Attempts != 3 || m.Detail != "gave up after 3 attempts: temporary: 503 from the provider" {
			t.Errorf("after 3 failed attempts: %+v", m)
		}
	})
}
