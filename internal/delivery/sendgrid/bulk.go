package sendgrid

import (
	"context"
	"strings"

	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"
)

// Limits of one Mail Send request with personalizations (SendGrid's Mail
// Send reference and its errors page, read for these figures, no code
// copied: https://www.twilio.com/docs/sendgrid/api-reference/mail-send and
// https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors):
// at most 1,000 personalizations and 1,000 recipients (to + cc + bcc) per
// request, each address at most once in a request, and the substitutions
// of one personalization at most 10,000 bytes together (the substitution
// tags page says 50,000; the stricter figure is kept).
const (
	MaxPersonalizations  = 1000
	MaxSubstitutionBytes = 10000
)

// Bulk is one message to many supporters in one request: the content is
// shared, and each recipient's personalization carries its own subject,
// headers (List-Unsubscribe) and substitutions (SendGrid replaces each
// substitution key found in the content by the recipient's value).
type Bulk struct {
	Text       string // text/plain content, with substitution keys
	Categories []string
	// CustomArgs come back on every event of every recipient: ids only.
	CustomArgs map[string]string
	Recipients []BulkRecipient
}

// BulkRecipient is one personalization.
type BulkRecipient struct {
	To, ToName    string
	Subject       string
	Headers       map[string]string
	Substitutions map[string]string
}

// SendBulk sends b in one request and returns SendGrid's X-Message-Id.
// SendGrid takes or refuses the request as a whole, so errors are mapped
// as for Send and concern every recipient. Recipients must be valid,
// distinct addresses (check them with ValidAddress first: one bad address
// makes SendGrid refuse the whole request).
func (c *Client) SendBulk(ctx context.Context, b Bulk) (string, error) {
	switch n := len(b.Recipients); {
	case n == 0:
		return "", permanentInput("no recipients")
	case n > MaxPersonalizations:
		return "", permanentInput("more than 1000 recipients in one request")
	}
	if strings.TrimSpace(b.Text) == "" {
		return "", permanentInput("email has no content")
	}
	msg := sgmail.NewV3Mail()
	msg.SetFrom(sgmail.NewEmail(c.fromName, c.from))
	msg.AddContent(sgmail.NewContent("text/plain", b.Text))
	for _, cat := range b.Categories {
		if cat = cleanLine(cat); cat == "" {
			return "", permanentInput("empty category")
		}
		msg.AddCategories(cat)
	}
	for k, v := range b.CustomArgs {
		if strings.TrimSpace(k) == "" {
			return "", permanentInput("empty custom arg name")
		}
		msg.SetCustomArg(k, v)
	}
	seen := make(map[string]bool, len(b.Recipients))
	msg.Personalizations = make([]*sgmail.Personalization, 0, len(b.Recipients))
	for _, r := range b.Recipients {
		to, err := plainAddress(r.To)
		if err != nil {
			return "", permanentInput("recipient address is not usable")
		}
		if key := strings.ToLower(to); seen[key] {
			return "", permanentInput("an address appears twice in one request")
		} else {
			seen[key] = true
		}
		subject := cleanLine(r.Subject)
		if subject == "" {
			return "", permanentInput("subject is empty")
		}
		size := 0
		for k, v := range r.Substitutions {
			size += len(k) + len(v)
		}
		if size > MaxSubstitutionBytes {
			return "", permanentInput("a recipient's substitutions exceed 10,000 bytes")
		}
		for k, v := range r.Headers {
			if !isToken(k) {
				return "", permanentInput("invalid header name")
			}
			if strings.ContainsFunc(v, isLineBreakOrNUL) {
				return "", permanentInput("header value must be one line")
			}
		}
		p := &sgmail.Personalization{To: []*sgmail.Email{{Name: cleanLine(r.ToName), Address: to}}, Subject: subject,
			Headers: r.Headers, Substitutions: r.Substitutions}
		msg.Personalizations = append(msg.Personalizations, p)
	}
	id, _, err := c.send(ctx, msg)
	return id, err
}

// ValidAddress tells whether SendGrid would take s as a recipient.
func ValidAddress(s string) bool {
	a, err := plainAddress(s)
	return err == nil && a == strings.TrimSpace(s)
}
