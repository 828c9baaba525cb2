package sendgrid

// SendGrid's signed Event Webhook.
//
// Sources (read for wire shapes; no code copied):
//   - Signed Event Webhook: SendGrid signs with an ECDSA P-256 key pair and
//     shows the public key (base64 DER) in the settings; each POST carries
//     X-Twilio-Email-Event-Webhook-Signature (base64 ASN.1 DER signature)
//     and X-Twilio-Email-Event-Webhook-Timestamp, and the signature covers
//     the timestamp followed by the raw body (SHA-256):
//     https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
//     and sendgrid-go helpers/eventwebhook, which does the verification.
//   - Event fields (email, timestamp in unix seconds, event, sg_event_id,
//     sg_message_id, reason, type "bounce"/"blocked" on bounces, category
//     as a string or an array):
//     https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event
//   - Custom args come back as top-level fields of each event:
//     https://www.twilio.com/docs/sendgrid/for-developers/sending-email/unique-arguments
//   - sg_message_id starts with the X-Message-Id the send returned, followed
//     by "." and a filter/host suffix; SendGrid suggests custom args to match
//     reliably (hence letter_id): github.com/sendgrid/sendgrid-nodejs issue
//     412 and github.com/sendgrid/sendgrid-csharp issue 1117.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"

	"github.com/outreach-org/outreach/internal/delivery"
)

// The Event Webhook's signature headers.
const (
	SignatureHeader = eventwebhook.VerificationHTTPHeader // X-Twilio-Email-Event-Webhook-Signature
	TimestampHeader = eventwebhook.TimestampHTTPHeader    // X-Twilio-Email-Event-Webhook-Timestamp
)

// DefaultMaxAge is how far a webhook timestamp may be from now.
const DefaultMaxAge = 5 * time.Minute

// VerifyAndParse's errors. A handler answers ErrBadSignature and ErrStale
// with 401/403 and ErrMalformed with 400, and logs none of the body.
var (
	ErrBadSignature = errors.New("sendgrid webhook: missing or invalid signature")
	ErrStale        = errors.New("sendgrid webhook: timestamp outside the allowed window")
	ErrMalformed    = errors.New("sendgrid webhook: malformed event payload")
)

// Event is one Event Webhook event. SendGrid delivers events at least
// once, so callers dedupe on EventID (sg_event_id).
type Event struct {
	EventID   string    // sg_event_id; empty if SendGrid left it out
	MessageID string    // sg_message_id as sent: "<X-Message-Id>.filter..."
	Event     string    // processed, delivered, deferred, bounce, dropped, open, click, spamreport, unsubscribe, group_unsubscribe, ...
	Timestamp time.Time // UTC
	LetterID  int64     // custom arg letter_id; 0 when absent or not a positive integer
	MailID    int64     // custom arg mail_id (a supporter email); 0 when absent or not a positive integer
	Email     string    // recipient address: personal data, do not log
	Reason    string    // bounce, dropped and deferred reason
	Type      string    // on bounces: "bounce" or "blocked"
	Category  []string
}

// ProviderID is the X-Message-Id of the send the event belongs to: the
// part of sg_message_id before its first dot.
func (e Event) ProviderID() string {
	id, _, _ := strings.Cut(strings.TrimSpace(e.MessageID), ".")
	return id
}

// HasProviderID reports whether the event belongs to the message whose
// send answered X-Message-Id id (the ProviderID of a Result).
func (e Event) HasProviderID(id string) bool {
	id = strings.TrimSpace(id)
	return id != "" && (e.MessageID == id || strings.HasPrefix(e.MessageID, id+"."))
}

// StatusFor maps an event name to the letter status it sets, or "" for
// events that are only recorded. For spamreport, unsubscribe and
// group_unsubscribe the caller also suppresses the address.
func StatusFor(event string) string {
	switch event {
	case "processed":
		return delivery.StatusSent
	case "delivered":
		return delivery.StatusDelivered
	case "bounce":
		return delivery.StatusBounced
	case "dropped":
		return delivery.StatusDropped
	}
	// deferred (SendGrid keeps retrying), spamreport, unsubscribe,
	// group_unsubscribe, open, click, and anything new.
	return ""
}

// Verifier checks and parses Event Webhook posts. Safe for concurrent use.
type Verifier struct {
	key    *ecdsa.PublicKey
	maxAge time.Duration
}

// NewVerifier takes the verification key as SendGrid shows it (base64 of
// the DER public key; PEM armour and white space are tolerated) and how far
// a timestamp may be from now (default 5 minutes).
func NewVerifier(publicKeyBase64 string, maxAge time.Duration) (*Verifier, error) {
	k := strings.TrimSpace(publicKeyBase64)
	k = strings.TrimPrefix(k, "-----BEGIN PUBLIC KEY-----")
	k = strings.TrimSuffix(k, "-----END PUBLIC KEY-----")
	k = strings.Join(strings.Fields(k), "")
	if k == "" {
		return nil, errors.New("sendgrid webhook: public key is empty")
	}
	// eventwebhook.ConvertPublicKeyBase64ToECDSA asserts *ecdsa.PublicKey
	// without checking and so panics on any other key type: check the key
	// first, then let the helper build it.
	der, err := base64.StdEncoding.DecodeString(k)
	if err != nil {
		return nil, errors.New("sendgrid webhook: public key is not base64")
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("sendgrid webhook: public key is not a DER public key")
	}
	if ek, ok := pub.(*ecdsa.PublicKey); !ok || ek.Curve != elliptic.P256() {
		return nil, errors.New("sendgrid webhook: public key is not an ECDSA P-256 key")
	}
	key, err := eventwebhook.ConvertPublicKeyBase64ToECDSA(k)
	if err != nil {
		return nil, fmt.Errorf("sendgrid webhook: public key: %w", err)
	}
	if maxAge < 0 {
		return nil, errors.New("sendgrid webhook: maxAge must not be negative")
	}
	if maxAge == 0 {
		maxAge = DefaultMaxAge
	}
	return &Verifier{key: key, maxAge: maxAge}, nil
}

