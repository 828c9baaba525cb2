// Package supportermail sends the emails a supporter gets once their
// letters are confirmed: a copy of the letters, and the separate opt-in
// request when they asked to hear from the organization. Both go out from
// one River job that the confirmation enqueues in its own transaction
// (store.Confirmation.Jobs): the confirmation page answers without
// waiting for the mail channel, and the emails go out if and only if the
// letters exist. The job carries ids only; the worker reopens the sealed
// submission and letters. Compose adds the footer every supporter email
// carries.
package supportermail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
)

// Queue is the River queue of supporter emails.
const Queue = "supporter_mail"

// OptInTTL is how long the opt-in link works.
const OptInTTL = 7 * 24 * time.Hour

// Mailer sends email to supporters: the outbox by default, SendGrid when
// configured.
type Mailer interface {
	SendEmail(ctx context.Context, kind string, e delivery.Email) error
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

// Compose builds one supporter email with the footer every supporter
// email carries: an unsubscribe link, a delete-my-data link, and RFC 8058
// one-click unsubscribe headers.
func Compose(l Links, org string, lang i18n.Lang, to, emailIdx, subject, body string) delivery.Email {
	sg := l.Signer()
	unsub := l.URL("/u", url.Values{"t": {sg.Sign("unsub", emailIdx, time.Time{})}, "lang": {string(lang)}})
	forget := l.URL("/forget", url.Values{"t": {sg.Sign("forget", emailIdx, time.Time{})}, "lang": {string(lang)}})
	return delivery.Email{
		To: to, Subject: subject, Text: body + "\n\n-- \n" + lang.T("act.mail.footer", org, unsub, forget),
		Headers: map[string]string{"List-Unsubscribe": "<" + unsub + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
	}
}

// Args is the job of one confirmed submission: ids only, never personal
// data. Lang is the language of the page the supporter confirmed on.
type Args struct {
	SubmissionID int64  `json:"submission_id" river:"unique"`
	Lang         string `json:"lang"`
}

// Kind names the job for River.
func (Args) Kind() string { return "supporter_mail" }

// InsertOpts: one job per submission, ever (unique by submission id in
// every state, completed included).
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// JobParams is the job of a confirmed submission, for the confirmation's
// transaction (inserted there with the letters' delivery jobs, in one
// statement).
func JobParams(submissionID int64, lang string) river.InsertManyParams {
	return river.InsertManyParams{Args: Args{SubmissionID: submissionID, Lang: lang}}
}

// Store is what the worker reads.
type Store interface {
	SubmissionByID(ctx context.Context, id int64) (store.Submission, error)
	SubmissionLetters(ctx context.Context, submissionID int64) ([]store.Letter, error)
	Campaign(ctx context.Context, id int64) (campaign.Campaign, error)
	IsSuppressed(ctx context.Context, emailIndex string) (bool, error)
}

// Worker sends a confirmed submission's emails.
type Worker struct {
	river.WorkerDefaults[Args]
	Store   Store
	Mailer  Mailer
	Links   Links
	OrgName string
	Now     func() time.Time // time.Now when nil
	Log     *slog.Logger     // discarded when nil
}

// Mail is what a confirmed submission gets: nil is nothing.
type Mail struct {
	Copy  *delivery.Email // a copy of the letters
	OptIn *delivery.Email // the opt-in request
}

// Work sends the copy, then the opt-in request. Each is a resumable
// step: when the second fails after the first was sent, the retry sends
// only the second. Nothing is sent for an erased submission or a
// suppressed address.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	m, err := w.Emails(ctx, job.Args.SubmissionID, job.Args.Lang)
	if err != nil {
		return err
	}
	// Both steps always run (an empty one does nothing): a retry finds the
	// step an earlier attempt completed.
	river.ResumableStep(ctx, "copy", nil, func(ctx context.Context) error { return w.send(ctx, m.Copy) })
	river.ResumableStep(ctx, "optin", nil, func(ctx context.Context) error { return w.send(ctx, m.OptIn) })
	return nil
}

func (w *Worker) send(ctx context.Context, e *delivery.Email) error {
	if e == nil {
		return nil
	}
	if w.Mailer == nil {
		return errors.New("no mailer configured")
	}
	return w.Mailer.SendEmail(ctx, "supporter", *e)
}

// Emails builds the emails of a confirmed submission, exactly as the
// confirmation page promised them: the copy of every letter it created,
// and the opt-in request when the supporter ticked the box. An erased
// submission or a suppressed address gets nothing.
func (w *Worker) Emails(ctx context.Context, submissionID int64, langCode string) (Mail, error) {
	sub, err := w.Store.SubmissionByID(ctx, submissionID)
	if errors.Is(err, store.ErrNotFound) {
		return Mail{}, river.JobCancel(err)
	}
	if err != nil {
		return Mail{}, err
	}
	if sub.Status == "erased" || sub.Sealed == "" {
		w.log().Info("supporter email skipped: data erased", "submission", sub.ID)
		return Mail{}, nil
	}
	if sup, err := w.Store.IsSuppressed(ctx, sub.EmailIndex); err != nil {
		return Mail{}, err
	} else if sup {
		w.log().Info("supporter email skipped: address suppressed", "submission", sub.ID)
		return Mail{}, nil
	}
	var ss action.Sealed
	if err := w.Links.Keys.OpenJSON(sub.Sealed, action.SubmissionAAD(sub.ID), &ss); err != nil {
		return Mail{}, river.JobCancel(fmt.Errorf("open submission %d: %w", sub.ID, err))
	}
	lang, ok := i18n.Parse(langCode)
	if !ok {
		lang = i18n.English
	}
	var m Mail
	letters, err := w.Store.SubmissionLetters(ctx, sub.ID)
	if err != nil {
		return Mail{}, err
	}
	var parts []string
	for _, l := range letters {
		if l.Sealed == "" {
			continue // erased
		}
		var sl delivery.Sealed
		if err := w.Links.Keys.OpenJSON(l.Sealed, delivery.LetterAAD(l.ID), &sl); err != nil {
			return Mail{}, river.JobCancel(fmt.Errorf("open letter %d: %w", l.ID, err))
		}
		to := lang.T("lookup.title."+sl.Office.Title) + " " + sl.Office.Name
		parts = append(parts, lang.T("act.mail.copy_letter", to, sl.Subject, sl.Body))
	}
	if len(parts) > 0 {
		camp, err := w.Store.Campaign(ctx, sub.CampaignID)
		if err != nil {
			return Mail{}, err
		}
		body := lang.T("act.mail.copy_body", ss.Form.FirstName, camp.Title) + "\n\n" + strings.Join(parts, "\n\n")
		e := Compose(w.Links, w.OrgName, lang, ss.Form.Email, sub.EmailIndex, lang.T("act.mail.copy_subject"), body)
		m.Copy = &e
	}
	if ss.Form.OptIn {
		t := w.Links.Signer().Sign("optin", sub.EmailIndex, w.now().Add(OptInTTL))
		link := w.Links.URL("/optin", url.Values{"t": {t}, "lang": {string(lang)}})
		e := Compose(w.Links, w.OrgName, lang, ss.Form.Email, sub.EmailIndex, lang.T("act.mail.optin_subject", w.OrgName),
			lang.T("act.mail.optin_body", ss.Form.FirstName, w.OrgName, link))
		m.OptIn = &e
	}
	return m, nil
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
