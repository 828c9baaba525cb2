package mailing_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/keyring"
	"github.com/outreach-org/outreach/internal/mailing"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestMailingSIGKILLMidSend runs the real binary as an `outreach worker`
// process on PostgreSQL, sending a mailing to 3,000 supporters (three
// requests of 1,000) through the fake SendGrid, and SIGKILLs it at the
// worst moment: the fake has read the second request and holds its answer,
// so SendGrid has those 1,000 emails and the database says "sending".
// A new worker resumes the mailing (River's rescue of the dead job and the
// minute a batch in flight is given are played here). Nobody gets the
// email twice: the batch in flight is marked unknown and not sent again,
// the third batch is sent once, and the progress counts 2,000 sent and
// 1,000 unknown.
func TestMailingSIGKILLMidSend(t *testing.T) {
	pgURL := storetest.PostgresURL(t)
	st := storetest.Postgres(t)
	ctx := context.Background()
	keys, secret, index := newKeys(t)
	if err := keyring.Record(ctx, st, keys); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DELETE FROM river_job", "DELETE FROM optins"} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	bin := buildOutreach(t)
	camp := newCampaign(t, st)
	emails := addOptIns(t, st, keys, "crash", "en", camp.ID, 3000, time.Now().Add(-time.Hour))
	inserter, err := jobs.New(st.DB(), true, jobs.Options{Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	d := mailing.Draft{Name: "Crash", CampaignID: camp.ID, SubjectEN: "Act now, {{.first_name}}", BodyEN: "Hi {{.first_name}}: {{.campaign_link}}",
		Segment: mailing.Segment{CampaignID: camp.ID}}
	row, err := d.Row()
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.CreateMailing(ctx, row, store.Audit{Action: "mailing.create"}, mailing.Enqueue(inserter))
	if err != nil {
		t.Fatal(err)
	}

	fake := deliverytest.NewSendGrid(t)
	requests := 0
	fake.Hold(func(deliverytest.Request) bool {
		requests++
		return requests == 2
	})
	dataDir := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dataDir, "TZ=UTC",
		"DATABASE_URL=" + pgURL, "OUTREACH_DATA_DIR=" + dataDir,
		"OUTREACH_SECRET_KEYS=" + secret, "OUTREACH_INDEX_KEY=" + index,
		"SENDGRID_API_KEY=SG.crash", "OUTREACH_SENDGRID_URL=" + fake.URL, "OUTREACH_DELIVERY_CHANNELS=sendgrid",
		"OUTREACH_MAIL_FROM=act@outreach.example.org", "OUTREACH_BASE_URL=https://act.example.org",
		"OUTREACH_ORG_NAME=Families Together", "OUTREACH_LOG_LEVEL=warn",
	}
	a := startWorker(t, bin, "a", env)
	waitFor(t, 90*time.Second, "the second request held", func() bool { return fake.Held() == 1 })
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.exited
	fake.Release() // SendGrid answers the held request to nobody: it has those emails
	waitFor(t, 10*time.Second, "the held request answered", func() bool { return fake.AcceptedRecipients() == 2000 })
	// River's rescue of the dead process's job, and the minute a batch in
	// flight is waited for, played here.
	if _, err := st.DB().ExecContext(ctx, "UPDATE mailing_batches SET sending_since = sending_since - interval '2 minutes' WHERE status = 'sending'"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, "UPDATE river_job SET state = 'cancelled', finalized_at = now() WHERE kind = 'mailing' AND state = 'running'"); err != nil {
		t.Fatal(err)
	}
	if _, err := inserter.Insert(ctx, mailing.Args{MailingID: m.ID}, &river.InsertOpts{Queue: mailing.Queue}); err != nil {
		t.Fatal(err)
	}
	b := startWorker(t, bin, "b", env)
	waitFor(t, 90*time.Second, "the mailing sent", func() bool {
		got, err := st.Mailing(ctx, m.ID)
		return err == nil && got.Status == store.MailingSent
	})
	stopWorker(t, b)

	to := fake.AcceptedTo()
	for _, e := range emails {
		if to[e] != 1 {
			t.Errorf("%s got the email %d times, want once", e, to[e])
		}
	}
	p, err := st.MailingProgress(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Sent != 2000 || p.Unknown != 1000 || p.Failed != 0 {
		t.Errorf("progress %+v; want 2000 sent, 1000 unknown", p)
	}
	if n := len(fake.Requests(0)); n != 3 {
		t.Errorf("%d requests, want 3 (none sent again)", n)
	}
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
			t.Logf("worker %s log:\n%s", name, p.log.String())
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
			t.Errorf("worker %s did not stop cleanly: %v", p.name, p.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("worker %s did not stop after SIGTERM", p.name)
	}
}

// buildOutreach builds the outreach binary into the test's temp dir.
func buildOutreach(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "outreach")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/outreach")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/outreach: %v\n%s", err, out)
	}
	return bin
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: still waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
