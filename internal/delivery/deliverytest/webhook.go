package deliverytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// EventSigner signs Event Webhook posts the way SendGrid does: an ECDSA
// P-256 key, a base64 ASN.1 DER signature of SHA-256(timestamp + body) in
// X-Twilio-Email-Event-Webhook-Signature, and the unix-seconds timestamp
// in X-Twilio-Email-Event-Webhook-Timestamp.
type EventSigner struct {
	key *ecdsa.PrivateKey
}

// NewEventSigner makes a fresh key pair.
func NewEventSigner(t testing.TB) *EventSigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &EventSigner{key: k}
}

// PublicKey is the verification key as SendGrid's settings page shows it
// (base64 of the DER public key).
func (s *EventSigner) PublicKey(t testing.TB) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// Sign returns the signature and timestamp headers for body sent at ts.
func (s *EventSigner) Sign(t testing.TB, body []byte, ts time.Time) (signature, timestamp string) {
	t.Helper()
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	h := sha256.Sum256(append([]byte(timestamp), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig), timestamp
}

// Event is one Event Webhook event as SendGrid posts it. Custom args (our
// letter_id, mail_id) come back as top-level string fields.
type Event struct {
	Email       string   `json:"email"`
	Timestamp   int64    `json:"timestamp"`
	Event       string   `json:"event"`
	EventID     string   `json:"sg_event_id,omitempty"`
	MessageID   string   `json:"sg_message_id,omitempty"`
	SMTPID      string   `json:"smtp-id,omitempty"`
	Category    []string `json:"category,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	Status      string   `json:"status,omitempty"`
	Type        string   `json:"type,omitempty"`
	Response    string   `json:"response,omitempty"`
	LetterID    string   `json:"letter_id,omitempty"`
	MailID      string   `json:"mail_id,omitempty"` // a supporter email's
	Attempt     string   `json:"attempt,omitempty"`
	ASMGroupID  int      `json:"asm_group_id,omitempty"`
	UserAgent   string   `json:"useragent,omitempty"`
	IP          string   `json:"ip,omitempty"`
	TLS         int      `json:"tls,omitempty"`
	CertErr     int      `json:"cert_err,omitempty"`
	MachineOpen bool     `json:"sg_machine_open,omitempty"`
}

// Body encodes events as the JSON array SendGrid posts.
func Body(t testing.TB, events ...Event) []byte {
	t.Helper()
	b, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
