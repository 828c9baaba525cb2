// Package supportermail sends every email a supporter gets: the link that
// confirms their submission, the copy of their letters, the opt-in
// request, and (composed by the followup package) the survey, the survey
// asked again and the confirmation reminder.
//
// Each email is a row of supporter_mail, unique per (submission, kind),
// written in the transaction that causes it (the submission, the
// confirmation, the follow-up tick) together with its River job, which
// carries ids only. The job reopens the sealed submission, writes the
// email, marks the row "sending" (committed) before it hands the email to
// the provider, and records the provider's answer ("sent", with its
// message id) right after. So a crash can leave only the email in flight
// with an unknown outcome: it is sent again, unless SendGrid's event
// webhook reported it within Grace (see Worker.Work). The outbox stores an
// email and marks it sent in one transaction: there, nothing is ever
// stored twice. A 429 waits for SendGrid's rate-limit reset, a 5xx or a
// failed connection is retried with exponential backoff; the supporter's
// page never waits for any of it.
package supportermail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/branding"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
)

// Queue is the River queue of supporter emails.
const Queue = "supporter_mail"

// Kinds of email (store.Mail*).
const (
	KindConfirm      = store.MailConfirm
	KindConfirmAgain = store.MailConfirmAgain
	KindCopy         = store.MailCopy
	KindOptIn        = store.MailOptIn
	KindSurvey       = store.MailSurvey
	KindSurveyAgain  = store.MailSurveyAgain
	KindReminder     = store.MailReminder
)

const (
	// OptInTTL is how long the opt-in link works.
	OptInTTL = 7 * 24 * time.Hour
	// ConfirmTTL is how long the confirmation link works, from the
	// submission's creation.
	ConfirmTTL = 48 * time.Hour
	// Grace is how long an email whose send ended without an answer
	// (a crash, a timeout) waits for SendGrid's event about it before it is
	// sent again, when the event webhook is configured.
	Grace = 5 * time.Minute
	// MaxAttempts bounds the attempts that reach the provider and fail
	// (a 429 waits for the reset and does not count).
	MaxAttempts = 12
)

// Email is a message to a supporter.
type Email = delivery.Email

// Outgoing is one supporter email handed to a Mailer.
type Outgoing struct {
	MailID  int64  // the supporter_mail row: SendGrid's custom arg mail_id
	Attempt int    // the claimed attempt (attempts after the claim)
	Kind    string // KindConfirm, ...
	Email   Email
}

// Mailer hands supporter emails to a provider: the outbox by default,
// SendGrid when configured. Its errors are delivery.TemporaryError (a
// retry may work; wrapping delivery.ErrOutcomeUnknown when the provider
// may have the message) or delivery.PermanentError.
type Mailer interface {
	SendSupporterEmail(ctx context.Context, m Outgoing) (providerID string, err error)
}

// Links signs the links supporter emails carry and makes them absolute.
type Links struct {
	BaseURL string // the site, without a trailing slash
	Keys    *seal.Keys
}

// Signer signs the links' tokens.
func (l Links) Signer() action.Signer { return action.NewSigner(l.Keys.Index) }

