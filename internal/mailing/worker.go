package mailing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"golang.org/x/time/rate"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/supporters"
)

// Queue is the River queue of mailings.
const Queue = "mailing"

// BatchSize is the recipients of one request: SendGrid's limit of
// personalizations per Mail Send request.
const BatchSize = sendgrid.MaxPersonalizations

// Stale is how long a batch may stay "sending" before a resumed job
// decides its request is over (longer than a request's timeout): then its
// outcome is unknown.
const Stale = time.Minute

// Args is a mailing's job: its id only.
type Args struct {
	MailingID int64 `json:"mailing_id"`
}

// Kind names the job for River.
func (Args) Kind() string { return "mailing" }

// InsertOpts: one outstanding job per mailing.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 50, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: outstanding}}
}

var outstanding = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled}

// Sender hands one bulk email (up to BatchSize recipients) to a provider.
// *sendgrid.Client is one; errors are delivery.TemporaryError (wrapping
// delivery.ErrOutcomeUnknown when the provider may have it) or
// delivery.PermanentError.
type Sender interface {
	SendBulk(ctx context.Context, b sendgrid.Bulk) (providerID string, err error)
}

// Store is what the worker reads and writes.
type Store interface {
	Mailing(ctx context.Context, id int64) (store.Mailing, error)
	StartMailing(ctx context.Context, id int64, cutoff time.Time, total int) (store.Mailing, error)
	FinishMailing(ctx context.Context, id int64, status, detail string, now time.Time) error
	MailingBatches(ctx context.Context, mailingID int64) ([]store.MailingBatch, error)
	ClaimMailingBatch(ctx context.Context, b store.MailingBatch, now time.Time) (store.MailingBatch, error)
	ReclaimMailingBatch(ctx context.Context, id int64, attempts int, now time.Time) (bool, error)
	FinishMailingBatch(ctx context.Context, id int64, o store.BatchOutcome, now time.Time) error
	CountMailingRecipients(ctx context.Context, q store.RecipientQuery) (map[string]int, error)
	MailingRecipients(ctx context.Context, q store.RecipientQuery, lang, after, upTo string, limit int) ([]store.MailingRecipient, error)
	MailingMembers(ctx context.Context, emailIndexes []string) (map[string][]string, error)
	Campaign(ctx context.Context, id int64) (campaign.Campaign, error)
}

// MemberOf finds a sitting member of Congress by bioguide id
// (congress.Directory.Member).
type MemberOf func(bioguideID string) (*congress.Member, bool)

// Worker sends mailings.
type Worker struct {
	river.WorkerDefaults[Args]
	Store   Store
	Sender  Sender
	Keys    *seal.Keys
	BaseURL string // the site, for links
	OrgName string
	// Member names the members a supporter wrote to, for {{.members}},
	// {{.senators}}, {{.representative}}, {{.state}} and {{.district}}
	// (nil: those fields are empty).
	Member MemberOf
	// Place is the members of Congress of where a supporter lives, for
	// those who never wrote a letter (an imported list, an opt-in whose
	// letters were erased): their state's senators, and their House
	// member when the district is known. Nil: such supporters' member
	// fields are empty (PlaceOf builds it from the congressional data).
	Place PlaceMembers
	// Congress resolves a segment's committee to its members' states
	// (nil: a mailing to a committee's states fails, saying why).
	Congress supporters.Congress
	// Rate caps the emails per second this worker sends (0: no cap): the
	// pacing that keeps a large send within the provider's limits and the
	// site's capacity for the visits it brings.
	Rate float64
	// Slice is how long one run of the job sends before it yields and is
	// continued by a fresh run (0: a minute), so a run never nears the
	// job timeout or River's rescue of stuck jobs.
	Slice     time.Duration
	BatchSize int              // BatchSize when 0
	Now       func() time.Time // time.Now when nil
	Log       *slog.Logger     // discarded when nil

	limitOnce sync.Once
	limiter   *rate.Limiter
}

// Timeout lets a run last its slice and one request more.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return w.slice() + 2*time.Minute }

// NextRetry waits a little after an error the job returned.
func (w *Worker) NextRetry(job *river.Job[Args]) time.Time {
	return w.now().Add(min(time.Duration(job.Attempt)*10*time.Second, 10*time.Minute))
}

// errYield ends a run whose slice is over; the job continues at once.
var errYield = errors.New("slice over")

// Work sends the mailing's next batches for one slice.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	err := w.Run(ctx, job.Args.MailingID, w.now().Add(w.slice()))
	if errors.Is(err, errYield) {
		return river.JobSnooze(time.Millisecond)
	}
	var snooze *snoozeError
	if errors.As(err, &snooze) {
		return river.JobSnooze(snooze.d)
	}
	return err
}

type snoozeError struct{ d time.Duration }

func (e *snoozeError) Error() string { return fmt.Sprintf("wait %s", e.d) }

// Run sends batches of a mailing until it is done (nil), until deadline
// (errYield), or until something makes it wait (*snoozeError) or fail.
func (w *Worker) Run(ctx context.Context, id int64, deadline time.Time) error {
	m, err := w.Store.Mailing(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	switch m.Status {
	case store.MailingSent, store.MailingCancelled, store.MailingFailed:
		return nil
	case store.MailingDraft:
		return river.JobCancel(errors.New("a draft mailing is not sent"))
	}
	now := w.now()
	if m.Status == store.MailingScheduled && m.SendAt != nil && m.SendAt.After(now) {
		return &snoozeError{m.SendAt.Sub(now)}
	}
	c, err := Compile(m)
	if err != nil {
		return w.fail(ctx, m, "its templates no longer parse: "+err.Error())
	}
	seg, err := SegmentOf(m)
	if err != nil {
		return w.fail(ctx, m, "its segment cannot be read")
	}
	f, err := seg.Filter(nil, w.Congress)
	if err != nil {
		return w.fail(ctx, m, "its segment cannot be used: "+err.Error())
	}
	if m.Status == store.MailingScheduled {
		n, err := w.Store.CountMailingRecipients(ctx, Query(f, now))
		if err != nil {
			return err
		}
		total := 0
		for _, v := range n {
			total += v
		}
		if m, err = w.Store.StartMailing(ctx, id, now, total); err != nil {
			return err
		}
		if m.Status != store.MailingSending {
			return nil
		}
		w.log().Info("mailing started", "mailing_id", m.ID, "recipients", m.Total)
	}
	if m.Cutoff == nil {
		return w.fail(ctx, m, "started without a cutoff")
	}
	r, err := w.newRun(ctx, m, c, f)
	if err != nil {
		return err
	}
	return r.run(ctx, deadline)
}

func (w *Worker) fail(ctx context.Context, m store.Mailing, detail string) error {
	w.log().Error("mailing failed", "mailing_id", m.ID, "detail", detail)
	if err := w.Store.FinishMailing(ctx, m.ID, store.MailingFailed, detail, w.now()); err != nil {
		return err
	}
	return river.JobCancel(errors.New(detail))
}

// run is one run of a mailing's job.
type run struct {
	w   *Worker
	m   store.Mailing
	c   *Compiled
	q   store.RecipientQuery
	ver map[string]*version // by language
}

// version is what every recipient of one language shares: the content
// with substitution keys, and the campaign's title and link.
type version struct {
	lang     i18n.Lang
	subject  *Template
	body     *Template
	skeleton string
	keys     []string // the body's substitution keys, in order
	title    string
	link     string
}

// Substitution keys: a template's fixed text cannot contain "{{" (it
// would start an action), so these never match written text.
func bodyKey(i int) string { return "{{m" + strconv.Itoa(i) + "}}" }

const (
	unsubKey  = "{{u}}"
	forgetKey = "{{f}}"
)

func (w *Worker) newRun(ctx context.Context, m store.Mailing, c *Compiled, f store.SupporterFilter) (*run, error) {
	r := &run{w: w, m: m, c: c, q: Query(f, *m.Cutoff), ver: map[string]*version{}}
	var camp *campaign.Campaign
	if m.CampaignID != nil {
		cp, err := w.Store.Campaign(ctx, *m.CampaignID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			camp = &cp
		}
	}
	for lang := range c.Body {
		l, _ := i18n.Parse(lang)
		v := &version{lang: l, subject: c.Subject[lang], body: c.Body[lang]}
		for i := range v.body.Dynamic() {
			v.keys = append(v.keys, bodyKey(i))
		}
		footer := l.T("mailing.footer", w.OrgName, unsubKey, forgetKey)
		v.skeleton = v.body.Skeleton(bodyKey) + "\n\n-- \n" + footer
		if camp != nil {
			v.title = camp.Title
			if l == i18n.Spanish && camp.TitleES != "" {
				v.title = camp.TitleES
			}
			q := url.Values{"source": {Source(m.ID)}}
			if l == i18n.Spanish {
				q.Set("lang", "es")
			}
			v.link = strings.TrimRight(w.BaseURL, "/") + "/c/" + camp.Slug + "?" + q.Encode()
		}
		r.ver[lang] = v
	}
	return r, nil
}

// Source is the source= code a mailing's links carry.
func Source(mailingID int64) string {
	if mailingID == 0 {
		return "mailing-new" // a preview before the mailing is saved
	}
	return "mailing-" + strconv.FormatInt(mailingID, 10)
}

func (r *run) run(ctx context.Context, deadline time.Time) error {
	batches, err := r.w.Store.MailingBatches(ctx, r.m.ID)
	if err != nil {
		return err
	}
	now := r.w.now()
	last := map[string]store.MailingBatch{} // each stream's last batch
	for _, b := range batches {
		if l, ok := last[b.Lang]; !ok || b.Seq > l.Seq {
			last[b.Lang] = b
		}
	}
	// Batches a run left in flight: a request still running (wait), or
	// one cut off by a crash (its outcome is unknown: never resent).
	for _, b := range batches {
		if b.Status != store.BatchSending {
			continue
		}
		since := b.CreatedAt
		if b.SendingSince != nil {
			since = *b.SendingSince
		}
		if wait := Stale - now.Sub(since); wait > 0 {
			return &snoozeError{wait}
		}
		r.w.log().Warn("mailing batch outcome unknown: not sent again", "mailing_id", r.m.ID, "batch_id", b.ID, "recipients", b.Recipients)
		if err := r.w.Store.FinishMailingBatch(ctx, b.ID, store.BatchOutcome{Status: store.BatchUnknown, Recipients: b.Recipients,
			Detail: "the sending process stopped during the request: SendGrid may have these emails, so they are not sent again"}, now); err != nil {
			return err
		}
	}
	// Batches SendGrid did not take: again, to the same range.
	for _, b := range batches {
		if b.Status != store.BatchRetry {
			continue
		}
		if r.w.now().After(deadline) {
			return errYield
		}
		ok, err := r.w.Store.ReclaimMailingBatch(ctx, b.ID, b.Attempts, r.w.now())
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		b.Attempts++
		recips, err := r.w.Store.MailingRecipients(ctx, r.q, b.Lang, b.AfterKey, b.LastKey, r.w.batchSize())
		if err != nil {
			return err
		}
		if err := r.send(ctx, b, recips); err != nil {
			return err
		}
	}
	for _, stream := range r.c.Streams() {
		after, seq := "", 0
		if l, ok := last[stream]; ok {
			after, seq = l.LastKey, l.Seq
		}
		for {
			if r.w.now().After(deadline) {
				return errYield
			}
			recips, err := r.w.Store.MailingRecipients(ctx, r.q, stream, after, "", r.w.batchSize())
			if err != nil {
				return err
			}
			if len(recips) == 0 {
				break
			}
			seq++
			b, err := r.w.Store.ClaimMailingBatch(ctx, store.MailingBatch{MailingID: r.m.ID, Lang: stream, Seq: seq, AfterKey: after,
				LastKey: recips[len(recips)-1].EmailIndex, Recipients: len(recips)}, r.w.now())
			if errors.Is(err, store.ErrBatchTaken) {
				return &snoozeError{time.Second} // another run has this mailing: look again later
			}
			if err != nil {
				return err
			}
			if err := r.send(ctx, b, recips); err != nil {
				return err
			}
			after = b.LastKey
		}
	}
	// Done when no batch is left to send again.
	batches, err = r.w.Store.MailingBatches(ctx, r.m.ID)
	if err != nil {
		return err
	}
	for _, b := range batches {
		if b.Status == store.BatchRetry || b.Status == store.BatchSending {
			return &snoozeError{time.Second}
		}
	}
	r.w.log().Info("mailing sent", "mailing_id", r.m.ID, "batches", len(batches))
	return r.w.Store.FinishMailing(ctx, r.m.ID, store.MailingSent, "", r.w.now())
}

// optIn is a sealed opt-in: the address and first name.
type optIn struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
}

