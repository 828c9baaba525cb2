package supportermail_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/keyring"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/supportermail"
)

// crashSupporters is how many supporters each round of the crash test
// has: as many pending submissions waiting for their confirmation email,
// and as many confirmed ones waiting for their copy and opt-in request.
const crashSupporters = 200

// mailWorkers is the supporter-mail queue's MaxWorkers in outreach worker
// (cmd/outreach): how many emails a process can have in flight at once.
const mailWorkers = 4

// TestSupporterMailSIGKILLMidBurst runs the real binary as two `outreach
// worker` processes on the package's PostgreSQL database, sending a burst
// of supporter emails (confirmation links, copies, opt-in requests) to a
// fake SendGrid, SIGKILLs each process once in the middle of it, restarts
// it, and counts what SendGrid took per supporter and kind.
//
// A kill is made at the worst moment: the fake holds the process's next
// requests (read, not answered) until every one of its mail workers is
// waiting on one, so each email it sent before was answered and recorded;
// then the process dies, and the fake answers the held requests to nobody:
// SendGrid has those emails, the database says "sending". The jobs of the
// dead process stay "running" until River rescues them (5 minutes in
// outreach worker); the test plays the rescue by handing them to fresh
// jobs once the live processes are idle.
//
// Without the event webhook (round "no-events"), nothing can tell whether
// SendGrid has an email whose answer was lost: it is sent again, so each
// email held at a kill arrives twice and every other exactly once. With
// it (round "events"), SendGrid's "processed" event for those emails
// (applied as the webhook handler does) settles them before the rescue,
// and every email arrives exactly once. In both, none is missing.
func TestSupporterMailSIGKILLMidBurst(t *testing.T) {
	pgURL := storetest.PostgresURL(t)
	st := storetest.Postgres(t)
	bin := buildOutreach(t)
	raw := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	secretKeys, indexKey := "k1:"+raw(), raw()
	keys, err := seal.Parse(secretKeys, indexKey)
	if err != nil {
		t.Fatal(err)
	}
	// The package's database holds other tests' data under throwaway keys,
	// which the processes would refuse to start with: the check values say
	// the processes' keys are the database's.
	if err := keyring.Record(context.Background(), st, keys); err != nil {
		t.Fatal(err)
	}
	webhookKey := deliverytest.NewEventSigner(t).PublicKey(t)
	for _, round := range []string{"no-events", "events"} {
		t.Run(round, func(t *testing.T) {
			crashRound(t, st, bin, pgURL, secretKeys, indexKey, keys, round == "events", webhookKey)
		})
	}
}

