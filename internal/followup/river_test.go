package followup_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// End to end on River (SQLite): the periodic tick claims a due "resume"
// schedule of a paused campaign; the delivery worker held the campaign's
// letter meanwhile (in "queued", nothing lost) and delivers it once the
// campaign is live again.
func TestRiverTickResumesPausedCampaignAndDeliveryContinues(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	e := newEnv(t, st, campaign.Paused)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Held letters would look again only after HoldPaused (5 minutes): the
	// scheduled resume wakes them.
	runner := &followup.Runner{Store: st, Log: log}
	dw := dispatch.NewWorker(st, e.keys, []delivery.Sender{outbox.New(st, e.keys)}, func(ctx context.Context, id int64) (delivery.Campaign, error) {
		return delivery.Campaign{ID: id}, nil
	}, outboxOnly(), log, nil)
	dw.SetHold(runner.Hold)
	workers := river.NewWorkers()
	dispatch.Register(workers, dw)
	river.AddWorker(workers, &followup.TickWorker{R: runner})
	river.AddWorker(workers, &followup.RunWorker{R: runner})
	river.AddWorker(workers, &followup.EmailWorker{R: runner})
	client, err := jobs.New(st.DB(), false, jobs.Options{Workers: workers, Logger: log, FetchPollInterval: 50 * time.Millisecond,
		Queues:       map[string]river.QueueConfig{dispatch.Queue: {MaxWorkers: 2}, river.QueueDefault: {MaxWorkers: 2}},
		PeriodicJobs: []*river.PeriodicJob{followup.TickJob(time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	runner.Jobs = client

	// The letter is stored and enqueued while the campaign is paused.
	var ids []int64
	ids, err = st.ConfirmSubmission(ctx, e.sub.ID, time.Now(), func(map[string]bool) ([]store.NewLetter, error) {
		return []store.NewLetter{lettersOf(e)[0]}, nil
	}, dispatch.Enqueuer{Client: client}.EnqueueTx)
	if err != nil {
		t.Fatal(err)
	}
	sc := createSchedule(t, st, followup.Input{Kind: followup.KindResume, CampaignID: e.camp.ID, Cron: "@hourly"}, time.Now())
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(c)
	})
	wait := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				tl, _ := st.Timeline(ctx, ids[0])
				t.Fatalf("timed out waiting for %s; letter timeline %+v", what, tl)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	letterStatus := func() string {
		l, err := st.LetterByID(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		return l.Status
	}
	wait("the letter to be held", func() bool { return letterStatus() == delivery.StatusQueued })
	time.Sleep(500 * time.Millisecond)
	if s := letterStatus(); s != delivery.StatusQueued {
		t.Fatalf("letter of a paused campaign is %s", s)
	}
	// Make the resume due now: the next tick (every second here, every
	// minute in production) claims it.
	sc.NextRunAt = time.Now().Add(-time.Minute)
	if err := st.UpdateSchedule(ctx, sc, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	wait("the campaign to resume", func() bool { s, _ := st.CampaignStatus(ctx, e.camp.ID); return s == "live" })
	wait("the letter to reach the outbox", func() bool { return letterStatus() == delivery.StatusOutbox })
	got, _ := st.ScheduleByID(ctx, sc.ID)
	if !got.NextRunAt.After(time.Now()) || got.LastRunAt == nil {
		t.Fatalf("schedule after its run: %+v", got)
	}
}

func lettersOf(e *env) []store.NewLetter {
	var out []store.NewLetter
	for _, o := range offices {
		o := o
		out = append(out, store.NewLetter{CampaignID: e.camp.ID, SubmissionID: e.sub.ID, BioguideID: o.BioguideID, OfficeCode: o.Code,
			Chamber: o.Chamber, State: o.State, TemplateVer: 1, DeliveryID: delivery.NewDeliveryID(), ReplyToken: delivery.NewReplyToken(),
			Seal: func(id int64) (string, error) {
				return e.keys.SealJSON(delivery.Sealed{Subject: "Oversight", Body: "Please act.", Office: o}, delivery.LetterAAD(id))
			}})
	}
	return out
}

func outboxOnly() dispatch.Settings {
	s := dispatch.DefaultSettings()
	s.Channels = []delivery.Channel{outbox.Name}
	return s
}

// End to end on River: letters of a campaign delivered by waves wait
// (their jobs snoozed) until a wave releases at most the cap per office;
// the wave wakes the waiting jobs at once.
func TestRiverWaveReleasesCapPerOffice(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	e := newEnv(t, st, campaign.Live)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runner := &followup.Runner{Store: st, Log: log}
	dw := dispatch.NewWorker(st, e.keys, []delivery.Sender{outbox.New(st, e.keys)}, func(ctx context.Context, id int64) (delivery.Campaign, error) {
		return delivery.Campaign{ID: id}, nil
	}, outboxOnly(), log, nil)
	dw.SetHold(runner.Hold)
	workers := river.NewWorkers()
	dispatch.Register(workers, dw)
	river.AddWorker(workers, &followup.TickWorker{R: runner})
	river.AddWorker(workers, &followup.RunWorker{R: runner})
	river.AddWorker(workers, &followup.EmailWorker{R: runner})
	client, err := jobs.New(st.DB(), false, jobs.Options{Workers: workers, Logger: log, FetchPollInterval: 50 * time.Millisecond,
		Queues:       map[string]river.QueueConfig{dispatch.Queue: {MaxWorkers: 2}, river.QueueDefault: {MaxWorkers: 2}},
		PeriodicJobs: []*river.PeriodicJob{followup.TickJob(time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	runner.Jobs = client
	sc := createSchedule(t, st, followup.Input{Kind: followup.KindWave, CampaignID: e.camp.ID, Cron: "@hourly", Params: followup.Params{PerOffice: 1}}, time.Now())
	enq := dispatch.Enqueuer{Client: client}.EnqueueTx
	var ids []int64
	for i, sub := range []store.Submission{e.sub, e.submission(t, "b@example.org")} {
		e.sub = sub
		got, err := st.ConfirmSubmission(ctx, sub.ID, time.Now(), func(map[string]bool) ([]store.NewLetter, error) { return lettersOf(e), nil }, enq)
		if err != nil {
			t.Fatal(i, err)
		}
		ids = append(ids, got...)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(c)
	})
	count := func(status string) int {
		n := 0
		for _, id := range ids {
			if l, _ := st.LetterByID(ctx, id); l.Status == status {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(20 * time.Second)
	for count(delivery.StatusQueued) != len(ids) {
		if time.Now().After(deadline) {
			t.Fatalf("letters not held for their wave: %d queued", count(delivery.StatusQueued))
		}
		time.Sleep(50 * time.Millisecond)
	}
	sc.NextRunAt = time.Now().Add(-time.Second)
	if err := st.UpdateSchedule(ctx, sc, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	for count(delivery.StatusOutbox) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("wave did not deliver: %d delivered", count(delivery.StatusOutbox))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	if d, q := count(delivery.StatusOutbox), count(delivery.StatusQueued); d != 2 || q != 2 {
		t.Fatalf("after one wave with a cap of 1 per office: %d delivered, %d queued", d, q)
	}
}