// send makes batch b's request and records its outcome.
func (r *run) send(ctx context.Context, b store.MailingBatch, recips []store.MailingRecipient) error {
	lang := r.c.langOf(b.Lang)
	v := r.ver[lang]
	bulk, failed, err := r.bulk(ctx, v, recips)
	if err != nil {
		return err
	}
	out := store.BatchOutcome{Recipients: len(recips), Failed: failed}
	if len(bulk.Recipients) == 0 {
		out.Status, out.Detail = store.BatchSent, "no sendable address in this batch"
		return r.w.Store.FinishMailingBatch(ctx, b.ID, out, r.w.now())
	}
	if err := r.w.wait(ctx, len(bulk.Recipients)); err != nil {
		return err
	}
	pid, err := r.w.Sender.SendBulk(ctx, bulk)
	now := r.w.now()
	if err == nil {
		out.Status, out.Sent, out.ProviderID, out.Detail = store.BatchSent, len(bulk.Recipients), pid, "accepted"
		return r.w.Store.FinishMailingBatch(ctx, b.ID, out, now)
	}
	temp, after := delivery.IsTemporary(err)
	detail := errDetail(err)
	switch {
	case !temp:
		out.Status, out.Failed, out.Detail = store.BatchFailed, len(recips), detail
		if ferr := r.w.Store.FinishMailingBatch(ctx, b.ID, out, now); ferr != nil {
			return ferr
		}
		// A refusal of the request as a whole (an unverified sender, a
		// revoked key) would refuse every batch: stop and say why.
		return r.w.fail(ctx, r.m, "SendGrid refused a batch: "+detail)
	case errors.Is(err, delivery.ErrOutcomeUnknown):
		out.Status, out.Detail = store.BatchUnknown, detail+" (SendGrid may have these emails: not sent again)"
		if ferr := r.w.Store.FinishMailingBatch(ctx, b.ID, out, now); ferr != nil {
			return ferr
		}
		return nil
	}
	out.Status, out.Failed, out.Detail = store.BatchRetry, 0, detail
	if ferr := r.w.Store.FinishMailingBatch(ctx, b.ID, out, now); ferr != nil {
		return ferr
	}
	if after <= 0 {
		after = 30 * time.Second
	}
	r.w.log().Warn("mailing batch not taken, sent again later", "mailing_id", r.m.ID, "batch_id", b.ID, "wait", after, "err", detail)
	return &snoozeError{after}
}