func crashRound(t *testing.T, st *store.Store, bin, pgURL, secretKeys, indexKey string, keys *seal.Keys, events bool, webhookKey string) {
	ctx := context.Background()
	if _, err := st.DB().ExecContext(ctx, "DELETE FROM river_job"); err != nil {
		t.Fatal(err)
	}
	camp, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: fmt.Sprintf("crash-%d", time.Now().UnixNano()), Title: "Reunite separated families",
		Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Live, Subject: "Oversight", Template: "{{.salutation}}"}, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	inserter, err := jobs.New(st.DB(), true, jobs.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	enqueue := supportermail.Enqueue(inserter)
	office := delivery.Office{BioguideID: "P000197", Name: "Nancy Pelosi", Title: "Representative", Chamber: "house", State: "CA", Code: "HCA11"}
	submit := func(email string, f action.Form, mail store.MailEnqueue) store.Submission {
		sub, err := st.CreateSubmissionMail(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: keys.Index("email", email), Lang: "en"},
			func(id int64) (string, error) {
				return keys.SealJSON(action.Sealed{Form: f, Lang: "en", Offices: []action.OfficeName{{Title: office.Title, Name: office.Name}}}, action.SubmissionAAD(id))
			}, mail)
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	// The burst: pending submissions waiting for their confirmation link,
	// and confirmed ones waiting for their copy and opt-in request.
	for i := range crashSupporters {
		email := fmt.Sprintf("pending%d@example.org", i)
		submit(email, action.Form{FirstName: "Ana", LastName: "García", Email: email, ZIP: "94110", State: "CA"}, enqueue)
	}
	for i := range crashSupporters {
		email := fmt.Sprintf("confirmed%d@example.org", i)
		f := action.Form{FirstName: "Ben", LastName: "Okafor", Email: email, ZIP: "94110", State: "CA", OptIn: true}
		sub := submit(email, f, nil)
		kinds := []string{supportermail.KindCopy, supportermail.KindOptIn}
		if _, err := st.Confirm(ctx, sub.ID, store.Confirmation{Now: time.Now(),
			Build: func(sub store.Submission, _ map[string]bool) (store.Confirmed, error) {
				sealed := delivery.Sealed{Subject: "Oversight", Body: "Dear Representative Pelosi, reunite the families.", Office: office,
					From: delivery.Constituent{FirstName: f.FirstName, Email: f.Email}}
				return store.Confirmed{Letters: []store.NewLetter{{CampaignID: camp.ID, SubmissionID: sub.ID, BioguideID: office.BioguideID,
					OfficeCode: office.Code, Chamber: office.Chamber, State: office.State, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
					Seal: func(id int64) (string, error) { return keys.SealJSON(sealed, delivery.LetterAAD(id)) }}},
					OptIn: &store.OptInRequest{Sealed: "-", Lang: "en"}, Mail: kinds, MailLang: "en"}, nil
			},
			Jobs: func(ctx context.Context, tx *sql.Tx, sub store.Submission, _ []int64) error {
				_, err := inserter.InsertManyTx(ctx, tx, supportermail.JobParams(sub.ID, kinds...))
				return err
			}}); err != nil {
			t.Fatal(err)
		}
	}
	// Every email of the round, by row id.
	type mailKey struct {
		sub  int64
		kind string
	}
	rows := map[int64]mailKey{}
	r, err := st.DB().QueryContext(ctx, "SELECT m.id, m.submission_id, m.kind FROM supporter_mail m JOIN submissions s ON s.id = m.submission_id WHERE s.campaign_id = $1", camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id int64
		var k mailKey
		if err := r.Scan(&id, &k.sub, &k.kind); err != nil {
			t.Fatal(err)
		}
		rows[id] = k
	}
	r.Close()
	total := 3 * crashSupporters
	if len(rows) != total {
		t.Fatalf("%d emails queued, want %d", len(rows), total)
	}

	fake := deliverytest.NewSendGrid(t)
	fake.Delay = 5 * time.Millisecond
	dataDir := t.TempDir()
	start := func(name string) *workerProc {
		env := []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + dataDir, "TZ=UTC",
			"DATABASE_URL=" + pgURL, "OUTREACH_DATA_DIR=" + dataDir,
			"OUTREACH_SECRET_KEYS=" + secretKeys, "OUTREACH_INDEX_KEY=" + indexKey,
			"SENDGRID_API_KEY=SG." + name, "OUTREACH_SENDGRID_URL=" + fake.URL, "OUTREACH_DELIVERY_CHANNELS=sendgrid",
			"OUTREACH_MAIL_FROM=act@outreach.example.org", "OUTREACH_BASE_URL=https://act.example.org",
			"OUTREACH_ORG_NAME=Families Together", "OUTREACH_LOG_LEVEL=warn",
		}
		if events {
			env = append(env, "SENDGRID_WEBHOOK_PUBLIC_KEY="+webhookKey)
		}
		return startWorker(t, bin, name, env)
	}
	var mu sync.Mutex
	inFlight := map[int64]bool{} // emails held in the fake at a kill
	kill := func(p *workerProc) {
		key := "SG." + p.name
		fake.Hold(func(r deliverytest.Request) bool {
			if r.APIKey != key {
				return false
			}
			mu.Lock()
			inFlight[r.MailID] = true
			mu.Unlock()
			return true
		})
		eventually(t, 30*time.Second, "every mail worker of "+p.name+" waiting on SendGrid", func() bool { return fake.Held() >= mailWorkers })
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.exited
		fake.Release()
	}
	accepted := func() int { return fake.AcceptedTotal() }

	a, b := start("a"), start("b")
	eventually(t, 90*time.Second, "30% of the emails sent", func() bool { return accepted() >= total*3/10 })
	kill(a)
	a2 := start("a2")
	eventually(t, 90*time.Second, "60% of the emails sent", func() bool { return accepted() >= total*6/10 })
	kill(b)
	b2 := start("b2")
	t.Logf("%d emails in flight at the kills", len(inFlight))
	if len(inFlight) != 2*mailWorkers {
		t.Errorf("%d emails held at the kills, want %d", len(inFlight), 2*mailWorkers)
	}

	// The fake answers the held requests (to nobody) once released: it has
	// taken each of those emails.
	eventually(t, 10*time.Second, "the held requests answered", func() bool {
		n := 0
		for _, req := range fake.Requests(0) {
			if inFlight[req.MailID] && req.Accepted() {
				n++
			}
		}
		return n >= len(inFlight)
	})
	// SendGrid's processed events for the emails it took without the
	// worker knowing, applied as the webhook handler applies them: for half
	// of them now, for the other half late (after the rescue below).
	msgID := map[int64]string{}
	var early, late []int64
	for _, req := range fake.Requests(0) {
		if inFlight[req.MailID] && req.Accepted() {
			msgID[req.MailID] = req.MessageID
			if len(early) < len(inFlight)/2 {
				early = append(early, req.MailID)
			} else {
				late = append(late, req.MailID)
			}
		}
	}
	settle := func(ids []int64) {
		for _, id := range ids {
			if _, err := st.SettleSupporterMail(ctx, id, msgID[id], time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if events {
		settle(early)
	}
	// The live processes finish everything they can: no job of the round
	// waits, and SendGrid has heard nothing for a second. Jobs still
	// "running" are then the killed processes'.
	last, quietSince := -1, time.Now()
	eventually(t, 120*time.Second, "the restarted workers to finish", func() bool {
		n := len(fake.Requests(0))
		if n != last {
			last, quietSince = n, time.Now()
		}
		if time.Since(quietSince) < time.Second {
			return false
		}
		res, err := inserter.JobList(ctx, river.NewJobListParams().Kinds("supporter_email").
			States(rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable, rivertype.JobStatePending).First(10))
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Jobs) == 0
	})
	// River's rescue, played here: the dead processes' jobs end, and each
	// email not sent yet gets a fresh job on the live processes.
	orphans, err := st.DB().ExecContext(ctx, "UPDATE river_job SET state = 'cancelled', finalized_at = now() WHERE state = 'running' AND kind = 'supporter_email'")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := orphans.RowsAffected()
	var unsent []river.InsertManyParams
	for id, k := range rows {
		m, err := st.SupporterMailOf(ctx, k.sub, k.kind)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != store.MailSent {
			unsent = append(unsent, supportermail.JobParams(k.sub, k.kind)...)
			if m.Status != store.MailSending && m.Status != store.MailQueued {
				t.Errorf("email %d (%s): %s %q", id, k.kind, m.Status, m.Detail)
			}
		}
	}
	t.Logf("%d jobs of the killed processes rescued, %d emails not sent yet", n, len(unsent))
	if len(unsent) > 0 {
		if _, err := inserter.InsertMany(ctx, unsent); err != nil {
			t.Fatal(err)
		}
	}
	if events {
		// The emails whose event has not come yet wait for it, for Grace
		// after they were handed to SendGrid, and are not sent meanwhile.
		time.Sleep(3 * time.Second)
		for _, id := range late {
			k := rows[id]
			m, err := st.SupporterMailOf(ctx, k.sub, k.kind)
			if err != nil {
				t.Fatal(err)
			}
			if m.Status != store.MailSending || m.SendingSince == nil {
				t.Fatalf("email %d before its event: %+v, want sending", id, m)
			}
			res, err := inserter.JobList(ctx, river.NewJobListParams().Kinds("supporter_email").States(rivertype.JobStateScheduled).First(100))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, j := range res.Jobs {
				var a supportermail.Args
				if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
					t.Fatal(err)
				}
				if a.SubmissionID == k.sub && a.Mail == k.kind {
					found = true
					if wait := j.ScheduledAt.Sub(*m.SendingSince); wait < supportermail.Grace-10*time.Second || wait > supportermail.Grace+10*time.Second {
						t.Errorf("email %d waits until %s, %s after it was handed to SendGrid; want %s", id, j.ScheduledAt, wait, supportermail.Grace)
					}
				}
			}
			if !found {
				t.Errorf("email %d: no job waiting for its event", id)
			}
		}
		settle(late)
	}
	eventually(t, 60*time.Second, "every email sent", func() bool {
		var left int
		if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM supporter_mail m JOIN submissions s ON s.id = m.submission_id WHERE s.campaign_id = $1 AND m.status <> 'sent'", camp.ID).Scan(&left); err != nil {
			t.Fatal(err)
		}
		return left == 0
	})
	for _, p := range []*workerProc{a2, b2} {
		stopWorker(t, p)
	}

	// Count what SendGrid took, per supporter and kind.
	got := map[int64]int{}
	perKind := map[string]int{}
	for _, req := range fake.Requests(0) {
		if req.Accepted() {
			got[req.MailID]++
			perKind[rows[req.MailID].kind]++
		}
	}
	twice := 0
	for id, k := range rows {
		want := 1
		if inFlight[id] && !events {
			want = 2 // the one email in flight at a kill, sent again: the README's exception
		}
		switch {
		case got[id] == 0:
			t.Errorf("submission %d never got its %s email", k.sub, k.kind)
		case got[id] != want:
			t.Errorf("submission %d got its %s email %d times, want %d (in flight at a kill: %v)", k.sub, k.kind, got[id], want, inFlight[id])
		}
		if got[id] == 2 {
			twice++
		}
	}
	t.Logf("SendGrid took %v; %d emails twice (all in flight at a kill)", perKind, twice)
}

// workerProc is one `outreach worker` process.
type workerProc struct {
	name   string
	cmd    *exec.Cmd
	log    *bytes.Buffer
	exited chan struct{}
	err    error
}

func startWorker(t *testing.T, bin, name string, env []string) *workerProc {
	t.Helper()
	cmd := exec.Command(bin, "worker")
	cmd.Env = env
	p := &workerProc{name: name, cmd: cmd, log: &bytes.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("worker %s log:\n%s", name, tail(p.log.String(), 3000))
		}
	})
	return p
}

func stopWorker(t *testing.T, p *workerProc) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("worker %s did not stop cleanly: %v\n%s", p.name, p.err, tail(p.log.String(), 2000))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("worker %s did not stop after SIGTERM", p.name)
	}
}

// buildOutreach builds the outreach binary into the test's temp dir.
func buildOutreach(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "outreach")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/outreach")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/outreach: %v\n%s", err, out)
	}
	return bin
}

func eventually(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: still waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }
