package mailing

import (
	"context"
	"strconv"
	"strings"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/sendgrid"
)

// Outbox keeps emails in the outbox (kind "mailing") when no provider is
// configured: the development default, where every email is a row to
// read; SendGrid's bulk requests are what production sends.
type Outbox interface {
	SendEmail(ctx context.Context, kind string, e delivery.Email) (int64, error)
}

// OutboxSender is a Sender that expands a bulk email into its recipients'
// emails, as SendGrid would, and stores each in the outbox.
type OutboxSender struct{ Outbox Outbox }

// SendBulk stores one email per recipient.
func (o OutboxSender) SendBulk(ctx context.Context, b sendgrid.Bulk) (string, error) {
	var first int64
	for _, e := range Expand(b) {
		id, err := o.Outbox.SendEmail(ctx, "mailing", e)
		if err != nil {
			// Some of the batch may be stored: its outcome is unknown.
			return "", delivery.Temporary(delivery.ErrOutcomeUnknown, 0)
		}
		if first == 0 {
			first = id
		}
	}
	return "outbox-" + strconv.FormatInt(first, 10), nil
}

// Expand is each recipient's email of a bulk request: the substitutions
// applied once, in one pass over the content (as SendGrid does).
func Expand(b sendgrid.Bulk) []delivery.Email {
	out := make([]delivery.Email, 0, len(b.Recipients))
	for _, r := range b.Recipients {
		pairs := make([]string, 0, 2*len(r.Substitutions))
		for k, v := range r.Substitutions {
			pairs = append(pairs, k, v)
		}
		rep := strings.NewReplacer(pairs...)
		out = append(out, delivery.Email{To: r.To, Subject: rep.Replace(r.Subject), Text: rep.Replace(b.Text), Headers: r.Headers})
	}
	return out
}