// URL is the absolute link to path with query q.
func (l Links) URL(path string, q url.Values) string {
	u := strings.TrimRight(l.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// ConfirmURL is the link that confirms a submission, valid until exp.
func (l Links) ConfirmURL(slug string, subID int64, lang i18n.Lang, exp time.Time) string {
	t := l.Signer().Sign("confirm", strconv.FormatInt(subID, 10), exp)
	return l.URL("/c/"+slug+"/confirm", url.Values{"t": {t}, "lang": {string(lang)}})
}

// Compose builds one supporter email with the footer every supporter
// email carries: an unsubscribe link, a delete-my-data link, and RFC 8058
// one-click unsubscribe headers.
func Compose(l Links, b branding.Branding, lang i18n.Lang, to, emailIdx, subject, body string) Email {
	sg := l.Signer()
	unsub := l.URL("/u", url.Values{"t": {sg.Sign("unsub", emailIdx, time.Time{})}, "lang": {string(lang)}})
	forget := l.URL("/forget", url.Values{"t": {sg.Sign("forget", emailIdx, time.Time{})}, "lang": {string(lang)}})
	footer := lang.T("act.mail.footer", b.Name, unsub, forget)
	if b.PrivacyURL != "" {
		footer += "\n" + lang.T("act.mail.privacy", b.PrivacyURL)
	}
	if b.ContactURL != "" {
		footer += "\n" + lang.T("act.mail.contact", b.Name, strings.TrimPrefix(b.ContactURL, "mailto:"))
	}
	return Email{
		To: to, Subject: subject, Text: body + "\n\n-- \n" + footer,
		Headers: map[string]string{"List-Unsubscribe": "<" + unsub + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
	}
}

// Args is the job of one email: the submission and the kind, which name
// its supporter_mail row. Ids only, never personal data.
type Args struct {
	SubmissionID int64  `json:"submission_id"`
	Mail         string `json:"mail"` // the kind of email: KindConfirm, ...
}

// Kind names the job for River.
func (Args) Kind() string { return "supporter_email" }

// InsertOpts: on the supporter-mail queue, one job per (submission, kind)
// while it is outstanding (the row, not the job, says whether it was sent).
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: outstanding}}
}

var outstanding = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled}

// JobParams are the jobs of a submission's emails, for a transaction that
// inserts them with other jobs in one statement.
func JobParams(submissionID int64, kinds ...string) []river.InsertManyParams {
	out := make([]river.InsertManyParams, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, river.InsertManyParams{Args: Args{SubmissionID: submissionID, Mail: k}})
	}
	return out
}

// Inserter is the part of the River client that enqueues in a transaction.
type Inserter interface {
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Enqueue is a store.MailEnqueue that inserts the emails' jobs with c.
func Enqueue(c Inserter) store.MailEnqueue {
	return func(ctx context.Context, tx *sql.Tx, mail []store.SupporterMail) error {
		if len(mail) == 0 {
			return nil
		}
		params := make([]river.InsertManyParams, 0, len(mail))
		for _, m := range mail {
			params = append(params, river.InsertManyParams{Args: Args{SubmissionID: m.SubmissionID, Mail: m.Kind}})
		}
		_, err := c.InsertManyTx(ctx, tx, params)
		return err
	}
}

// Store is what the worker reads and writes.
type Store interface {
	SupporterMailOf(ctx context.Context, subID int64, kind string) (store.SupporterMail, error)
	ClaimSupporterMail(ctx context.Context, id int64, attempts int, now time.Time) (bool, error)
	SupporterMailSent(ctx context.Context, id int64, attempts int, providerID, detail string, now time.Time) error
	SupporterMailNotSent(ctx context.Context, id int64, attempts int, detail string, now time.Time) error
	FinishSupporterMail(ctx context.Context, id int64, status, detail string, now time.Time) error
	SubmissionByID(ctx context.Context, id int64) (store.Submission, error)
	SubmissionLetters(ctx context.Context, submissionID int64) ([]store.Letter, error)
	Campaign(ctx context.Context, id int64) (campaign.Campaign, error)
	IsSuppressed(ctx context.Context, emailIndex string) (bool, error)
	Branding(ctx context.Context) (branding.Branding, error)
}

// Input is what a Composer writes an email from: the submission, opened.
type Input struct {
	Sub    store.Submission
	Sealed action.Sealed
	Lang   i18n.Lang
	Now    time.Time
}

// Composer writes one kind of email: its subject and body (the worker
// adds the footer and the address). It returns a *SkipError when there is
// nothing to send.
type Composer func(ctx context.Context, in Input) (subject, body string, err error)

// SkipError means an email is not to be sent, and why (no personal data).
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip is a SkipError.
func Skip(reason string) error { return &SkipError{Reason: reason} }

// Worker sends supporter emails.
type Worker struct {
	river.WorkerDefaults[Args]
	Store   Store
	Mailer  Mailer
	Links   Links
	OrgName string
	// Composers write the kinds this package does not (the followup
	// package's survey, survey_again and reminder).
	Composers map[string]Composer
	// Events says SendGrid's event webhook is configured: an email whose
	// send ended without an answer then waits Grace for an event about it
	// before it is sent again. Without it nothing can tell, and the email
	// is sent again at the next attempt.
	Events bool
	Grace  time.Duration    // Grace when 0
	Now    func() time.Time // time.Now when nil
	Log    *slog.Logger     // discarded when nil
	// BackoffBase is the first retry's wait after a failed attempt; each
	// further retry doubles it, up to an hour. 0 means 10 s.
	BackoffBase time.Duration
}

// NextRetry is exponential backoff with jitter after a failed attempt.
func (w *Worker) NextRetry(job *river.Job[Args]) time.Time {
	return w.now().Add(backoff(w.BackoffBase, job.Attempt))
}

func backoff(base time.Duration, attempt int) time.Duration {
	if base <= 0 {
		base = 10 * time.Second
	}
	d := base << min(max(attempt-1, 0), 12)
	if d > time.Hour || d <= 0 {
		d = time.Hour
	}
	return time.Duration(float64(d) * (0.75 + rand.Float64()/2))
}

// Work sends one email, once. See the package comment for what a crash,
// a rate limit or an outage does. When the job's last attempt fails, the
// email is marked failed with the reason (River would drop the job and
// leave the row waiting).
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	err := w.work(ctx, job)
	if err == nil || job.JobRow == nil || job.Attempt < job.MaxAttempts {
		return err
	}
	var snooze *river.JobSnoozeError
	var cancel *rivertype.JobCancelError
	if errors.As(err, &snooze) || errors.As(err, &cancel) {
		return err
	}
	if m, lerr := w.Store.SupporterMailOf(ctx, job.Args.SubmissionID, job.Args.Mail); lerr == nil {
		w.finish(ctx, m, store.MailFailed, fmt.Sprintf("gave up after %d attempts: %s", job.Attempt, errDetail(err)))
	}
	return river.JobCancel(err)
}

