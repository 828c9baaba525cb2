package dispatch_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/deliverytest"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/keyring"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// crashLetters is how many letters the crash test delivers, as the issue
// asks; each process sends at most crashRate letters/s
// (OUTREACH_SENDGRID_RATE), so that the two kills land in the middle of
// sending.
const (
	crashLetters = 10000
	crashRate    = "500"
)

// workerProc is one `outreach worker` process.
type workerProc struct {
	name   string
	cmd    *exec.Cmd
	log    *bytes.Buffer
	exited chan struct{} // closed when the process has exited
	err    error         // its exit status, once exited is closed
}

// TestWorkerSIGKILLMidSend runs the real binary as two worker processes
// (replicas A and B) on the package's PostgreSQL database, sending
// crashLetters letters to a fake SendGrid, and SIGKILLs each of them once
// in the middle of sending, then restarts it.
//
// What a kill can leave behind, and how the test settles it:
//
//   - The fake holds the killed process's requests in flight (it has read
//     them) and only answers once the process is dead: SendGrid took those
//     messages but the worker never learned it. Their letters stay
//     "sending", and the restarted processes must not send them again: no
//     resend before the grace window (15 minutes in production) and none
//     at all once SendGrid's "processed" event has arrived.
//   - Letters claimed but not yet sent, or still waiting for their pacing
//     slot, stay "sending" or "pending". Their River jobs are "running"
//     under the dead client until River rescues them (RescueStuckJobsAfter,
//     5 minutes in cmd/outreach), so the restarted processes leave them
//     alone: at most the letters of MaxWorkers (16) jobs per kill, a job
//     being one letter or a batch of up to 100.
//
// The test first checks that state after both processes have finished all
// the rest: every letter the fake took was taken once, every sent letter
// has SendGrid's message id, and only the killed jobs' letters are unsent.
// It then plays what happens next in production, faster: SendGrid posts
// "processed" for the messages it took (applied with ApplyProviderEvent),
// and the stuck letters are worked again, here by a fresh job per letter
// on an in-process worker with a 1 s grace window standing in for River's
// 5-minute rescue and the 15-minute grace. In the end every letter must
// have been accepted by SendGrid exactly once.
//
// Restarting PostgreSQL mid-send is not done here: the server is shared by
// every test package on this machine and restarting it would break them.
func TestWorkerSIGKILLMidSend(t *testing.T) {
	ctx := context.Background()
	pgURL := storetest.PostgresURL(t)
	st := storetest.Postgres(t)
	bin := buildOutreach(t)

	// Keys the worker processes read from the environment.
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
	e := newEnv(t, st)
	e.keys = keys // letters are sealed with the processes' keys
	// The package's database holds other tests' data under throwaway keys,
	// which the processes would refuse to start with: the check values say
	// the processes' keys are the database's.
	if err := keyring.Record(ctx, st, keys); err != nil {
		t.Fatal(err)
	}
	// The campaign's own settings: SendGrid, any hour, no hourly cap.
	if err := st.SaveDeliverySettings(ctx, store.DeliverySettings{CampaignID: e.camp.ID, Channels: []string{"sendgrid"},
		OfficeDays: "sun-sat", OfficeOpen: "00:00", OfficeClose: "24:00", TimeZone: "UTC", OfficeHourlyCap: 1_000_000},
		store.Audit{Action: "test.delivery"}); err != nil {
		t.Fatal(err)
	}
	// An insert-only River client writes the jobs with the letters.
	inserter, err := jobs.New(st.DB(), true, jobs.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	all := e.emailLetters(crashLetters, "K")
	for i := 0; i < len(all); i += 500 {
		got, err := st.CreateLetters(ctx, all[i:min(i+500, len(all))], dispatch.Enqueuer{Client: inserter}.EnqueueTx)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	if len(ids) != crashLetters {
		t.Fatalf("created %d letters", len(ids))
	}

	fake := deliverytest.NewSendGrid(t)
	fake.Delay = 2 * time.Millisecond
	dataDir := t.TempDir()
	startWorker := func(name string) *workerProc {
		cmd := exec.Command(bin, "worker")
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + dataDir, "TZ=UTC",
			"DATABASE_URL=" + pgURL, "OUTREACH_DATA_DIR=" + dataDir,
			"OUTREACH_SECRET_KEYS=" + secretKeys, "OUTREACH_INDEX_KEY=" + indexKey,
			"SENDGRID_API_KEY=SG." + name, "OUTREACH_SENDGRID_URL=" + fake.URL,
			"OUTREACH_DELIVERY_CHANNELS=sendgrid", "OUTREACH_MAIL_FROM=letters@outreach.example.org", "OUTREACH_SENDGRID_RATE=" + crashRate,
			"OUTREACH_ORG_NAME=Families Together", "OUTREACH_LOG_LEVEL=warn",
		}
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
				t.Logf("worker %s (pid %d) log:\n%s", name, cmd.Process.Pid, tail(p.log.String(), 3000))
			}
		})
		return p
	}
	// killMidSend holds the process's next requests inside the fake (read,
	// not answered), SIGKILLs it while they are in flight, then lets the
	// fake answer them to nobody.
	killMidSend := func(p *workerProc) []int64 {
		key := "SG." + p.name
		fake.Hold(func(r deliverytest.Request) bool { return r.APIKey == key })
		eventually(t, 10*time.Second, "requests in flight from "+p.name, func() bool { return fake.Held() >= 2 })
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.exited
		held := fake.HeldLetters()
		fake.Release()
		return held
	}
	waitAccepted := func(n int) {
		eventually(t, 90*time.Second, fmt.Sprintf("%d letters accepted", n), func() bool { return fake.AcceptedTotal() >= n })
	}

	a := startWorker("a")
	b := startWorker("b")
	waitAccepted(crashLetters * 3 / 10)
	heldA := killMidSend(a)
	a2 := startWorker("a2")
	waitAccepted(crashLetters * 6 / 10)
	heldB := killMidSend(b)
	b2 := startWorker("b2")
	inFlight := append(heldA, heldB...)
	t.Logf("killed a with %d and b with %d requests in flight", len(heldA), len(heldB))

	// Wait until the live processes have nothing left to do: no job of
	// these letters waits (available, scheduled, retryable) and SendGrid
	// has heard nothing for a second. Jobs still "running" are then the
	// killed processes' and those the live ones finish before they stop.
	mine := map[int64]bool{}
	for _, id := range ids {
		mine[id] = true
	}
	last, quietSince := -1, time.Now()
	eventually(t, 120*time.Second, "the restarted workers to finish", func() bool {
		n := len(fake.Requests(0))
		if n != last {
			last, quietSince = n, time.Now()
		}
		if time.Since(quietSince) < time.Second {
			return false
		}
		res, err := inserter.JobList(ctx, river.NewJobListParams().Queues(dispatch.Queue).
			States(rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable, rivertype.JobStatePending).First(10000))
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range res.Jobs {
			for _, id := range dispatch.JobLetters(j.Kind, j.EncodedArgs) {
				if mine[id] {
					return false
				}
			}
		}
		return true
	})
	for _, p := range []*workerProc{a2, b2} {
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

	// After the crashes: nothing was ever sent twice, every sent letter
	// carries SendGrid's message id, and only the killed jobs are unsent.
	accepted := fake.AcceptedCounts()
	msgID := map[int64]string{}
	for _, r := range fake.Requests(0) {
		if r.Accepted() {
			msgID[r.LetterID] = r.MessageID
		}
	}
	var unsent, tookUnknown []int64
	for _, id := range ids {
		l := loadLetter(t, st, id)
		if accepted[id] > 1 {
			t.Errorf("letter %d accepted %d times", id, accepted[id])
		}
		switch l.Status {
		case delivery.StatusSent:
			if accepted[id] != 1 || l.ProviderID != msgID[id] {
				t.Errorf("sent letter %d: accepted %d times, provider id %q, SendGrid's %q", id, accepted[id], l.ProviderID, msgID[id])
			}
		case delivery.StatusSending, delivery.StatusPending, delivery.StatusQueued:
			unsent = append(unsent, id)
			if accepted[id] == 1 {
				tookUnknown = append(tookUnknown, id)
			}
			if fake.Received(id) > 1 {
				t.Errorf("letter %d with an unknown outcome was sent again (%d requests)", id, fake.Received(id))
			}
		default:
			t.Errorf("letter %d: %s %q", id, l.Status, l.LastError)
		}
	}
	for _, id := range unsent {
		l := loadLetter(t, st, id)
		kinds, _ := timeline(t, st, id)
		t.Logf("unsent letter %d: %s, %d requests, timeline %s", id, l.Status, fake.Received(id), kinds)
	}
	t.Logf("after the crashes: %d letters unsent, %d of them taken by SendGrid without the worker knowing", len(unsent), len(tookUnknown))
	// Nothing is lost: each unsent letter's job is still "running" under a
	// killed process (working it, or finished with it but not yet recorded:
	// River records job outcomes in batches), waiting for River's rescue.
	res, err := inserter.JobList(ctx, river.NewJobListParams().Queues(dispatch.Queue).States(rivertype.JobStateRunning).First(10000))
	if err != nil {
		t.Fatal(err)
	}
	stuck := map[int64]bool{}
	for _, j := range res.Jobs {
		for _, id := range dispatch.JobLetters(j.Kind, j.EncodedArgs) {
			stuck[id] = true
		}
	}
	for _, id := range unsent {
		if !stuck[id] {
			t.Errorf("unsent letter %d has no job left to work it", id)
		}
	}
	for _, id := range inFlight {
		if l := loadLetter(t, st, id); l.Status != delivery.StatusSending || accepted[id] != 1 {
			t.Errorf("letter %d was in flight at the kill: %s, accepted %d times", id, l.Status, accepted[id])
		}
	}
	if len(tookUnknown) < len(inFlight) {
		t.Errorf("%d in-flight letters but %d taken with an unknown outcome", len(inFlight), len(tookUnknown))
	}

	// What follows in production: SendGrid's "processed" events for the
	// messages it took...
	for _, id := range tookUnknown {
		if _, err := st.ApplyProviderEvent(ctx, "processed-"+strconv.FormatInt(id, 10)+"-"+msgID[id], id, "processed", "sent", "", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	// ...and the stuck letters worked again after River's rescue and the
	// grace window (here: fresh jobs and a 1 s grace).
	fake.Fallback(nil)
	w := dispatch.NewWorker(st, keys, []delivery.Sender{sgClient(t, fake, "SG.recovery")}, campInfo(st), fastSettings(time.Second, 100*time.Millisecond), quiet(), nil)
	rec := newClient(t, st, w, 16, "recovery")
	start(t, rec)
	var jobIDs []int64
	if len(unsent) > 0 {
		// The killed processes' jobs are still "running": River's rescuer
		// would retry them after RescueStuckJobsAfter. Delivery jobs are
		// unique per letter while outstanding, so end those orphans here
		// (as the rescuer's outcome) before the fresh jobs are inserted.
		if _, err := st.DB().ExecContext(ctx, `UPDATE river_job SET state = 'cancelled', finalized_at = now() WHERE state = 'running' AND kind IN ('deliver_letter', 'deliver_letters')`); err != nil {
			t.Fatal(err)
		}
		res, err := rec.InsertMany(ctx, dispatch.JobParams(unsent))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			jobIDs = append(jobIDs, r.Job.ID)
		}
	}
	waitStatus(t, st, unsent, delivery.StatusSent)
	// The recovery jobs finish (the killed processes' own jobs stay
	// "running" until River's rescue, which this test does not wait for).
	eventually(t, 30*time.Second, "the recovery jobs to finish", func() bool {
		if len(jobIDs) == 0 {
			return true
		}
		res, err := rec.JobList(ctx, river.NewJobListParams().IDs(jobIDs...).First(len(jobIDs)))
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range res.Jobs {
			if j.State != rivertype.JobStateCompleted {
				return false
			}
		}
		return true
	})

	accepted = fake.AcceptedCounts()
	for _, id := range ids {
		if accepted[id] != 1 {
			t.Errorf("letter %d accepted %d times, want exactly once", id, accepted[id])
		}
	}
	for _, id := range tookUnknown {
		if n := fake.Received(id); n != 1 {
			t.Errorf("letter %d, settled by its processed event, was sent %d times", id, n)
		}
	}
	if fake.AcceptedTotal() != crashLetters {
		t.Errorf("SendGrid accepted %d messages for %d letters", fake.AcceptedTotal(), crashLetters)
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

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
