package followup_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/jobs"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

func createSchedule(t *testing.T, st *store.Store, in followup.Input, now time.Time) store.Schedule {
	t.Helper()
	v, err := followup.Validate(in, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := st.CreateSchedule(context.Background(), store.Schedule{CampaignID: v.CampaignID, Kind: in.Kind, Cron: v.Spec.Expr,
		TimeZone: v.Spec.Zone.String(), Params: v.Params, NextRunAt: v.NextRunAt, Enabled: v.Enabled}, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// Two processes on one PostgreSQL, each with its own River client and
// store connection, tick at the same simulated minutes: each due schedule
// is claimed (and its run enqueued in River) exactly once per minute.
func TestTwoClientsRunEachDueScheduleOncePerMinute(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	start := time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC)
	var runners []*followup.Runner
	clk := &clock{t: start}
	var st0 *store.Store
	for i := 0; i < 2; i++ {
		st, err := store.Open(ctx, store.Options{DatabaseURL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		c, err := jobs.New(st.DB(), true, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		runners = append(runners, &followup.Runner{Store: st, Jobs: c, Now: clk.Now})
		st0 = st
	}
	e := newEnv(t, st0, campaign.Live)
	every := createSchedule(t, st0, followup.Input{Kind: followup.KindDigest, Cron: "* * * * *", Params: followup.Params{To: []string{"o@example.org"}}}, start.Add(-time.Second))
	hourly := createSchedule(t, st0, followup.Input{Kind: followup.KindWave, CampaignID: e.camp.ID, Cron: "2 * * * *"}, start.Add(-time.Second))
	count := func(id int64) int {
		var n int
		if err := st0.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'schedule_run' AND (args->>'schedule_id')::bigint = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for minute := 0; minute < 5; minute++ {
		var wg sync.WaitGroup
		for _, r := range runners {
			wg.Add(1)
			go func(r *followup.Runner) {
				defer wg.Done()
				if _, err := r.Tick(ctx); err != nil {
					t.Error(err)
				}
			}(r)
		}
		wg.Wait()
		if got := count(every.ID); got != minute+1 {
			t.Fatalf("minute %d: every-minute schedule ran %d times", minute, got)
		}
		clk.Add(time.Minute)
	}
	if got := count(hourly.ID); got != 1 {
		t.Fatalf("hourly schedule ran %d times in 5 minutes (at :02)", got)
	}
}

// A process down for three hours runs a missed schedule once and moves it
// to the next future occurrence.
func TestCatchUpRunsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		start := time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC)
		sc := createSchedule(t, st, followup.Input{Kind: followup.KindCWCRefresh, Cron: "*/15 * * * *"}, start)
		clk := &clock{t: start.Add(3*time.Hour + 7*time.Minute)}
		j := &jobsSpy{}
		r := &followup.Runner{Store: st, Jobs: j, Now: clk.Now}
		for i := 0; i < 3; i++ {
			if _, err := r.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var runs int
		for _, a := range j.take() {
			if ra, ok := a.(followup.RunArgs); ok && ra.ScheduleID == sc.ID {
				runs++
			}
		}
		if runs != 1 {
			t.Fatalf("runs after downtime = %d", runs)
		}
		got, err := st.ScheduleByID(ctx, sc.ID)
		if err != nil || !got.NextRunAt.Equal(start.Add(3*time.Hour+15*time.Minute)) || got.LastRunAt == nil {
			t.Fatalf("next = %s, last = %v, %v", got.NextRunAt, got.LastRunAt, err)
		}
		// CWC not configured: the run is a no-op, not an error.
		if err := r.Run(ctx, followup.RunArgs{ScheduleID: sc.ID}); err != nil {
			t.Fatal(err)
		}
	})
}

// Launch, pause, resume and close by schedule; letters of a paused
// campaign are held by the delivery worker's hold check, and released on
// resume.
func TestPauseResumeAndHold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, campaign.Draft)
		now := time.Now().UTC()
		r := &followup.Runner{Store: st, Jobs: &jobsSpy{}, Now: func() time.Time { return now }}
		status := func() string {
			s, err := st.CampaignStatus(ctx, e.camp.ID)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		for _, step := range []struct{ kind, want string }{
			{followup.KindLaunch, "live"}, {followup.KindPause, "paused"}, {followup.KindPause, "paused"},
			{followup.KindResume, "live"}, {followup.KindClose, "closed"}, {followup.KindLaunch, "closed"},
		} {
			sc := createSchedule(t, st, followup.Input{Kind: step.kind, CampaignID: e.camp.ID, Cron: "@daily"}, now)
			if err := r.Run(ctx, followup.RunArgs{ScheduleID: sc.ID}); err != nil {
				t.Fatal(err)
			}
			if got := status(); got != step.want {
				t.Fatalf("after %s: %s, want %s", step.kind, got, step.want)
			}
		}
		e2 := newEnv(t, st, campaign.Paused)
		ids := e2.confirm(t, e2.sub, now)
		l, _ := st.LetterByID(ctx, ids[0])
		if wait, _, err := r.Hold(ctx, l); err != nil || wait != followup.HoldPaused {
			t.Fatalf("paused hold = %v, %v", wait, err)
		}
		if _, err := st.SetCampaignStatus(ctx, e2.camp.ID, "paused", "live", store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		if wait, _, err := r.Hold(ctx, l); err != nil || wait != 0 {
			t.Fatalf("resumed hold = %v, %v", wait, err)
		}
	})
}

// failingJobs fails the insert after n successes: the process dies in
// the middle of a wave.
type failingJobs struct {
	jobsSpy
	left int
}

func (f *failingJobs) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, o *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if f.left == 0 {
		return nil, errors.New("killed")
	}
	f.left--
	return f.jobsSpy.InsertTx(ctx, tx, args, o)
}