func (w *Worker) work(ctx context.Context, job *river.Job[Args]) error {
	m, err := w.Store.SupporterMailOf(ctx, job.Args.SubmissionID, job.Args.Mail)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	switch m.Status {
	case store.MailSent, store.MailSkipped, store.MailFailed:
		return nil // done before: jobs are idempotent
	}
	now := w.now()
	if m.Status == store.MailSending {
		// An earlier attempt handed the email to the provider and its answer
		// was never recorded (the process died, or the connection dropped).
		if w.Events && m.SendingSince != nil {
			if waited := now.Sub(*m.SendingSince); waited < w.grace() {
				return river.JobSnooze(w.grace() - waited)
			}
		}
		if m.Attempts >= MaxAttempts {
			w.finish(ctx, m, store.MailFailed, fmt.Sprintf("gave up after %d attempts whose outcome is unknown", m.Attempts))
			return river.JobCancel(errors.New("too many attempts with an unknown outcome"))
		}
		w.log().Warn("supporter email sent again: an earlier attempt's outcome is unknown", "mail_id", m.ID, "kind", m.Kind, "attempts", m.Attempts)
	}
	e, err := w.Email(ctx, m)
	var skip *SkipError
	switch {
	case errors.As(err, &skip):
		w.log().Info("supporter email skipped", "mail_id", m.ID, "kind", m.Kind, "reason", skip.Reason)
		if ferr := w.Store.FinishSupporterMail(ctx, m.ID, store.MailSkipped, skip.Reason, now); ferr != nil {
			return ferr
		}
		return nil
	case err != nil:
		var perm *delivery.PermanentError
		if errors.As(err, &perm) {
			w.finish(ctx, m, store.MailFailed, perm.Detail)
			return river.JobCancel(err)
		}
		return err
	}
	if w.Mailer == nil {
		return errors.New("no mailer configured")
	}
	if ok, err := w.Store.ClaimSupporterMail(ctx, m.ID, m.Attempts, now); err != nil || !ok {
		return err // !ok: another attempt has it
	}
	attempt := m.Attempts + 1
	pid, err := w.Mailer.SendSupporterEmail(ctx, Outgoing{MailID: m.ID, Attempt: attempt, Kind: m.Kind, Email: e})
	done := w.now()
	if err == nil {
		return w.Store.SupporterMailSent(ctx, m.ID, attempt, pid, "accepted", done)
	}
	detail := errDetail(err)
	temp, after := delivery.IsTemporary(err)
	switch {
	case !temp:
		w.finish(ctx, m, store.MailFailed, detail)
		return river.JobCancel(err)
	case errors.Is(err, delivery.ErrOutcomeUnknown):
		// The provider may have it: the row stays "sending", and the next
		// attempt waits for its event first (when events can come).
		if w.Events {
			return river.JobSnooze(w.grace())
		}
		return err
	}
	if nerr := w.Store.SupporterMailNotSent(ctx, m.ID, attempt, detail, done); nerr != nil {
		return nerr
	}
	if after > 0 {
		return river.JobSnooze(after) // a 429: SendGrid's rate-limit reset
	}
	return err
}

