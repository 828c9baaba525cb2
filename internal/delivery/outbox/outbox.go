// Package outbox is the delivery channel used when no provider is
// configured: it stores each message, sealed, for staff to read at
// /admin/outbox and through the API. It reaches no office, so it is the
// safe default for a new install and for demonstrations.
package outbox

import (
	"context"
	"strconv"
	"strings"

	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/seal"
)

// Store is where the outbox keeps messages.
type Store interface {
	PutOutboxLetter(ctx context.Context, letterID int64, seal func(id int64) (string, error)) (int64, error)
	AddOutbox(ctx context.Context, kind, emailIndex string, seal func(id int64) (string, error)) (int64, error)
}

// Name is the outbox channel.
const Name delivery.Channel = "outbox"

// ChannelInfo describes the channel for the registry.
func ChannelInfo() delivery.ChannelInfo {
	return delivery.ChannelInfo{Name: Name, Summary: "stores letters for staff to read at /admin/outbox; where letters go when no channel that reaches offices is configured"}
}

// Sender stores letters instead of sending them.
type Sender struct {
	store Store
	keys  *seal.Keys
}

// New returns the outbox channel.
func New(st Store, keys *seal.Keys) *Sender { return &Sender{store: st, keys: keys} }

// Channel is Name.
func (s *Sender) Channel() delivery.Channel { return Name }

// Paced is false: the outbox reaches no office, so neither office hours
// nor caps nor rates apply.
func (s *Sender) Paced() bool { return false }

// ReachesOffices is false: a stored letter reaches nobody.
func (s *Sender) ReachesOffices() bool { return false }

// Accepts every office.
func (s *Sender) Accepts(context.Context, delivery.Office) bool { return true }

// Send stores the message with its text as an office would read it by
// email (delivery.Compose with the full sender block: the same text the
// review page showed); sending the same letter again returns the message
// stored the first time, so a retry after a crash adds nothing.
func (s *Sender) Send(ctx context.Context, m delivery.Message) (delivery.Result, error) {
	text := delivery.Compose(m, delivery.FullSender).Text()
	id, err := s.store.PutOutboxLetter(ctx, m.LetterID, func(id int64) (string, error) {
		return s.keys.SealJSON(Stored{Kind: "letter", Letter: &m, Text: text}, delivery.OutboxAAD(id))
	})
	if err != nil {
		return delivery.Result{}, delivery.Temporary(err, 0)
	}
	return delivery.Result{ProviderID: "outbox-" + strconv.FormatInt(id, 10), Detail: "stored in the outbox", Kept: true}, nil
}

// Stored is the sealed content of an outbox row.
type Stored struct {
	Kind   string            `json:"kind"` // letter, supporter, staff
	Letter *delivery.Message `json:"letter,omitempty"`
	// Text is a letter's delivered text (LetterText reads it).
	Text  string          `json:"text,omitempty"`
	Email *delivery.Email `json:"email,omitempty"`
}

// LetterText is the delivered text of a stored letter: as stored, or, for
// a row stored before the text was kept, composed from its parts.
func (st Stored) LetterText() string {
	if st.Text != "" || st.Letter == nil {
		return st.Text
	}
	return delivery.Compose(*st.Letter, delivery.FullSender).Text()
}

// SendEmail stores an email in the outbox, under the blind index of its
// recipient (RecipientIndex), so that delete-my-data finds it.
func (s *Sender) SendEmail(ctx context.Context, kind string, e delivery.Email) (int64, error) {
	return s.store.AddOutbox(ctx, kind, RecipientIndex(s.keys, e.To), func(id int64) (string, error) {
		return s.keys.SealJSON(Stored{Kind: kind, Email: &e}, delivery.OutboxAAD(id))
	})
}

// RecipientIndex is the blind index of an email's recipient, as the
// supporter's form computes it (lower case, trimmed): the same address
// gives the same index as the supporter's submissions.
func RecipientIndex(keys *seal.Keys, to string) string {
	return keys.Index("email", strings.ToLower(strings.TrimSpace(to)))
}

// Open decrypts a stored outbox row.
func Open(keys *seal.Keys, id int64, sealed string) (Stored, error) {
	var st Stored
	err := keys.OpenJSON(sealed, delivery.OutboxAAD(id), &st)
	return st, err
}