// A wave releases at most the cap per office; when it dies in the middle,
// a new runner (River retrying the wave after a restart) continues from
// the database within the same cap, and never releases a letter twice.
func TestWaveCapAndRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, campaign.Live)
		now := time.Now().UTC().Truncate(time.Second)
		var all []int64
		all = append(all, e.confirm(t, e.sub, now)...)
		for _, addr := range []string{"b@example.org", "c@example.org"} {
			all = append(all, e.confirm(t, e.submission(t, addr), now)...)
		}
		createSchedule(t, st, followup.Input{Kind: followup.KindWave, CampaignID: e.camp.ID, Cron: "0 10 * * *", Params: followup.Params{PerOffice: 2}}, now)
		crash := &failingJobs{left: 3}
		r := &followup.Runner{Store: st, Jobs: crash, Now: func() time.Time { return now }}
		l, _ := st.LetterByID(ctx, all[0])
		if wait, _, _ := r.Hold(ctx, l); wait != followup.HoldWave {
			t.Fatalf("letter before its wave: hold %v", wait)
		}
		wave1 := now.Add(time.Hour)
		if n, err := r.Wave(ctx, e.camp.ID, 2, wave1); err == nil || n != 3 {
			t.Fatalf("crashing wave = %d, %v", n, err)
		}
		j := &jobsSpy{}
		r2 := &followup.Runner{Store: st, Jobs: j, Now: func() time.Time { return now }}
		if n, err := r2.Wave(ctx, e.camp.ID, 2, wave1); err != nil || n != 1 { // 2 offices x 2, 3 done before the crash
			t.Fatalf("wave retried after restart = %d, %v", n, err)
		}
		if wait, _, _ := r2.Hold(ctx, l); wait != 0 {
			t.Fatalf("released letter still held: %v", wait)
		}
		if n, err := r2.Wave(ctx, e.camp.ID, 2, wave1.Add(24*time.Hour)); err != nil || n != 2 {
			t.Fatalf("next wave = %d, %v", n, err)
		}
		if n, _ := r2.Wave(ctx, e.camp.ID, 2, wave1.Add(48*time.Hour)); n != 0 {
			t.Fatalf("third wave released %d", n)
		}
		seen := map[int64]bool{}
		for _, a := range append(crash.take(), j.take()...) {
			d, ok := a.(dispatch.DeliverArgs)
			if !ok || seen[d.LetterID] {
				t.Fatalf("job %+v released twice or not a delivery", a)
			}
			seen[d.LetterID] = true
		}
		if len(seen) != len(all) {
			t.Fatalf("released %d of %d", len(seen), len(all))
		}
	})
}