func (w *Worker) finish(ctx context.Context, m store.SupporterMail, status, detail string) {
	if err := w.Store.FinishSupporterMail(ctx, m.ID, status, detail, w.now()); err != nil {
		w.log().Error("supporter email: cannot record its end", "mail_id", m.ID, "err", err)
	}
}

// Email writes the email of row m as it is sent, footer included; a
// *SkipError when there is nothing to send: the supporter's data was
// erased, the address is suppressed, or the kind's composer says so.
func (w *Worker) Email(ctx context.Context, m store.SupporterMail) (Email, error) {
	sub, err := w.Store.SubmissionByID(ctx, m.SubmissionID)
	if errors.Is(err, store.ErrNotFound) {
		return Email{}, Skip("the submission does not exist")
	}
	if err != nil {
		return Email{}, err
	}
	if sub.Status == "erased" || sub.Sealed == "" {
		return Email{}, Skip("the supporter's data was deleted")
	}
	if sup, err := w.Store.IsSuppressed(ctx, sub.EmailIndex); err != nil {
		return Email{}, err
	} else if sup {
		return Email{}, Skip("the address is unsubscribed, bounced or complained")
	}
	var ss action.Sealed
	if err := w.Links.Keys.OpenJSON(sub.Sealed, action.SubmissionAAD(sub.ID), &ss); err != nil {
		return Email{}, delivery.Permanent(fmt.Errorf("open submission %d: %w", sub.ID, err), "cannot decrypt the submission (encryption key missing?)")
	}
	lang, ok := i18n.Parse(m.Lang)
	if !ok {
		if lang, ok = i18n.Parse(sub.Lang); !ok {
			lang = i18n.English
		}
	}
	compose := w.composer(m.Kind)
	if compose == nil {
		return Email{}, delivery.Permanent(fmt.Errorf("no composer for %q", m.Kind), "unknown kind of email "+m.Kind)
	}
	subject, body, err := compose(ctx, Input{Sub: sub, Sealed: ss, Lang: lang, Now: w.now()})
	if err != nil {
		return Email{}, err
	}
	return Compose(w.Links, w.branding(ctx), lang, ss.Form.Email, sub.EmailIndex, subject, body), nil
}

// branding is the organization's branding for the email's footer, with
// the configured name when none is set (or the database does not say).
func (w *Worker) branding(ctx context.Context) branding.Branding {
	b, err := w.Store.Branding(ctx)
	if err != nil {
		w.log().Warn("supporter email: branding unavailable, the footer uses the defaults", "err", err)
		b = branding.Branding{}
	}
	if b.Name == "" {
		b.Name = w.OrgName
	}
	return b
}

func (w *Worker) composer(kind string) Composer {
	switch kind {
	case KindConfirm, KindConfirmAgain:
		return w.confirmEmail
	case KindCopy:
		return w.copyEmail
	case KindOptIn:
		return w.optInEmail
	}
	return w.Composers[kind]
}

