// Package dispatch gets confirmed letters to congressional offices:
// exactly once, by the first channel the office accepts, paced, with every
// attempt on the letter's timeline. It is the River worker for one letter
// and for batches, with group commit of state changes, office hours, the
// per-office hourly cap, channel rates and retries; the channels are
// delivery.Senders, and what is particular to one of them comes from the
// optional capabilities in internal/delivery. It is the only part of
// delivery that imports the store and River.
package dispatch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"golang.org/x/time/rate"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/metrics"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/ttlcache"
)

// DeliverArgs is the job that sends one letter. It carries the letter id
// only: everything else is read (and decrypted) when the job runs.
type DeliverArgs struct {
	LetterID int64 `json:"letter_id"`
}

// Kind names the job for River.
func (DeliverArgs) Kind() string { return "deliver_letter" }

// InsertOpts puts delivery jobs on their own queue, unique per letter.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	// Unique by letter while a job for it is outstanding: a repeated
	// enqueue (a retry of the transaction, a double requeue) adds nothing.
	// A completed job does not count (River's default would): a letter
	// sent, then bounced, then requeued by staff needs a new one.
	return river.InsertOpts{Queue: Queue, MaxAttempts: MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: outstanding}}
}

// outstanding are the job states in which a letter's job is still to run.
var outstanding = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled}

const (
	// Queue is the River queue for delivery jobs.
	Queue = "delivery"
	// MaxAttempts bounds retries; past it the letter is failed for staff
	// to requeue.
	MaxAttempts = 12
)

// Store is what the worker needs from the database.
type Store interface {
	LettersToSend(ctx context.Context, ids []int64) (map[int64]store.Letter, error)
	ClaimManyForSending(ctx context.Context, claims []store.Claim) (map[int64]bool, error)
	MarkManySent(ctx context.Context, sent []store.Sent) error
	MarkRetry(ctx context.Context, id int64, channel, detail string, now time.Time) error
	MarkFailed(ctx context.Context, id int64, channel, detail string, now time.Time) error
	MarkHeld(ctx context.Context, id int64, detail string, now time.Time) error
	OfficeSentSince(ctx context.Context, officeCode string, since time.Time) (int64, error)
	DeliverySettingsFor(ctx context.Context, campaignID int64) (store.DeliverySettings, error)
	OfficeEmails(ctx context.Context) (map[string]string, error)
	HasProviderEvent(ctx context.Context, letterID int64, event string) (bool, error)
	MarkUnknown(ctx context.Context, id int64, channel, detail string, at time.Time) error
}

// CampaignInfo looks up what a channel needs to know about a campaign.
type CampaignInfo func(ctx context.Context, id int64) (delivery.Campaign, error)

// Settings are the defaults for campaigns without their own.
type Settings struct {
	Channels        []delivery.Channel // order to try; the first that accepts the office wins
	OfficeDays      string             // "mon-fri"
	OfficeOpen      string             // "09:00"
	OfficeClose     string             // "17:00"
	TimeZone        string             // "America/New_York"
	OfficeHourlyCap int                // letters per office per hour
	// ChannelRate overrides a channel's own rate (delivery.RateLimited):
	// letters per second across all offices, for this process (0: no
	// limit). Burst is the bucket size.
	ChannelRate map[delivery.Channel]float64
	Burst       int
	// Grace, when above 0, replaces the grace window of a channel that
	// waits out unknown outcomes (delivery.OutcomeWaiter): how long an
	// attempt with an unknown outcome waits for the provider's acceptance
	// event before the letter is sent again.
	Grace time.Duration
	// NoProviderEvents says the provider's event webhook is not configured
	// (SENDGRID_WEBHOOK_PUBLIC_KEY), so no acceptance event can ever settle
	// an unknown outcome: such a letter is failed for staff to check the
	// provider's records and requeue, rather than risk a second copy to a
	// congressional office.
	NoProviderEvents bool
	// BackoffBase is the first retry's wait after a temporary failure;
	// each further retry doubles it (capped at an hour). 0 means 10s.
	BackoffBase time.Duration
}

// DefaultSettings are used when configuration says nothing. The channel
// order is main's to set (it knows which channels are configured); rates
// and grace windows come from the channels themselves.
func DefaultSettings() Settings {
	return Settings{
		OfficeDays: "mon-fri", OfficeOpen: "09:00", OfficeClose: "17:00",
		TimeZone: "America/New_York", OfficeHourlyCap: 200, Burst: 10,
		BackoffBase: 10 * time.Second,
	}
}