// bulk builds the request of a batch: per recipient, the subject, the
// List-Unsubscribe headers and the body's substitutions. Addresses
// SendGrid would refuse (which would fail the whole request) are left
// out and counted as failed.
func (r *run) bulk(ctx context.Context, v *version, recips []store.MailingRecipient) (sendgrid.Bulk, int, error) {
	members, err := r.members(ctx, recips)
	if err != nil {
		return sendgrid.Bulk{}, 0, err
	}
	b := sendgrid.Bulk{Text: v.skeleton, Categories: []string{"mailing", Source(r.m.ID)},
		CustomArgs: map[string]string{"mailing_id": strconv.FormatInt(r.m.ID, 10)}, Recipients: make([]sendgrid.BulkRecipient, 0, len(recips))}
	signer := action.NewSigner(r.w.Keys.Index)
	base := strings.TrimRight(r.w.BaseURL, "/")
	failed := 0
	seen := make(map[string]bool, len(recips))
	vals := make([]string, 0, len(v.keys))
	for _, rc := range recips {
		var o optIn
		if err := r.w.Keys.OpenJSON(rc.Sealed, action.OptInAAD(rc.EmailIndex), &o); err != nil {
			failed++ // a key that is gone: nothing can be sent to this one
			continue
		}
		addr := strings.TrimSpace(o.Email)
		if !sendgrid.ValidAddress(addr) || seen[strings.ToLower(addr)] {
			failed++
			continue
		}
		seen[strings.ToLower(addr)] = true
		var rcp sendgrid.BulkRecipient
		rcp, vals = r.recipient(v, signer, base, rc, o, addr, members[rc.EmailIndex], vals)
		b.Recipients = append(b.Recipients, rcp)
	}
	return b, failed, nil
}

