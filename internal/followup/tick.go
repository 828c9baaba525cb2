package followup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/dispatch"
	"github.com/outreach-org/outreach/internal/store"
)

// Inserter enqueues a job inside a transaction (river.Client does).
type Inserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// retrier makes a waiting job available now (river.Client does).
type retrier interface {
	JobRetryTx(ctx context.Context, tx *sql.Tx, id int64) (*rivertype.JobRow, error)
}

// Mailer sends an email to staff (the weekly digest): the outbox or
// SendGrid. Supporters' emails go through supportermail.
type Mailer interface {
	SendEmail(ctx context.Context, kind string, e delivery.Email) error
}

// Store is what the schedules and follow-ups need from the database.
type Store interface {
	DueSchedules(ctx context.Context, now time.Time, limit int) ([]store.Schedule, error)
	ScheduleByID(ctx context.Context, id int64) (store.Schedule, error)
	UpdateSchedule(ctx context.Context, sc store.Schedule, a store.Audit) error
	ClaimSchedule(ctx context.Context, id int64, old, next, now time.Time, enqueue func(ctx context.Context, tx *sql.Tx) error) (bool, error)
	SetCampaignStatus(ctx context.Context, id int64, from, to string, a store.Audit) (bool, error)
	CampaignStatus(ctx context.Context, id int64) (string, error)
	CampaignHoldState(ctx context.Context, id int64) (status, heldReason string, err error)
	Campaign(ctx context.Context, id int64) (campaign.Campaign, error)
	Campaigns(ctx context.Context) ([]campaign.Campaign, error)
	QueuedLetters(ctx context.Context, campaignID int64, limit int) ([]store.Letter, error)
	Schedules(ctx context.Context, campaignID int64) ([]store.Schedule, error)
	Users(ctx context.Context) ([]auth.User, error)
	DigestSince(ctx context.Context, campaignID int64, since time.Time) (store.Digest, error)

	EnabledFollowups(ctx context.Context) ([]store.FollowupSettings, error)
	FollowupSettingsFor(ctx context.Context, campaignID int64) (store.FollowupSettings, error)
	RecordFollowup(ctx context.Context, f store.FollowupSend, detail string, enqueue func(ctx context.Context, tx *sql.Tx, sendID int64) error) (bool, error)
	QueueSupporterMail(ctx context.Context, subID int64, kind, lang string, letterIDs []int64, detail string, now time.Time, enqueue store.MailEnqueue) (bool, error)
	SurveyLetters(ctx context.Context, subID int64, noReplyOnly bool) ([]store.Letter, error)
	FollowupSends(ctx context.Context, campaignID int64, status string, limit int) ([]store.FollowupSend, error)
	FollowupSendByID(ctx context.Context, id int64) (store.FollowupSend, error)
	SetFollowupStatus(ctx context.Context, id int64, from, to string, now time.Time, enqueue func(ctx context.Context, tx *sql.Tx, sendID int64) error, a store.Audit) (bool, error)
	DueSurveys(ctx context.Context, campaignID int64, cutoff time.Time, limit int) ([]store.DueSurvey, error)
	DueSurveysAgain(ctx context.Context, campaignID int64, cutoff time.Time, limit int) ([]store.DueSurvey, error)
	DueSecondLetters(ctx context.Context, campaignID int64, cutoff time.Time, limit int) ([]store.DueLetter, error)
	ConstituentCounts(ctx context.Context, campaignID int64) (map[string]int64, error)
	CreateSecondLetter(ctx context.Context, sendID int64, from string, nl store.NewLetter, now time.Time, enqueue store.Enqueue) (int64, bool, error)
	DueReminders(ctx context.Context, campaignID int64, oldest, cutoff time.Time, limit int) ([]store.Submission, error)
	LetterByID(ctx context.Context, id int64) (store.Letter, error)
	SubmissionByID(ctx context.Context, id int64) (store.Submission, error)
	IsSuppressed(ctx context.Context, emailIndex string) (bool, error)
	HasFollowup(ctx context.Context, letterID int64, step string) (bool, error)
	HasWaves(ctx context.Context, campaignID int64) (bool, error)
	WaveReleased(ctx context.Context, campaignID int64, at time.Time) (map[string]int, error)
	CreateRelease(ctx context.Context, req store.ReleaseRequest, a store.Audit) (store.Release, error)

	DeleteExpiredSessions(ctx context.Context, now, idleCutoff time.Time) (int64, error)
	PruneLoginFailures(ctx context.Context, before time.Time) error
	PruneCallClaims(ctx context.Context, now time.Time) (int64, error)
	RefreshRollups(ctx context.Context) error
	RollupsRefreshedAt(ctx context.Context) (time.Time, error)
}

