package delivery

import (
	"crypto/rand"
	"encoding/base32"
	"strconv"
	"strings"
	"time"
)

// Sealed is what a stored letter keeps encrypted: the parts of its text
// as the supporter reviewed them (see Message) and the constituent. The
// seal package encrypts it with the letter's row as AAD. (Letters stored
// before the salutation and citation parts existed have none; their
// "constituent_message", the supporter's paragraph alone, is in their
// body already and is no longer read.)
type Sealed struct {
	Subject               string      `json:"subject"`
	Salutation            string      `json:"salutation,omitempty"`
	Body                  string      `json:"body"`
	Citation              string      `json:"citation,omitempty"`
	OrganizationStatement string      `json:"organization_statement,omitempty"`
	Organization          string      `json:"organization,omitempty"`
	From                  Constituent `json:"from"`
	Office                Office      `json:"office"`
}

// Message is the letter ready for a channel: the sealed parts with the
// letter's row (ids, reply token, date) and campaign.
func (s Sealed) Message(letterID int64, deliveryID string, camp Campaign, replyTo string, created time.Time) Message {
	return Message{LetterID: letterID, DeliveryID: deliveryID, Campaign: camp, Office: s.Office, From: s.From,
		Subject: s.Subject, Salutation: s.Salutation, Body: s.Body, Citation: s.Citation,
		OrganizationStatement: s.OrganizationStatement, Organization: s.Organization, ReplyTo: replyTo, CreatedAt: created}
}

// Sealed is the stored form of m's letter.
func (m Message) Sealed() Sealed {
	return Sealed{Subject: m.Subject, Salutation: m.Salutation, Body: m.Body, Citation: m.Citation,
		OrganizationStatement: m.OrganizationStatement, Organization: m.Organization, From: m.From, Office: m.Office}
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