// Worker delivers letters. Register it with River.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	store    Store
	keys     *seal.Keys
	senders  map[delivery.Channel]delivery.Sender
	campaign CampaignInfo
	defaults Settings
	log      *slog.Logger
	now      func() time.Time
	metrics  *metrics.Metrics // nil: none

	mu       sync.Mutex
	limiters map[delivery.Channel]*rate.Limiter
	hold     HoldFunc

	camps    *ttlcache.Cache[int64, delivery.Campaign]    // campaign details, for campaignTTL
	settings *ttlcache.Cache[int64, Settings]             // campaigns' delivery settings, for campaignTTL
	offices  *ttlcache.Cache[string, int64]               // letters per office in the last hour, for officeCountTTL
	emails   *ttlcache.Cache[struct{}, map[string]string] // offices' contact emails (the whole directory), for contactTTL

	// Concurrent jobs share loads and state writes (see batcher).
	active atomic.Int64 // letters in deliver
	loads  *batcher[int64, loaded]
	claims *batcher[store.Claim, bool]
	sents  *batcher[store.Sent, struct{}]
}

type loaded struct {
	letter store.Letter
	found  bool
}

// HoldFunc says whether a letter must wait (its campaign is paused, or it
// waits for a delivery wave), and for how long before looking again.
type HoldFunc func(ctx context.Context, l store.Letter) (wait time.Duration, why string, err error)

// SetHold installs the hold check (the followup package's): held letters
// stay "queued" and their job is snoozed, so nothing is lost and they go
// out when released.
func (w *Worker) SetHold(h HoldFunc) { w.hold = h }

// NewWorker builds the worker. senders holds every configured channel;
// the outbox is always among them.
func NewWorker(st Store, keys *seal.Keys, senders []delivery.Sender, campaign CampaignInfo, defaults Settings, log *slog.Logger, now func() time.Time) *Worker {
	m := map[delivery.Channel]delivery.Sender{}
	for _, s := range senders {
		m[s.Channel()] = s
	}
	if now == nil {
		now = time.Now
	}
	w := &Worker{store: st, keys: keys, senders: m, campaign: campaign, defaults: defaults, log: log, now: now,
		limiters: map[delivery.Channel]*rate.Limiter{},
		camps:    ttlcache.New[int64, delivery.Campaign](campaignTTL, 10000, nil),
		settings: ttlcache.New[int64, Settings](campaignTTL, 10000, nil),
		offices:  ttlcache.New[string, int64](officeCountTTL, 10000, nil),
		emails:   ttlcache.New[struct{}, map[string]string](contactTTL, 1, nil)}
	w.loads = newBatcher(batchMax, flushLinger, w.inFlight, func(ctx context.Context, ids []int64) ([]loaded, error) {
		got, err := st.LettersToSend(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make([]loaded, len(ids))
		for i, id := range ids {
			out[i].letter, out[i].found = got[id]
		}
		return out, nil
	})
	w.claims = newBatcher(batchMax, flushLinger, w.inFlight, func(ctx context.Context, cs []store.Claim) ([]bool, error) {
		got, err := st.ClaimManyForSending(ctx, cs)
		if err != nil {
			return nil, err
		}
		// One letter twice in a flush (a retried batch and a job of its
		// own) is claimed once: only its first caller may send it.
		out := make([]bool, len(cs))
		for i, c := range cs {
			out[i] = got[c.ID]
			delete(got, c.ID)
		}
		return out, nil
	})
	w.sents = newBatcher(batchMax, flushLinger, w.inFlight, func(ctx context.Context, ss []store.Sent) ([]struct{}, error) {
		return make([]struct{}, len(ss)), st.MarkManySent(ctx, ss)
	})
	return w
}

// batchMax bounds the letters in one coalesced statement.
const batchMax = 200

// flushLinger is how long a flush waits for the letters in flight (see
// batcher). Measured with BenchmarkDeliverToFakeSendGrid: 2 ms halved the
// statements and cut PostgreSQL's CPU per letter by a fifth; 5 ms saved
// little more and slowed delivery.
const flushLinger = 2 * time.Millisecond

// inFlight is how many letters this worker is delivering.
func (w *Worker) inFlight() int { return int(w.active.Load()) }

// NextRetry is exponential backoff with jitter: 10 s, 20 s, 40 s, ...
// (from Settings.BackoffBase) capped at one hour, each ±25 %.
func (w *Worker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return w.now().Add(BackoffFrom(w.defaults.BackoffBase, job.Attempt))
}

// Backoff is the wait before retry number attempt (1-based) with the
// default 10 s base.
func Backoff(attempt int) time.Duration { return BackoffFrom(10*time.Second, attempt) }

// BackoffFrom is the wait before retry number attempt (1-based) when the
// first retry waits base (10 s when base is 0 or less).
func BackoffFrom(base time.Duration, attempt int) time.Duration {
	if base <= 0 {
		base = 10 * time.Second
	}
	if attempt < 1 {
		attempt = 1
	}
	d := base << min(attempt-1, 12)
	if d > time.Hour || d <= 0 {
		d = time.Hour
	}
	jitter := 0.75 + rand.Float64()/2
	return time.Duration(float64(d) * jitter)
}

// Work sends one letter, or decides why not yet.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	attempt, maxAttempts := 1, MaxAttempts
	if job.JobRow != nil { // nil when called directly, outside River
		attempt, maxAttempts = job.Attempt, job.MaxAttempts
	}
	return w.deliver(ctx, job.Args.LetterID, attempt, maxAttempts).riverResult()
}

