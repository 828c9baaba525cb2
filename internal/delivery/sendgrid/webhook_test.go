package sendgrid

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/delivery"
)

// signer plays SendGrid: an ECDSA P-256 key whose public half is shown as
// base64 DER, signing SHA-256(timestamp || body) as a base64 ASN.1 DER
// signature.
type signer struct {
	priv   *ecdsa.PrivateKey
	pubB64 string
}

func newSigner(t *testing.T) signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return signer{priv: priv, pubB64: base64.StdEncoding.EncodeToString(der)}
}

func (s signer) sign(t *testing.T, ts string, body []byte) string {
	t.Helper()
	h := sha256.New()
	h.Write([]byte(ts))
	h.Write(body)
	sig, err := ecdsa.SignASN1(rand.Reader, s.priv, h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

const payload = `[
 {"email":"rep.smith@mail.house.example","timestamp":1750000000,"smtp-id":"<msg-1@ismtpd-1>","event":"processed",
  "category":["campaign-clean-water","letter"],"sg_event_id":"ev-processed-1","sg_message_id":"msg-1.filter0001.16648.5515E0B88.0",
  "letter_id":"4217"},
 {"email":"rep.smith@mail.house.example","timestamp":1750000060,"event":"delivered","category":"letter",
  "sg_event_id":"ev-delivered-1","sg_message_id":"msg-1.filter0001.16648.5515E0B88.0","response":"250 OK","letter_id":"4217","tls":1},
 {"email":"rep.jones@mail.house.example","timestamp":1750000070,"event":"bounce","type":"blocked",
  "reason":"550 5.7.1 rejected","status":"5.7.1","sg_event_id":"ev-bounce-1","sg_message_id":"msg-2.filter0002.1.2.0","letter_id":"99"},
 {"email":"ana@supporter.example","timestamp":1750000080,"event":"unsubscribe","category":"confirmation",
  "sg_event_id":"ev-unsub-1","sg_message_id":"msg-3.filter0003.1.2.0","asm_group_id":12},
 {"email":"x@y.example","timestamp":1750000090,"event":"deferred","attempt":"5","response":"400 try again later",
  "sg_event_id":"ev-deferred-1","sg_message_id":"msg-4.filter0004.1.2.0","unique_args":{"letter_id":"77"}}
]`

var webhookNow = time.Unix(1750000100, 0)

func TestVerifyAndParseValid(t *testing.T) {
	s := newSigner(t)
	v, err := NewVerifier(s.pubB64, 0)
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(webhookNow.Unix()-30, 10)
	events, err := v.VerifyAndParse(s.sign(t, ts, []byte(payload)), ts, []byte(payload), webhookNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 5 {
		t.Fatalf("got %d events", len(events))
	}
	p := events[0]
	if p.EventID != "ev-processed-1" || p.Event != "processed" || p.LetterID != 4217 ||
		p.MessageID != "msg-1.filter0001.16648.5515E0B88.0" || p.Email != "rep.smith@mail.house.example" ||
		!p.Timestamp.Equal(time.Unix(1750000000, 0)) || !slices.Equal(p.Category, []string{"campaign-clean-water", "letter"}) {
		t.Errorf("processed event = %+v", p)
	}
	if !p.HasProviderID("msg-1") || p.HasProviderID("msg-12") || p.HasProviderID("") {
		t.Error("HasProviderID does not match the X-Message-Id prefix")
	}
	if d := events[1]; d.Event != "delivered" || !slices.Equal(d.Category, []string{"letter"}) || d.LetterID != 4217 {
		t.Errorf("delivered event = %+v", d)
	}
	if b := events[2]; b.Event != "bounce" || b.Type != "blocked" || b.Reason != "550 5.7.1 rejected" || b.LetterID != 99 {
		t.Errorf("bounce event = %+v", b)
	}
	if u := events[3]; u.Event != "unsubscribe" || u.LetterID != 0 || !slices.Equal(u.Category, []string{"confirmation"}) {
		t.Errorf("unsubscribe event = %+v", u)
	}
	if d := events[4]; d.Event != "deferred" || d.LetterID != 77 || d.Category != nil {
		t.Errorf("deferred event = %+v", d)
	}
}

func TestVerifyAndParseRejects(t *testing.T) {
	s := newSigner(t)
	v, err := NewVerifier(s.pubB64, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(payload)
	fresh := strconv.FormatInt(webhookNow.Unix()-10, 10)
	other := newSigner(t)

	// Still valid JSON, only a letter id changed.
	altered := bytes.Replace(body, []byte(`"letter_id":"4217"`), []byte(`"letter_id":"4218"`), 1)

	stale := strconv.FormatInt(webhookNow.Add(-6*time.Minute).Unix(), 10)
	future := strconv.FormatInt(webhookNow.Add(6*time.Minute).Unix(), 10)
	malformed := []byte(`[{"event":"processed","sg_event_id":"e1"`)
	wrongShape := []byte(`{"event":"processed"}`)
	wrongType := []byte(`[{"event":"processed","category":{"a":1}}]`)

	cases := []struct {
		name    string
		sig, ts string
		body    []byte
		want    error
	}{
		{"forged signature", other.sign(t, fresh, body), fresh, body, ErrBadSignature},
		{"body altered", s.sign(t, fresh, body), fresh, altered, ErrBadSignature},
		{"timestamp swapped", s.sign(t, fresh, body), strconv.FormatInt(webhookNow.Unix()-11, 10), body, ErrBadSignature},
		{"signature not base64", "%%%", fresh, body, ErrBadSignature},
		{"signature not DER", base64.StdEncoding.EncodeToString([]byte("nope")), fresh, body, ErrBadSignature},
		{"missing signature", "", fresh, body, ErrBadSignature},
		{"missing timestamp", s.sign(t, fresh, body), "", body, ErrBadSignature},
		{"missing both", "", "", body, ErrBadSignature},
		{"stale", s.sign(t, stale, body), stale, body, ErrStale},
		{"future", s.sign(t, future, body), future, body, ErrStale},
		{"timestamp not a number", s.sign(t, "soon", body), "soon", body, ErrStale},
		{"malformed JSON", s.sign(t, fresh, malformed), fresh, malformed, ErrMalformed},
		{"not an array", s.sign(t, fresh, wrongShape), fresh, wrongShape, ErrMalformed},
		{"wrong field type", s.sign(t, fresh, wrongType), fresh, wrongType, ErrMalformed},
		{"trailing data", s.sign(t, fresh, append(slices.Clone(body), ']')), fresh, append(slices.Clone(body), ']'), ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			events, err := v.VerifyAndParse(tc.sig, tc.ts, tc.body, webhookNow)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if events != nil {
				t.Errorf("events returned with an error: %v", events)
			}
		})
	}
}

func TestVerifyWithinWindowEdges(t *testing.T) {
	s := newSigner(t)
	v, err := NewVerifier(s.pubB64, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`[]`)
	for _, off := range []time.Duration{-time.Minute, 0, time.Minute} {
		ts := strconv.FormatInt(webhookNow.Add(off).Unix(), 10)
		events, err := v.VerifyAndParse(s.sign(t, ts, body), ts, body, webhookNow)
		if err != nil || len(events) != 0 {
			t.Errorf("offset %s: %v, %v", off, events, err)
		}
	}
}

func TestNewVerifierKeys(t *testing.T) {
	s := newSigner(t)
	pem := "-----BEGIN PUBLIC KEY-----\n" + s.pubB64[:40] + "\n" + s.pubB64[40:] + "\n-----END PUBLIC KEY-----\n"
	if _, err := NewVerifier(pem, 0); err != nil {
		t.Errorf("PEM-armoured key: %v", err)
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	for name, key := range map[string]string{
		"empty":      "",
		"not base64": "!!!",
		"not DER":    base64.StdEncoding.EncodeToString([]byte("hello")),
		"RSA":        base64.StdEncoding.EncodeToString(rsaDER), // the helper alone would panic here
		"P-384":      base64.StdEncoding.EncodeToString(p384DER),
	} {
		if _, err := NewVerifier(key, 0); err == nil {
			t.Errorf("%s key accepted", name)
		}
	}
	if _, err := NewVerifier(s.pubB64, -time.Second); err == nil {
		t.Error("negative maxAge accepted")
	}
}

func TestStatusFor(t *testing.T) {
	for event, want := range map[string]string{
		"processed":         delivery.StatusSent,
		"delivered":         delivery.StatusDelivered,
		"bounce":            delivery.StatusBounced,
		"dropped":           delivery.StatusDropped,
		"deferred":          "",
		"spamreport":        "",
		"unsubscribe":       "",
		"group_unsubscribe": "",
		"open":              "",
		"click":             "",
		"something_new":     "",
	} {
		if got := StatusFor(event); got != want {
			t.Errorf("StatusFor(%q) = %q, want %q", event, got, want)
		}
	}
}