// A scheduled launch of a campaign that is not ready (no Spanish texts)
// leaves it alone; the digest counts letters and says when replies are
// not tracked.
func TestLaunchRefusedWhenNotReadyAndDigest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		c, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: "fu-unready-" + strconv.FormatInt(seq.Add(1), 10) + strconv.FormatInt(now.UnixNano()%1e6, 36),
			Title: "Unready", Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Draft, Subject: "S", Template: "Body"},
			store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		m := &mailSpy{}
		r := &followup.Runner{Store: st, Jobs: &jobsSpy{}, Mailer: m, Now: func() time.Time { return now }, OrgName: "Outreach"}
		sc := createSchedule(t, st, followup.Input{Kind: followup.KindLaunch, CampaignID: c.ID, Cron: "@daily"}, now)
		if err := r.Run(ctx, followup.RunArgs{ScheduleID: sc.ID}); err != nil {
			t.Fatal(err)
		}
		if s, _ := st.CampaignStatus(ctx, c.ID); s != "draft" {
			t.Fatalf("unready campaign launched: %s", s)
		}
		e := newEnv(t, st, campaign.Live)
		for _, id := range e.confirm(t, e.sub, now) {
			if err := st.MarkSent(ctx, id, "outbox", "", "test", true, now); err != nil {
				t.Fatal(err)
			}
		}
		dg := createSchedule(t, st, followup.Input{Kind: followup.KindDigest, Cron: "@weekly", Params: followup.Params{To: []string{"org@example.org"}}}, now)
		if err := r.Run(ctx, followup.RunArgs{ScheduleID: dg.ID}); err != nil {
			t.Fatal(err)
		}
		if len(m.sent) != 1 || m.sent[0].To != "org@example.org" || !strings.Contains(m.sent[0].Text, "Reunite families (live)\n  letters sent: 2\n  delivery problems: 0\n  replies") {
			t.Fatalf("digest = %+v", m.sent)
		}
	})
}

// A campaign held because the latest release does not publish a figure
// its letter prints (store: campaign.held_reason) keeps its letters
// queued, with the reason, until the hold is cleared.
func TestFiguresHoldKeepsLettersQueued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, campaign.Live)
		now := time.Now().UTC()
		r := &followup.Runner{Store: st, Jobs: &jobsSpy{}, Now: func() time.Time { return now }}
		ids := e.confirm(t, e.sub, now)
		l, _ := st.LetterByID(ctx, ids[0])
		if wait, _, err := r.Hold(ctx, l); err != nil || wait != 0 {
			t.Fatalf("not held: %v, %v", wait, err)
		}
		const reason = `statistics release 3 of November 3, 2026 does not publish "cases" (Documented cases)`
		set := func(v string) {
			if _, err := st.DB().ExecContext(ctx, "UPDATE campaigns SET held_reason = "+placeholder(st)+" WHERE id = "+strconv.FormatInt(e.camp.ID, 10), v); err != nil {
				t.Fatal(err)
			}
		}
		set(reason)
		wait, why, err := r.Hold(ctx, l)
		if err != nil || wait != followup.HoldPaused || why != "held: "+reason {
			t.Fatalf("held = %v, %q, %v", wait, why, err)
		}
		set("")
		if wait, _, err := r.Hold(ctx, l); err != nil || wait != 0 {
			t.Fatalf("hold cleared = %v, %v", wait, err)
		}
	})
}

func placeholder(st *store.Store) string {
	if st.Dialect() == store.Postgres {
		return "$1"
	}
	return "?"
}
