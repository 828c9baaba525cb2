package sendgrid

// SendGrid Inbound Parse: mail sent to the parse domain is posted to a URL
// as multipart/form-data with the fields to, cc, from, subject, text, html
// and envelope (JSON: {"to": [...], "from": "..."}), and attachments as
// file parts:
// https://www.twilio.com/docs/sendgrid/for-developers/parsing-email/inbound-email

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
)

// InboundMail is what outreach reads of an Inbound Parse post. Attachments
// are read and thrown away, never kept.
type InboundMail struct {
	To, CC, From, Subject string
	Text, HTML            string
	EnvelopeTo            []string // the envelope's recipients
}

// ErrNotMultipart is an Inbound Parse post that is not multipart/form-data.
var ErrNotMultipart = errors.New("sendgrid inbound: expected multipart/form-data")

// maxInboundField bounds each text field (the whole post is bounded by the
// caller, with http.MaxBytesReader).
const maxInboundField = 1 << 20

// ParseInbound reads an Inbound Parse post. Each text field is kept up to
// 1 MB. Errors: ErrNotMultipart, an *http.MaxBytesError from the caller's
// body limit (wrapped), or a malformed body.
func ParseInbound(r *http.Request) (InboundMail, error) {
	var m InboundMail
	mr, err := r.MultipartReader()
	if err != nil {
		return m, ErrNotMultipart
	}
	fields := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, fmt.Errorf("sendgrid inbound: %w", err)
		}
		if err := readPart(p, fields); err != nil {
			return m, fmt.Errorf("sendgrid inbound: %w", err)
		}
	}
	m = InboundMail{To: fields["to"], CC: fields["cc"], From: fields["from"], Subject: fields["subject"], Text: fields["text"], HTML: fields["html"]}
	var env struct {
		To []string `json:"to"`
	}
	if e := fields["envelope"]; e != "" {
		_ = json.Unmarshal([]byte(e), &env) // a bad envelope leaves the to and cc fields
	}
	m.EnvelopeTo = env.To
	return m, nil
}

// readPart keeps the text fields (each at most maxInboundField) and reads
// attachments and unknown fields to nowhere.
func readPart(p *multipart.Part, fields map[string]string) error {
	defer p.Close()
	name := p.FormName()
	if p.FileName() != "" {
		_, err := io.Copy(io.Discard, p)
		return err
	}
	switch name {
	case "to", "cc", "from", "subject", "text", "html", "envelope":
		b, err := io.ReadAll(io.LimitReader(p, maxInboundField+1))
		if err != nil {
			return err
		}
		if len(b) > maxInboundField {
			b = b[:maxInboundField]
			if _, err := io.Copy(io.Discard, p); err != nil {
				return err
			}
		}
		fields[name] = string(b)
		return nil
	}
	_, err := io.Copy(io.Discard, p)
	return err
}

var replyTokenRe = regexp.MustCompile(`(?i)reply\+([a-z2-7]{8,64})@`)

// ReplyToken is the token of the first reply+TOKEN@ address the mail was
// sent to (envelope first, then To and Cc), lower-cased; "" when none.
func (m InboundMail) ReplyToken() string {
	for _, cand := range append(append([]string(nil), m.EnvelopeTo...), m.To, m.CC) {
		if t := replyTokenRe.FindStringSubmatch(cand); t != nil {
			return strings.ToLower(t[1])
		}
	}
	return ""
}