// confirmEmail is the link that confirms a pending submission, listing
// the offices its letters will go to (sealed with the submission).
func (w *Worker) confirmEmail(ctx context.Context, in Input) (string, string, error) {
	if in.Sub.Status != "pending" {
		return "", "", Skip("the submission was confirmed before its email was sent")
	}
	exp := in.Sub.CreatedAt.Add(ConfirmTTL)
	if !in.Now.Before(exp) {
		return "", "", Skip("the confirmation link expired before it could be sent")
	}
	camp, err := w.Store.Campaign(ctx, in.Sub.CampaignID)
	if err != nil {
		return "", "", err
	}
	offices := make([]string, 0, len(in.Sealed.Offices))
	for _, o := range in.Sealed.Offices {
		offices = append(offices, "- "+in.Lang.TG("lookup.title."+o.Title, o.Gender)+" "+o.Name)
	}
	link := w.Links.ConfirmURL(camp.Slug, in.Sub.ID, in.Lang, exp)
	return in.Lang.T("act.mail.confirm_subject"), in.Lang.T("act.mail.confirm_body", in.Sealed.Form.FirstName, titleIn(camp, in.Lang), strings.Join(offices, "\n"), link), nil
}

// titleIn is the campaign's title in lang (the English one when it has no
// Spanish title).
func titleIn(c campaign.Campaign, lang i18n.Lang) string {
	if lang == i18n.Spanish && c.TitleES != "" {
		return c.TitleES
	}
	return c.Title
}

// copyEmail is the copy of every letter the confirmation created, each
// exactly as its office receives it.
func (w *Worker) copyEmail(ctx context.Context, in Input) (string, string, error) {
	letters, err := w.Store.SubmissionLetters(ctx, in.Sub.ID)
	if err != nil {
		return "", "", err
	}
	var parts []string
	for _, l := range letters {
		if l.Sealed == "" || l.Kind != store.LetterFirst {
			continue // erased, or a second letter (not the supporter's)
		}
		var sl delivery.Sealed
		if err := w.Links.Keys.OpenJSON(l.Sealed, delivery.LetterAAD(l.ID), &sl); err != nil {
			return "", "", delivery.Permanent(fmt.Errorf("open letter %d: %w", l.ID, err), "cannot decrypt a letter (encryption key missing?)")
		}
		// The letter as the office receives it and as the review page
		// showed it: delivery.Compose, with the full sender block.
		c := delivery.Compose(sl.Message(l.ID, l.DeliveryID, delivery.Campaign{}, "", l.CreatedAt), delivery.FullSender)
		to := in.Lang.TG("lookup.title."+sl.Office.Title, sl.Office.Gender) + " " + sl.Office.Name
		parts = append(parts, in.Lang.T("act.mail.copy_letter", to, c.Subject, c.Text()))
	}
	if len(parts) == 0 {
		return "", "", Skip("no letters to copy")
	}
	camp, err := w.Store.Campaign(ctx, in.Sub.CampaignID)
	if err != nil {
		return "", "", err
	}
	body := in.Lang.T("act.mail.copy_body", in.Sealed.Form.FirstName, titleIn(camp, in.Lang)) + "\n\n" + strings.Join(parts, "\n\n")
	return in.Lang.T("act.mail.copy_subject"), body, nil
}

// optInEmail asks a supporter who ticked the box to confirm that they want
// to hear from the organization.
func (w *Worker) optInEmail(_ context.Context, in Input) (string, string, error) {
	if !in.Sealed.Form.OptIn {
		return "", "", Skip("the supporter did not ask to hear from the organization")
	}
	t := w.Links.Signer().Sign("optin", in.Sub.EmailIndex, in.Now.Add(OptInTTL))
	link := w.Links.URL("/optin", url.Values{"t": {t}, "lang": {string(in.Lang)}})
	return in.Lang.T("act.mail.optin_subject", w.OrgName), in.Lang.T("act.mail.optin_body", in.Sealed.Form.FirstName, w.OrgName, link), nil
}

// errDetail is the row's text for an error (adapters keep addresses out).
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

func (w *Worker) grace() time.Duration {
	if w.Grace > 0 {
		return w.Grace
	}
	return Grace
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
