package supportermail

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
	"github.com/outreach-org/outreach/internal/i18n"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
)

// OutboxStore keeps supporter emails in the outbox.
type OutboxStore interface {
	OutboxSupporterMail(ctx context.Context, id int64, attempts int, kind, emailIndex string, seal func(outboxID int64) (string, error)) (int64, error)
}

// OutboxMailer keeps supporter emails in the outbox (no provider
// configured), under the recipient's blind index (outbox.RecipientIndex:
// delete-my-data erases them). The copy is stored and the email marked
// sent in one transaction, so a crash never stores an email twice.
type OutboxMailer struct {
	Store OutboxStore
	Keys  *seal.Keys
}

// SendSupporterEmail stores m in the outbox (kind "supporter").
func (o OutboxMailer) SendSupporterEmail(ctx context.Context, m Outgoing) (string, error) {
	e := m.Email
	id, err := o.Store.OutboxSupporterMail(ctx, m.MailID, m.Attempt, "supporter", outbox.RecipientIndex(o.Keys, e.To), func(id int64) (string, error) {
		return o.Keys.SealJSON(outbox.Stored{Kind: "supporter", Email: &e}, delivery.OutboxAAD(id))
	})
	if err != nil {
		return "", delivery.Temporary(err, 0)
	}
	if id == 0 {
		return "", nil // recorded by another attempt; nothing stored
	}
	return "outbox-" + strconv.FormatInt(id, 10), nil
}

// SendGridMailer sends supporter emails through SendGrid. Each carries the
// custom arg mail_id, which SendGrid returns on its events: an email whose
// send ended without an answer is settled by them (store.SettleSupporterMail).
type SendGridMailer struct{ Client *sendgrid.Client }

// SendSupporterEmail sends m; categories "supporter" and its kind.
func (s SendGridMailer) SendSupporterEmail(ctx context.Context, m Outgoing) (string, error) {
	return s.Client.SendEmail(ctx, sendgrid.Email{To: m.Email.To, Subject: m.Email.Subject, Text: m.Email.Text, Headers: m.Email.Headers,
		Categories: []string{"supporter", m.Kind}, CustomArgs: map[string]string{MailIDArg: strconv.FormatInt(m.MailID, 10)}})
}

// MailIDArg is the SendGrid custom arg naming a supporter email.
const MailIDArg = "mail_id"

// LegacyArgs is the job an earlier version enqueued when a submission was
// confirmed: one job for the copy and the opt-in request. Jobs left in the
// queue at an upgrade are turned into one email row and job each.
type LegacyArgs struct {
	SubmissionID int64  `json:"submission_id" river:"unique"`
	Lang         string `json:"lang"`
}

// Kind names the job for River.
func (LegacyArgs) Kind() string { return "supporter_mail" }

// LegacyStore queues emails.
type LegacyStore interface {
	QueueSupporterMail(ctx context.Context, subID int64, kind, lang string, letterIDs []int64, detail string, now time.Time, enqueue store.MailEnqueue) (bool, error)
}

// LegacyWorker turns a LegacyArgs job into the copy and opt-in emails'
// rows and jobs. Its steps have the names the earlier job's resumable steps
// had, so a step that job completed (the email was sent) is not queued again.
type LegacyWorker struct {
	river.WorkerDefaults[LegacyArgs]
	Store LegacyStore
}

// Work queues the steps not done yet.
func (w *LegacyWorker) Work(ctx context.Context, job *river.Job[LegacyArgs]) error {
	client := river.ClientFromContext[*sql.Tx](ctx)
	if client == nil {
		return errors.New("no River client in the job's context")
	}
	lang := job.Args.Lang
	if _, ok := i18n.Parse(lang); !ok {
		lang = string(i18n.English)
	}
	queue := func(kind string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := w.Store.QueueSupporterMail(ctx, job.Args.SubmissionID, kind, lang, nil, "", time.Now(), Enqueue(client))
			return err
		}
	}
	river.ResumableStep(ctx, "copy", nil, queue(KindCopy))
	river.ResumableStep(ctx, "optin", nil, queue(KindOptIn))
	return nil
}