// outcome is what became of one letter's turn: done (zero), look again
// after wait, retry with backoff after err, or nothing more to do (cancel;
// err says why).
type outcome struct {
	err    error
	wait   time.Duration
	cancel bool
}

func (o outcome) riverResult() error {
	switch {
	case o.cancel:
		return river.JobCancel(o.err)
	case o.wait > 0:
		return river.JobSnooze(o.wait)
	}
	return o.err
}

func failed(err error) outcome { return outcome{err: err} }

// deliver gives one letter its turn: attempt is this job's attempt number
// (1 for the first), maxAttempts when to give up.
func (w *Worker) deliver(ctx context.Context, id int64, attempt, maxAttempts int) outcome {
	w.active.Add(1)
	defer w.active.Add(-1)
	ld, err := w.loads.do(id)
	if err != nil {
		return failed(err)
	}
	if !ld.found {
		return outcome{cancel: true, err: fmt.Errorf("letter %d does not exist", id)}
	}
	l := ld.letter
	switch l.Status {
	case delivery.StatusSent, delivery.StatusDelivered, delivery.StatusBounced, delivery.StatusDropped, delivery.StatusFailed, delivery.StatusOutbox:
		return outcome{} // done already: jobs are idempotent
	}
	now := w.now()
	if w.hold != nil && l.Status != delivery.StatusSending {
		if wait, why, err := w.hold(ctx, l); err != nil {
			return failed(err)
		} else if wait > 0 {
			if err := w.store.MarkHeld(ctx, id, why, now); err != nil {
				return failed(err)
			}
			return outcome{wait: wait}
		}
	}
	settings := w.cachedSettings(ctx, l.CampaignID)

	// An earlier attempt ended without a recorded outcome (the process
	// died mid-send). A channel without an idempotency key (SendGrid)
	// waits out its grace window for the provider's acceptance event
	// before sending again.
	if u, ok := w.unknownOutcome(delivery.Channel(l.Channel), settings); ok && l.Status == delivery.StatusSending && l.SendingSince != nil {
		if ok, err := w.store.HasProviderEvent(ctx, id, u.AcceptedEvent); err != nil {
			return failed(err)
		} else if ok {
			return failed(w.markSent(store.Sent{ID: id, Channel: l.Channel, ProviderID: l.ProviderID, Detail: "accepted before a restart (" + u.AcceptedEvent + " event)", At: now}))
		}
		if waited := now.Sub(*l.SendingSince); waited < u.Grace {
			return outcome{wait: u.Grace - waited}
		}
		if settings.NoProviderEvents {
			if err := w.store.MarkFailed(ctx, id, l.Channel, u.Unsettled, now); err != nil {
				return failed(err)
			}
			return outcome{cancel: true, err: errors.New("outcome unknown, no event webhook")}
		}
		if l.Attempts >= MaxAttempts {
			if err := w.store.MarkFailed(ctx, id, l.Channel, fmt.Sprintf("gave up after %d attempts whose outcome is unknown", l.Attempts), now); err != nil {
				return failed(err)
			}
			return outcome{cancel: true, err: errors.New("too many unknown outcomes")}
		}
	}

	var sealed delivery.Sealed
	if err := w.keys.OpenJSON(l.Sealed, delivery.LetterAAD(l.ID), &sealed); err != nil {
		_ = w.store.MarkFailed(ctx, id, "", "cannot decrypt the letter (encryption key missing?)", now)
		return outcome{cancel: true, err: err}
	}
	// The office contacts directory, read now rather than when the letter
	// was written: a contact added later reaches letters still waiting.
	if email, err := w.officeEmail(ctx, sealed.Office.BioguideID); err != nil {
		return failed(err)
	} else if email != "" {
		sealed.Office.Email = email
	}
	office := sealed.Office
	camp, err := w.cachedCampaign(ctx, l.CampaignID)
	if err != nil {
		return failed(err)
	}
	var sender delivery.Sender
	if camp.Demo {
		// The demonstration campaign's letters reach nobody, whatever
		// channels are configured.
		sender = w.senders[outbox.Name]
	} else {
		sender = w.pick(ctx, settings.Channels, office, camp.Organizational)
	}
	if sender == nil {
		_ = w.store.MarkFailed(ctx, id, "", "no configured channel accepts this office", now)
		return outcome{cancel: true, err: errors.New("no channel accepts the office")}
	}
	if l.QuotesSynthetic && sender.Channel() != outbox.Name {
		// Synthetic demonstration figures never reach an office (CWC,
		// SendGrid, packet): the letter fails, with the reason on its
		// timeline, before anything is handed to the channel.
		if err := w.store.MarkFailed(ctx, id, string(sender.Channel()), SyntheticRefusal(l.StatsReleaseID), now); err != nil {
			return failed(err)
		}
		return outcome{cancel: true, err: errors.New("letter quotes synthetic figures")}
	}

	// Pacing applies to real offices; the outbox reaches nobody.
	paced := isPaced(sender)
	if paced {
		if wait, why, err := w.pace(ctx, l, sender, settings, now); err != nil {
			return failed(err)
		} else if wait > 0 {
			if err := w.store.MarkHeld(ctx, id, why, now); err != nil {
				return failed(err)
			}
			return outcome{wait: wait}
		}
	}

	claim := store.Claim{ID: id, Channel: string(sender.Channel()), At: now, Attempts: l.Attempts}
	if l.Status == delivery.StatusSending {
		// An attempt that ended without an answer (a crash mid-send): its
		// line goes on the timeline with this claim.
		claim.Prev, claim.PrevChannel = l.SendingSince, l.Channel
	}
	ok, err := w.claims.do(claim)
	if err != nil || !ok {
		return failed(err)
	}
	if paced {
		w.countOfficeSend(l.OfficeCode)
	}
	msg := sealed.Message(l.ID, l.DeliveryID, camp, l.ReplyToken, l.CreatedAt)
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	res, err := sender.Send(sctx, msg)
	cancel()
	w.metrics.Provider(string(sender.Channel()), responseClass(err))
	done := w.now()
	if err == nil {
		return failed(w.markSent(store.Sent{ID: id, Channel: string(sender.Channel()), ProviderID: res.ProviderID, Detail: res.Detail, Kept: res.Kept, At: done}))
	}
	detail := errDetail(err)
	temp, after := delivery.IsTemporary(err)
	if !temp {
		if ferr := w.store.MarkFailed(ctx, id, string(sender.Channel()), detail, done); ferr != nil {
			return failed(ferr)
		}
		return outcome{cancel: true, err: err}
	}
	if u, ok := w.unknownOutcome(sender.Channel(), settings); ok && errors.Is(err, delivery.ErrOutcomeUnknown) {
		// Stay in "sending": the next run waits for the grace window and
		// the provider's acceptance event before anything is sent again.
		if nerr := w.store.MarkUnknown(ctx, id, string(sender.Channel()), detail, done); nerr != nil {
			return failed(nerr)
		}
		return outcome{wait: u.Grace}
	}
	if attempt >= maxAttempts {
		if ferr := w.store.MarkFailed(ctx, id, string(sender.Channel()), fmt.Sprintf("gave up after %d attempts: %s", attempt, detail), done); ferr != nil {
			return failed(ferr)
		}
		return outcome{cancel: true, err: err}
	}
	if rerr := w.store.MarkRetry(ctx, id, string(sender.Channel()), detail, done); rerr != nil {
		return failed(rerr)
	}
	if after > 0 {
		return outcome{wait: after}
	}
	return failed(err)
}