// VerifyAndParse checks the signature over timestamp+body first, then
// that the timestamp is within maxAge of now (either way), and only then
// parses body. body must be the raw request body, unmodified. Errors wrap
// ErrBadSignature, ErrStale or ErrMalformed.
func (v *Verifier) VerifyAndParse(signatureHeader, timestampHeader string, body []byte, now time.Time) ([]Event, error) {
	sig := strings.TrimSpace(signatureHeader)
	ts := strings.TrimSpace(timestampHeader)
	if sig == "" || ts == "" {
		return nil, fmt.Errorf("%w: missing %s or %s", ErrBadSignature, SignatureHeader, TimestampHeader)
	}
	ok, err := eventwebhook.VerifySignature(v.key, body, sig, ts)
	if err != nil || !ok {
		return nil, ErrBadSignature
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: unreadable timestamp", ErrStale)
	}
	if age := now.Sub(time.Unix(secs, 0)); age > v.maxAge || age < -v.maxAge {
		return nil, fmt.Errorf("%w: %s old", ErrStale, age.Round(time.Second))
	}
	return parseEvents(body)
}

// parseEvents decodes a verified body: a JSON array of event objects.
func parseEvents(body []byte) ([]Event, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw []map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the event array", ErrMalformed)
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: not an event array", ErrMalformed)
	}
	events := make([]Event, 0, len(raw))
	for i, r := range raw {
		if r == nil {
			return nil, fmt.Errorf("%w: event %d is not an object", ErrMalformed, i)
		}
		e, err := parseEvent(r)
		if err != nil {
			return nil, fmt.Errorf("%w: event %d: %v", ErrMalformed, i, err)
		}
		events = append(events, e)
	}
	return events, nil
}

func parseEvent(r map[string]json.RawMessage) (Event, error) {
	var e Event
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"sg_event_id", &e.EventID},
		{"sg_message_id", &e.MessageID},
		{"event", &e.Event},
		{"email", &e.Email},
		{"reason", &e.Reason},
		{"type", &e.Type},
	} {
		if err := optString(r[f.name], f.dst); err != nil {
			return Event{}, fmt.Errorf("%s: %v", f.name, err)
		}
	}
	if e.Event == "" {
		return Event{}, errors.New("event name missing")
	}
	ts, err := unixSeconds(r["timestamp"])
	if err != nil {
		return Event{}, fmt.Errorf("timestamp: %v", err)
	}
	e.Timestamp = ts
	if e.Category, err = categories(r["category"]); err != nil {
		return Event{}, fmt.Errorf("category: %v", err)
	}
	e.LetterID = customID(r, "letter_id")
	e.MailID = customID(r, "mail_id")
	return e, nil
}

func isNull(m json.RawMessage) bool {
	return len(m) == 0 || string(bytes.TrimSpace(m)) == "null"
}

func optString(m json.RawMessage, dst *string) error {
	if isNull(m) {
		return nil
	}
	return json.Unmarshal(m, dst)
}

// unixSeconds reads a number (or digits in a string) of unix seconds.
func unixSeconds(m json.RawMessage) (time.Time, error) {
	if isNull(m) {
		return time.Time{}, nil
	}
	var n json.Number
	if err := json.Unmarshal(m, &n); err != nil {
		return time.Time{}, err
	}
	if i, err := n.Int64(); err == nil {
		return time.Unix(i, 0).UTC(), nil
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, err
	}
	sec, frac := int64(f), f-float64(int64(f))
	return time.Unix(sec, int64(frac*1e9)).UTC(), nil
}

// categories accepts "x", ["x", "y"] or null.
func categories(m json.RawMessage) ([]string, error) {
	if isNull(m) {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(m, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(m, &many); err != nil {
		return nil, errors.New("neither a string nor an array of strings")
	}
	return many, nil
}

// customID reads one of our id custom args (letter_id, mail_id): at the
// top level of the event, where SendGrid puts custom args, or in a nested
// unique_args/custom_args object. It accepts a string or a number;
// anything else gives 0.
func customID(r map[string]json.RawMessage, name string) int64 {
	if id := positiveInt(r[name]); id > 0 {
		return id
	}
	for _, k := range []string{"unique_args", "custom_args"} {
		var nested map[string]json.RawMessage
		if m := r[k]; !isNull(m) && json.Unmarshal(m, &nested) == nil {
			if id := positiveInt(nested[name]); id > 0 {
				return id
			}
		}
	}
	return 0
}

func positiveInt(m json.RawMessage) int64 {
	if isNull(m) {
		return 0
	}
	var s string
	if json.Unmarshal(m, &s) != nil {
		var n json.Number
		if json.Unmarshal(m, &n) != nil {
			return 0
		}
		s = n.String()
	}
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}