// recipient is one personalization: the subject, the substitutions of
// the body's dynamic parts and of the footer's links, and the one-click
// unsubscribe headers.
func (r *run) recipient(v *version, signer action.Signer, base string, rc store.MailingRecipient, o optIn, addr string, members []string, vals []string) (sendgrid.BulkRecipient, []string) {
	f := r.fields(v, o, members)
	if f.State == "" {
		f.State = rc.State // a place without senators (a territory)
	}
	unsub := base + "/u?t=" + signer.Sign("unsub", action.UnsubValue(rc.EmailIndex, r.m.ID), time.Time{}) + "&lang=" + string(v.lang)
	forget := base + "/forget?t=" + signer.Sign("forget", rc.EmailIndex, time.Time{}) + "&lang=" + string(v.lang)
	subs := make(map[string]string, len(v.keys)+2)
	vals = v.body.Values(&f, vals[:0])
	for i, k := range v.keys {
		subs[k] = clean(vals[i])
	}
	subs[unsubKey], subs[forgetKey] = unsub, forget
	subject := v.subject.Render(&f)
	if n := len([]rune(subject)); n > MaxSubjectRunes {
		subject = string([]rune(subject)[:MaxSubjectRunes])
	}
	return sendgrid.BulkRecipient{To: addr, ToName: o.FirstName, Subject: subject, Substitutions: subs,
		Headers: map[string]string{"List-Unsubscribe": "<" + unsub + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}, vals
}

// Preview is the email one supporter gets from mailing m (it need not be
// saved), as the worker builds it: rc nil previews the sample supporter
// (Sample) at sample@example.org, with links that work for nobody.
func (w *Worker) Preview(ctx context.Context, m store.Mailing, c *Compiled, stream string, rc *store.MailingRecipient) (delivery.Email, error) {
	if m.Cutoff == nil {
		now := w.now()
		m.Cutoff = &now
	}
	r, err := w.newRun(ctx, m, c, store.SupporterFilter{})
	if err != nil {
		return delivery.Email{}, err
	}
	v := r.ver[c.langOf(stream)]
	o := optIn{Email: "sample@example.org", FirstName: Sample().FirstName}
	sample := rc == nil
	if sample {
		rc = &store.MailingRecipient{EmailIndex: "sample"}
	} else if err := w.Keys.OpenJSON(rc.Sealed, action.OptInAAD(rc.EmailIndex), &o); err != nil {
		return delivery.Email{}, err
	}
	var members []string
	if !sample {
		ms, err := r.members(ctx, []store.MailingRecipient{*rc})
		if err != nil {
			return delivery.Email{}, err
		}
		members = ms[rc.EmailIndex]
	}
	rcp, _ := r.recipient(v, action.NewSigner(w.Keys.Index), strings.TrimRight(w.BaseURL, "/"), *rc, o, o.Email, members, nil)
	if sample {
		// The sample's place and members; the mailing's own campaign and
		// organization.
		f := Sample()
		if v.link != "" {
			f.CampaignLink, f.CampaignTitle = v.link, v.title
		}
		if w.OrgName != "" {
			f.OrgName = w.OrgName
		}
		rcp.Subject = v.subject.Render(&f)
		vals := v.body.Values(&f, nil)
		for i, k := range v.keys {
			rcp.Substitutions[k] = vals[i]
		}
	}
	return Expand(sendgrid.Bulk{Text: v.skeleton, Recipients: []sendgrid.BulkRecipient{rcp}})[0], nil
}

// clean keeps a supporter's value from holding a substitution key.
func clean(s string) string { return strings.ReplaceAll(s, "{{", "{ {") }

// members are the members of Congress each recipient wrote to, or, for
// one who wrote to none, the members of where they live (Place).
func (r *run) members(ctx context.Context, recips []store.MailingRecipient) (map[string][]string, error) {
	if r.w.Member == nil {
		return nil, nil
	}
	idx := make([]string, len(recips))
	for i, rc := range recips {
		idx[i] = rc.EmailIndex
	}
	out, err := r.w.Store.MailingMembers(ctx, idx)
	if err != nil || r.w.Place == nil {
		return out, err
	}
	for _, rc := range recips {
		if len(out[rc.EmailIndex]) == 0 && rc.State != "" {
			out[rc.EmailIndex] = r.w.Place(rc.State, rc.District)
		}
	}
	return out, nil
}

// PlaceMembers is the bioguide ids of the members of Congress of a state
// and, when district is set, its House district.
type PlaceMembers func(state string, district *int) []string

// PlaceOf answers PlaceMembers from the congressional data: the senators of
// the state, and the House member (or delegate) of the district.
func PlaceOf(dir *congress.Directory) PlaceMembers {
	senators := map[string][]string{}
	house := map[congress.District]string{}
	for _, d := range dir.Districts() {
		res, err := dir.ForDistrict(d)
		if err != nil {
			continue
		}
		var sens []string
		for _, m := range res.Members { // the lookup's order: senior senator first
			if seat, ok := m.Seat(); ok {
				house[seat] = m.BioguideID
			} else {
				sens = append(sens, m.BioguideID)
			}
		}
		if _, ok := senators[d.State]; !ok {
			senators[d.State] = sens
		}
	}
	return func(state string, district *int) []string {
		out := slices.Clone(senators[state])
		if district != nil {
			if id, ok := house[congress.District{State: state, Number: *district}]; ok {
				out = append(out, id)
			}
		}
		return out
	}
}

// fields are one recipient's merge fields: their members by title and
// name in the version's language, senators first.
func (r *run) fields(v *version, o optIn, members []string) Fields {
	f := Fields{FirstName: strings.TrimSpace(o.FirstName), CampaignTitle: v.title, CampaignLink: v.link, OrgName: r.w.OrgName}
	var sens, all []string
	for _, id := range members {
		m, ok := r.w.Member(id)
		if !ok {
			continue // no longer sitting
		}
		name := v.lang.TG("lookup.title."+m.Title, m.Gender) + " " + m.Name
		f.State = m.State
		if d, ok := m.Seat(); ok {
			if f.Representative == "" {
				f.Representative, f.District = name, d.Label()
			}
			continue
		}
		sens = append(sens, name)
	}
	f.Senators = joinNames(sens, v.lang)
	all = append(all, sens...)
	if f.Representative != "" {
		all = append(all, f.Representative)
	}
	f.Members = joinNames(all, v.lang)
	return f
}

// joinNames is "A", "A and B", "A, B and C" (y in Spanish).
func joinNames(names []string, lang i18n.Lang) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + lang.T("mailing.and") + names[len(names)-1]
}

func (w *Worker) wait(ctx context.Context, n int) error {
	if w.Rate <= 0 {
		return nil
	}
	w.limitOnce.Do(func() { w.limiter = rate.NewLimiter(rate.Limit(w.Rate), max(w.batchSize(), int(w.Rate))) })
	return w.limiter.WaitN(ctx, n)
}

func errDetail(err error) string {
	var p *delivery.PermanentError
	if errors.As(err, &p) && p.Detail != "" {
		return p.Detail
	}
	s := err.Error()
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

func (w *Worker) slice() time.Duration {
	if w.Slice > 0 {
		return w.Slice
	}
	return time.Minute
}

func (w *Worker) batchSize() int {
	if w.BatchSize > 0 && w.BatchSize < BatchSize {
		return w.BatchSize
	}
	return BatchSize
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.New(slog.DiscardHandler)
}