// responseClass sorts a channel's answer for the provider-responses
// metric.
func responseClass(err error) string {
	if err == nil {
		return "accepted"
	}
	temp, after := delivery.IsTemporary(err)
	switch {
	case !temp:
		return "permanent"
	case errors.Is(err, delivery.ErrOutcomeUnknown):
		return "unknown"
	case after > 0:
		return "rate_limited"
	}
	return "temporary"
}

// SetMetrics makes the worker count the channels' answers.
func (w *Worker) SetMetrics(m *metrics.Metrics) { w.metrics = m }

// SyntheticRefusal is the timeline reason of a letter that quotes the
// synthetic statistics release rel and was to go to a real channel.
func SyntheticRefusal(rel *int64) string {
	which := "a synthetic statistics release"
	if rel != nil {
		which = fmt.Sprintf("statistics release %d, computed from the synthetic demonstration records", *rel)
	}
	return "not sent: the letter quotes " + which + ", not real cases; demonstration figures are never sent to an office. " +
		"Publish a release from real case records; supporters' letters written after it quote real figures"
}

// unknownOutcome is how the configured channel ch settles an attempt
// whose outcome is unknown, with Settings.Grace applied; false when ch
// retries such an attempt like any other (delivery.OutcomeWaiter).
func (w *Worker) unknownOutcome(ch delivery.Channel, s Settings) (delivery.UnknownOutcome, bool) {
	ow, ok := w.senders[ch].(delivery.OutcomeWaiter)
	if !ok {
		return delivery.UnknownOutcome{}, false
	}
	u := ow.UnknownOutcome()
	if s.Grace > 0 {
		u.Grace = s.Grace
	}
	return u, true
}

