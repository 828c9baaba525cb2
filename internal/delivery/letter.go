package delivery

import (
	"crypto/rand"
	"encoding/base32"
	"strconv"
	"strings"
)

// Sealed is what a stored letter keeps encrypted: its text and the
// constituent. The seal package encrypts it with the letter's row as AAD.
type Sealed struct {
	Subject               string      `json:"subject"`
	Body                  string      `json:"body"`
	OrganizationStatement string      `json:"organization_statement,omitempty"`
	ConstituentMessage    string      `json:"constituent_message,omitempty"`
	From                  Constituent `json:"from"`
	Office                Office      `json:"office"`
}

// LetterAAD binds a letter's ciphertext to its row.
func LetterAAD(id int64) string { return "letter:" + itoa(id) }

// OutboxAAD binds an outbox message's ciphertext to its row.
func OutboxAAD(id int64) string { return "outbox:" + itoa(id) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewDeliveryID returns 32 random alphanumerics (CWC's DeliveryId).
func NewDeliveryID() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b32.EncodeToString(b)[:32]
}

// NewReplyToken returns a token for the per-letter reply address
// (reply+TOKEN@domain): lower case, so mail systems keep it intact.
func NewReplyToken() string {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return strings.ToLower(b32.EncodeToString(b))
}