// Refresher refreshes the Senate CWC active-office list (the cwc client).
type Refresher interface {
	RefreshActiveOffices(ctx context.Context) (int, error)
}

// TickArgs is the one periodic job, every minute on the leader.
type TickArgs struct{}

// Kind names the job for River.
func (TickArgs) Kind() string { return "schedule_tick" }

// InsertOpts: a tick is not retried; the next one comes a minute later.
func (TickArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// TickEvery is how often the tick runs.
const TickEvery = time.Minute

// TickJob is the periodic job: River enqueues it on the elected leader
// only, every interval (TickEvery in production), at most once per
// interval even across a change of leader.
func TickJob(every time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
		return TickArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: every}}
	}, &river.PeriodicJobOpts{ID: "schedule_tick", RunOnStart: true})
}

// RunArgs runs one claimed occurrence of a schedule.
type RunArgs struct {
	ScheduleID int64     `json:"schedule_id"`
	Due        time.Time `json:"due"`
}

// Kind names the job for River.
func (RunArgs) Kind() string { return "schedule_run" }

// Runner holds what the schedule and follow-up workers share.
type Runner struct {
	Store     Store
	Jobs      Inserter
	Mailer    Mailer
	CWC       Refresher // nil: CWC not configured
	Links     Links
	Log       *slog.Logger
	Now       func() time.Time
	OrgName   string
	BatchSize int
	// Member finds a member of Congress by bioguide id (the directory's
	// Member), for second letters' salutations; nil: the name on the first
	// letter is used.
	Member func(bioguideID string) (*congress.Member, bool)
	// PausedRecheck is how long a held letter of a paused campaign sleeps
	// before it looks again (0: HoldPaused).
	PausedRecheck time.Duration
	// SessionIdle is how long a staff session may go unused
	// (OUTREACH_SESSION_IDLE); the tick deletes sessions idle longer, and
	// those past their absolute expiry. 0: two hours.
	SessionIdle time.Duration
	// RollupEvery is how often the tick rebuilds the response-tracking
	// rollups (letters are delivered, waiting letters age); 0: every 10
	// minutes, negative: never. Response writes refresh their own office
	// at once.
	RollupEvery time.Duration
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (r *Runner) batch() int {
	if r.BatchSize > 0 {
		return r.BatchSize
	}
	return 500
}

// Tick claims every due schedule (enqueuing one run each) and then lays
// out the follow-ups that came due. It returns how many schedules it
// claimed.
func (r *Runner) Tick(ctx context.Context) (int, error) {
	now := r.now()
	due, err := r.Store.DueSchedules(ctx, now, r.batch())
	if err != nil {
		return 0, err
	}
	claimed := 0
	for _, sc := range due {
		sp, err := ParseSpec(sc.Cron, sc.TimeZone)
		if err != nil {
			// A schedule that can no longer be read is switched off, not
			// retried every minute.
			sc.Enabled = false
			r.log().Warn("schedule disabled: unreadable", "schedule_id", sc.ID, "err", err)
			if err := r.Store.UpdateSchedule(ctx, sc, store.Audit{Action: "schedule.disable", Detail: err.Error()}); err != nil {
				return claimed, err
			}
			continue
		}
		p := ParseParams(sc.Params)
		if p.UntilClose && sc.CampaignID != nil {
			st, err := r.Store.CampaignStatus(ctx, *sc.CampaignID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return claimed, err
			}
			if err != nil || st == string(campaign.Closed) {
				// "until the campaign closes": it closed, so the schedule
				// ends instead of running.
				sc.Enabled = false
				if err := r.Store.UpdateSchedule(ctx, sc, store.Audit{Action: "schedule.disable", Detail: "the campaign closed"}); err != nil {
					return claimed, err
				}
				continue
			}
		}
		next := sp.NextAfter(now) // catch-up: once, then the next future occurrence
		if p.Once {
			next = time.Time{} // no next run: the claim turns the schedule off
		}
		ok, err := r.Store.ClaimSchedule(ctx, sc.ID, sc.NextRunAt, next, now, func(ctx context.Context, tx *sql.Tx) error {
			_, err := r.Jobs.InsertTx(ctx, tx, RunArgs{ScheduleID: sc.ID, Due: sc.NextRunAt}, nil)
			return err
		})
		if err != nil {
			return claimed, err
		}
		if ok {
			claimed++
		}
	}
	if err := r.ScanFollowups(ctx, now); err != nil {
		return claimed, err
	}
	if err := r.housekeep(ctx, now); err != nil {
		return claimed, err
	}
	if err := r.refreshRollups(ctx, now); err != nil {
		return claimed, err
	}
	return claimed, nil
}

// refreshRollups rebuilds the response-tracking rollups when the last full
// refresh (kept in the database, so a new leader knows it) is RollupEvery
// old. It comes last: a slow refresh delays nothing else of the tick.
func (r *Runner) refreshRollups(ctx context.Context, now time.Time) error {
	every := r.RollupEvery
	if every < 0 {
		return nil
	}
	if every == 0 {
		every = 10 * time.Minute
	}
	at, err := r.Store.RollupsRefreshedAt(ctx)
	if err != nil {
		return fmt.Errorf("followup: rollups refreshed at: %w", err)
	}
	if !at.IsZero() && now.Sub(at) < every {
		return nil
	}
	start := time.Now()
	if err := r.Store.RefreshRollups(ctx); err != nil {
		return fmt.Errorf("followup: refresh response rollups: %w", err)
	}
	r.log().Debug("response rollups refreshed", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// housekeep deletes what sign-in and call pages leave behind once it can
// no longer matter: sessions that expired or sat idle, failed sign-in
// records older than the throttle window, and the claims of expired call
// pages. Without it these tables only grow.
func (r *Runner) housekeep(ctx context.Context, now time.Time) error {
	idle := r.SessionIdle
	if idle <= 0 {
		idle = 2 * time.Hour
	}
	n, err := r.Store.DeleteExpiredSessions(ctx, now, now.Add(-idle))
	if err != nil {
		return fmt.Errorf("followup: delete expired sessions: %w", err)
	}
	if n > 0 {
		r.log().Info("expired staff sessions deleted", "count", n)
	}
	if err := r.Store.PruneLoginFailures(ctx, now.Add(-auth.ThrottleWindow)); err != nil {
		return fmt.Errorf("followup: prune login failures: %w", err)
	}
	if _, err := r.Store.PruneCallClaims(ctx, now); err != nil {
		return fmt.Errorf("followup: prune call claims: %w", err)
	}
	return nil
}

// Run does one occurrence of a schedule.
func (r *Runner) Run(ctx context.Context, a RunArgs) error {
	sc, err := r.Store.ScheduleByID(ctx, a.ScheduleID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since
	}
	if err != nil {
		return err
	}
	audit := func(action string) store.Audit {
		return store.Audit{Action: action, Detail: fmt.Sprintf("schedule %d due %s", sc.ID, a.Due.UTC().Format(time.RFC3339))}
	}
	cid := int64(0)
	if sc.CampaignID != nil {
		cid = *sc.CampaignID
	}
	switch sc.Kind {
	case KindLaunch:
		return r.move(ctx, cid, campaign.Live, audit("campaign.launch.scheduled"))
	case KindClose:
		return r.move(ctx, cid, campaign.Closed, audit("campaign.close.scheduled"))
	case KindPause:
		return r.move(ctx, cid, campaign.Paused, audit("campaign.pause.scheduled"))
	case KindResume:
		return r.move(ctx, cid, campaign.Live, audit("campaign.resume.scheduled"))
	case KindWave:
		_, err := r.Wave(ctx, cid, ParseParams(sc.Params).PerOffice, a.Due)
		return err
	case KindDigest:
		return r.Digest(ctx, ParseParams(sc.Params).To)
	case KindStatsRelease:
		return r.StatsRelease(ctx)
	case KindCWCRefresh:
		if r.CWC == nil {
			r.log().Info("CWC office refresh skipped: CWC is not configured")
			return nil
		}
		n, err := r.CWC.RefreshActiveOffices(ctx)
		if err != nil {
			return err
		}
		r.log().Info("CWC active offices refreshed", "offices", n)
		return nil
	}
	return river.JobCancel(fmt.Errorf("unknown schedule kind %q", sc.Kind))
}

// StatsRelease publishes a statistics release from the case records (the
// same path as staff publishing one). A release that would reveal too
// small a change since the previous one, a database without records, or
// demonstration and real records mixed, is skipped (logged), not retried:
// the next occurrence tries again.
func (r *Runner) StatsRelease(ctx context.Context) error {
	rel, err := r.Store.CreateRelease(ctx, store.ReleaseRequest{}, store.Audit{Action: "stats.release.scheduled"})
	switch {
	case errors.Is(err, casestats.ErrTooCloseToPrevious), errors.Is(err, store.ErrNoCases), errors.Is(err, store.ErrMixedData):
		r.log().Info("scheduled statistics release skipped", "reason", err.Error())
		return nil
	case err != nil:
		return err
	}
	r.log().Info("scheduled statistics release published", "release_id", rel.ID)
	return nil
}

// move changes a campaign's status when the transition is allowed.
func (r *Runner) move(ctx context.Context, id int64, to campaign.Status, a store.Audit) error {
	cur, err := r.Store.CampaignStatus(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	st := campaign.Status(cur)
	if st == to || !st.CanBecome(to) {
		r.log().Info("scheduled status change skipped", "campaign_id", id, "from", cur, "to", to)
		return nil
	}
	if to == campaign.Live {
		// Going live needs what staff saving the campaign would need (the
		// Spanish texts, a letter that compiles): a campaign that is not
		// ready stays as it is, and the refusal is in the log.
		c, err := r.Store.Campaign(ctx, id)
		if err != nil {
			return err
		}
		prev := c
		c.Status = campaign.Live
		if _, err := campaign.Validate(&c, &prev); err != nil {
			r.log().Warn("scheduled launch refused: the campaign is not ready", "campaign_id", id, "err", err)
			return nil
		}
	}
	a.Detail += " " + cur + " -> " + string(to)
	ok, err := r.Store.SetCampaignStatus(ctx, id, cur, string(to), a)
	if err != nil || !ok || st != campaign.Paused || to != campaign.Live {
		return err
	}
	return r.wake(ctx, id)
}

// waker wakes a waiting job (river.Client does).
type waker interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// wake makes the held letters of a resumed campaign deliverable now, in
// the order they were written (otherwise each wakes within HoldPaused).
func (r *Runner) wake(ctx context.Context, campaignID int64) error {
	w, ok := r.Jobs.(waker)
	if !ok {
		return nil
	}
	letters, err := r.Store.QueuedLetters(ctx, campaignID, 100000)
	if err != nil {
		return err
	}
	for _, l := range letters {
		res, err := w.Insert(ctx, dispatch.DeliverArgs{LetterID: l.ID}, nil)
		if err != nil {
			return err
		}
		if res != nil && res.UniqueSkippedAsDuplicate && res.Job != nil && res.Job.State == rivertype.JobStateScheduled {
			if _, err := w.JobRetry(ctx, res.Job.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// Wave releases a campaign's queued letters, at most perOffice per
// office, oldest first, for the wave due at due. Each release is a
// followup_sends row (step "wave", at = due) written with the letter's
// delivery job in one transaction: a letter is released once, and a wave
// cut short (a crash, a restart) that River runs again continues where it
// stopped, within the same cap.
func (r *Runner) Wave(ctx context.Context, campaignID int64, perOffice int, due time.Time) (int, error) {
	if perOffice <= 0 {
		perOffice = DefaultWaveCap
	}
	status, err := r.Store.CampaignStatus(ctx, campaignID)
	if err != nil || status == string(campaign.Closed) || status == string(campaign.Paused) {
		return 0, err // paused: the wave's letters wait for the next wave
	}
	letters, err := r.Store.QueuedLetters(ctx, campaignID, 100000)
	if err != nil {
		return 0, err
	}
	if due.IsZero() {
		due = r.now()
	}
	due = due.UTC().Truncate(time.Second)
	per, err := r.Store.WaveReleased(ctx, campaignID, due)
	if err != nil {
		return 0, err
	}
	released := 0
	for _, l := range letters {
		if per[l.OfficeCode] >= perOffice {
			continue
		}
		if done, err := r.Store.HasFollowup(ctx, l.ID, StepWave); err != nil {
			return released, err
		} else if done {
			continue
		}
		id := l.ID
		ok, err := r.Store.RecordFollowup(ctx, store.FollowupSend{CampaignID: campaignID, LetterID: &id, Step: StepWave, Status: "sent", At: due},
			"released by a delivery wave", func(ctx context.Context, tx *sql.Tx, _ int64) error {
				res, err := r.Jobs.InsertTx(ctx, tx, dispatch.DeliverArgs{LetterID: id}, nil)
				if err != nil {
					return err
				}
				// Delivery jobs are unique per letter: the letter's job is
				// already there, snoozed by the hold. Wake it now.
				if rt, ok := r.Jobs.(retrier); ok && res != nil && res.UniqueSkippedAsDuplicate && res.Job != nil {
					_, err = rt.JobRetryTx(ctx, tx, res.Job.ID)
				}
				return err
			})
		if err != nil {
			return released, err
		}
		if ok {
			per[l.OfficeCode]++
			released++
		}
	}
	r.log().Info("delivery wave", "campaign_id", campaignID, "released", released)
	return released, nil
}

// Digest emails organizers last week's numbers per campaign.
func (r *Runner) Digest(ctx context.Context, to []string) error {
	if r.Mailer == nil {
		return nil
	}
	if len(to) == 0 {
		users, err := r.Store.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			if !u.Disabled && u.Role.Can(auth.PermViewCampaigns) {
				to = append(to, u.Email)
			}
		}
	}
	if len(to) == 0 {
		return nil
	}
	body, err := r.DigestText(ctx, r.now())
	if err != nil {
		return err
	}
	sort.Strings(to)
	for _, addr := range to {
		if err := r.Mailer.SendEmail(ctx, "digest", delivery.Email{To: addr, Subject: r.OrgName + ": weekly campaign digest", Text: body}); err != nil {
			return err
		}
	}
	return nil
}

// DigestText is the digest's body for the week before now.
func (r *Runner) DigestText(ctx context.Context, now time.Time) (string, error) {
	camps, err := r.Store.Campaigns(ctx)
	if err != nil {
		return "", err
	}
	since := now.Add(-7 * 24 * time.Hour)
	var b strings.Builder
	fmt.Fprintf(&b, "Week of %s to %s (UTC)\n\n", since.Format("Jan 2"), now.Format("Jan 2, 2006"))
	for _, c := range camps {
		if c.Status == campaign.Draft {
			continue
		}
		d, err := r.Store.DigestSince(ctx, c.ID, since)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s (%s)\n  letters sent: %d\n  delivery problems: %d\n", c.Title, c.Status, d.Sent, d.Problems)
		switch {
		case d.Tracked:
			fmt.Fprintf(&b, "  replies recorded: %d (supporters' survey: %d with a real answer, %d acknowledgements)\n\n", d.Responses, d.Replies, d.Acks)
		case d.Replies+d.Acks == 0:
			b.WriteString("  replies: not tracked yet\n\n")
		default:
			fmt.Fprintf(&b, "  replies reported by supporters: %d with a real answer, %d acknowledgements\n\n", d.Replies, d.Acks)
		}
	}
	return b.String(), nil
}

// TickWorker is the River worker of TickArgs.
type TickWorker struct {
	river.WorkerDefaults[TickArgs]
	R *Runner
}

// Work ticks once.
func (w *TickWorker) Work(ctx context.Context, _ *river.Job[TickArgs]) error {
	_, err := w.R.Tick(ctx)
	return err
}

// RunWorker is the River worker of RunArgs.
type RunWorker struct {
	river.WorkerDefaults[RunArgs]
	R *Runner
}

// Work runs one occurrence.
func (w *RunWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	return w.R.Run(ctx, job.Args)
}