// isPaced reports whether office hours, caps and rates apply to s
// (delivery.Pacer; paced unless it says otherwise).
func isPaced(s delivery.Sender) bool {
	p, ok := s.(delivery.Pacer)
	return !ok || p.Paced()
}

func (w *Worker) markSent(x store.Sent) error {
	_, err := w.sents.do(x)
	return err
}

// officeCountTTL is how long a worker trusts its count of an office's
// letters in the last hour before reading it again; its own sends are
// added as they happen. Other processes' sends show up at the next read,
// so with several worker processes an office may get a few seconds' worth
// of letters over its hourly cap.
const officeCountTTL = 5 * time.Second

// officeSent is the number of letters handed to an office in the last
// hour, as the per-office cap counts them.
func (w *Worker) officeSent(ctx context.Context, code string, now time.Time) (int64, error) {
	return w.offices.Load(ctx, code, func(ctx context.Context) (int64, error) {
		return w.store.OfficeSentSince(ctx, code, now.Add(-time.Hour))
	})
}

// countOfficeSend adds a letter just claimed for an office to the count.
func (w *Worker) countOfficeSend(code string) {
	w.offices.Update(code, func(n int64) int64 { return n + 1 })
}

// errDetail is the timeline text of an error (adapters keep PII out).
func errDetail(err error) string {
	var p *delivery.PermanentError
	if errors.As(err, &p) && p.Detail != "" {
		return p.Detail
	}
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// pick returns the first channel in order that is configured and accepts
// the office.
func (w *Worker) pick(ctx context.Context, order []delivery.Channel, o delivery.Office, organizational bool) delivery.Sender {
	for _, ch := range order {
		if s, ok := w.senders[ch]; ok && (!organizational || !ConstituentOnly(s)) && s.Accepts(ctx, o) {
			return s
		}
	}
	return nil
}

// ConstituentOnly reports whether s carries constituents' mail only
// (delivery.ConstituentOnly): an organizational letter never takes it.
func ConstituentOnly(s delivery.Sender) bool {
	c, ok := s.(delivery.ConstituentOnly)
	return ok && c.ConstituentOnly()
}

// campaignTTL is how long a worker reuses a campaign's details and
// delivery settings: they change rarely, and reading them for every
// letter was a quarter of the worker's database work.
const campaignTTL = 30 * time.Second

func (w *Worker) cachedSettings(ctx context.Context, id int64) Settings {
	st, _ := w.settings.Load(ctx, id, func(ctx context.Context) (Settings, error) { return w.settingsFor(ctx, id), nil })
	return st
}

func (w *Worker) cachedCampaign(ctx context.Context, id int64) (delivery.Campaign, error) {
	return w.camps.Load(ctx, id, func(ctx context.Context) (delivery.Campaign, error) { return w.campaign(ctx, id) })
}

// settingsFor merges a campaign's stored settings over the defaults.
func (w *Worker) settingsFor(ctx context.Context, campaignID int64) Settings {
	d, err := w.store.DeliverySettingsFor(ctx, campaignID)
	if err != nil {
		return w.defaults
	}
	return Merge(w.defaults, d)
}

// contactTTL is how long a worker reuses the office contacts directory
// (each office's contact email): it is read whole, in one query, at most
// this often.
const contactTTL = 30 * time.Second

// officeEmail is the address the email channel uses for an office (the
// office contacts directory), or "".
func (w *Worker) officeEmail(ctx context.Context, bioguideID string) (string, error) {
	m, err := w.emails.Load(ctx, struct{}{}, w.store.OfficeEmails)
	if err != nil {
		return "", err
	}
	return m[bioguideID], nil
}

// pace decides whether a letter may go now: office hours in the
// campaign's time zone, the per-office hourly cap, and the channel's rate.
func (w *Worker) pace(ctx context.Context, l store.Letter, sender delivery.Sender, s Settings, now time.Time) (time.Duration, string, error) {
	hours, err := ParseOfficeHours(s.OfficeDays, s.OfficeOpen, s.OfficeClose, s.TimeZone)
	if err != nil {
		return 0, "", err
	}
	if wait := hours.Until(now); wait > 0 {
		return wait, "waiting for office hours (" + hours.String() + ")", nil
	}
	if s.OfficeHourlyCap > 0 {
		n, err := w.officeSent(ctx, l.OfficeCode, now)
		if err != nil {
			return 0, "", err
		}
		if n >= int64(s.OfficeHourlyCap) {
			return 5 * time.Minute, fmt.Sprintf("office reached %d letters this hour", s.OfficeHourlyCap), nil
		}
	}
	ch := sender.Channel()
	r, ok := s.ChannelRate[ch]
	if rl, has := sender.(delivery.RateLimited); !ok && has {
		r = rl.Rate()
	}
	if r > 0 {
		lim := w.limiter(ch, r, s.Burst)
		res := lim.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			if d <= 2*time.Second {
				// Keep the reservation and wait for its turn: cancelling it
				// and asking again after the wait makes the workers race for
				// one token, and the losers are held for nothing.
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					res.Cancel()
					return 0, "", ctx.Err()
				case <-t.C:
				}
				return 0, "", nil
			}
			res.Cancel()
			return d, "channel rate limit", nil
		}
	}
	return 0, "", nil
}

