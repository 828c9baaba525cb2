package action

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Links in emails carry signed tokens: purpose, a value (a submission id or
// an email's blind index) and an expiry, with an HMAC. Single use is the
// job of the state they act on (a confirmed submission stays confirmed).

// ErrBadToken and ErrExpiredToken are what a forged or old link gets.
var (
	ErrBadToken     = errors.New("this link is not valid")
	ErrExpiredToken = errors.New("this link has expired")
)

// MAC computes a keyed hash (seal.Keys.Index fits).
type MAC func(kind, value string) string

// Signer signs and verifies tokens.
type Signer struct{ mac MAC }

// NewSigner returns a signer using mac.
func NewSigner(mac MAC) Signer { return Signer{mac: mac} }

// Sign returns a token for purpose and value valid until exp (zero: no
// expiry).
func (s Signer) Sign(purpose, value string, exp time.Time) string {
	var expS string
	if !exp.IsZero() {
		expS = strconv.FormatInt(exp.Unix(), 36)
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(value)) + "." + expS
	return payload + "." + s.mac("token:"+purpose, payload)[:32]
}

// Verify checks a token for purpose and returns its value.
func (s Signer) Verify(purpose, token string, now time.Time) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(token) > 512 {
		return "", ErrBadToken
	}
	payload := parts[0] + "." + parts[1]
	want := s.mac("token:"+purpose, payload)[:32]
	if subtle.ConstantTimeCompare([]byte(want), []byte(parts[2])) != 1 {
		return "", ErrBadToken
	}
	if parts[1] != "" {
		exp, err := strconv.ParseInt(parts[1], 36, 64)
		if err != nil {
			return "", ErrBadToken
		}
		if now.Unix() > exp {
			return "", ErrExpiredToken
		}
	}
	v, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "", ErrBadToken
	}
	return string(v), nil
}

// tokenRE matches a signed token as Sign writes it: a base64url value, an
// optional base-36 expiry, and 32 hex digits of HMAC.
var tokenRE = regexp.MustCompile(`[A-Za-z0-9_-]*\.[0-9a-z]*\.[0-9a-f]{32}`)

// RemovedToken is what RedactTokens leaves where a token was.
const RemovedToken = "REMOVED"

// RedactTokens removes every signed token from text (an email shown to
// staff): its links (confirm, unsubscribe, delete my data, opt-in,
// survey) keep their address but no longer work.
func RedactTokens(text string) string {
	return tokenRE.ReplaceAllString(text, RemovedToken)
}