func (w *Worker) limiter(ch delivery.Channel, r float64, burst int) *rate.Limiter {
	w.mu.Lock()
	defer w.mu.Unlock()
	l, ok := w.limiters[ch]
	if !ok {
		if burst < 1 {
			burst = 1
		}
		l = rate.NewLimiter(rate.Limit(r), burst)
		w.limiters[ch] = l
	}
	return l
}

// Inserter is the part of the River client that enqueues in a transaction.
type Inserter interface {
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Enqueuer adds delivery jobs inside a store transaction.
type Enqueuer struct{ Client Inserter }

// EnqueueTx is a store.Enqueue, in the caller's transaction: a job per
// letter for a few letters, batch jobs of BatchSize for many.
func (e Enqueuer) EnqueueTx(ctx context.Context, tx *sql.Tx, ids []int64) error {
	_, err := e.Client.InsertManyTx(ctx, tx, JobParams(ids))
	return err
}

// JobParams are the delivery jobs of letters (a job per letter for a few
// letters, batch jobs of BatchSize for many), for a caller that inserts
// them with other jobs in one statement.
func JobParams(ids []int64) []river.InsertManyParams {
	var params []river.InsertManyParams
	if len(ids) < batchFrom {
		for _, id := range ids {
			params = append(params, river.InsertManyParams{Args: DeliverArgs{LetterID: id}})
		}
		return params
	}
	for i := 0; i < len(ids); i += BatchSize {
		params = append(params, river.InsertManyParams{Args: DeliverBatchArgs{LetterIDs: ids[i:min(i+BatchSize, len(ids))]}})
	}
	return params
}
