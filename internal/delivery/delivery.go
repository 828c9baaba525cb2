// Package delivery is the port between outreach and the channels that
// reach congressional offices: what a letter is (Message, Office,
// Constituent), what a channel does with it (Sender, and the optional
// capabilities in capability.go), how it fails (TemporaryError,
// PermanentError), the letter statuses, the sealed form of a stored
// letter, the supporter Email, and the Registry of channel names.
//
// It is a leaf: no database, no job queue. Each channel is an adapter in
// a sub-package (cwc, sendgrid, packet, outbox) that imports only this
// package; internal/dispatch is the worker that takes letters from the
// store to a Sender, and main builds the Registry from the adapters.
package delivery

import (
	"context"
	"errors"
	"time"
)

// Channel names a way of reaching an office. Each adapter declares its
// own (cwc.Name, sendgrid.Name, ...); a Registry lists the ones a build has.
type Channel string

// Office is the congressional office a letter goes to.
type Office struct {
	BioguideID string
	Name       string // "Nancy Pelosi"
	Title      string // "Representative", "Senator", "Delegate", "Resident Commissioner"
	Gender     string `json:",omitempty"` // "F", "M" or "" (congress.Member.Gender): the Spanish title's form
	Chamber    string // "house" or "senate"
	State      string
	District   *int   // nil for senators
	Code       string // CWC office code: "HCA11", "HAK00"; senators "S" + state + 2 digits
	Email      string // a published email address, if the office has one
}

// Constituent is the supporter as Congress needs them. It is personal
// data: never log it or put it in job payloads.
type Constituent struct {
	Prefix     string // CWC list: Mr., Mrs., Ms., Mx., Dr., ...
	FirstName  string
	MiddleName string
	LastName   string
	Suffix     string
	Address1   string
	Address2   string
	City       string
	State      string
	ZIP        string
	Phone      string // xxx-xxx-xxxx or empty
	Email      string
}

// Campaign is what a channel needs to know about the campaign.
type Campaign struct {
	ID       int64
	Slug     string
	Title    string
	LOCTopic string // Library of Congress policy area, for CWC
	// Demo: the demonstration campaign, whose letters only ever go to the
	// outbox (the dispatch worker sees to it).
	Demo bool
	// Organizational: a sign-on letter from organizations, which no
	// ConstituentOnly channel (CWC) carries.
	Organizational bool
}

// Message is one letter ready to send.
type Message struct {
	LetterID   int64
	DeliveryID string // 32 alphanumerics, stable across retries (CWC DeliveryId)
	Campaign   Campaign
	Office     Office
	From       Constituent
	// The parts of the letter as rendered when the supporter reviewed it.
	// Channels never assemble them themselves: Compose makes the one
	// delivered form (Composed) that the review page showed.
	Subject string
	// Salutation is the greeting when the template prints none ("" when
	// the template's own {{.salutation}} is in Body).
	Salutation string
	// Body is the campaign template rendered for this supporter and
	// office, their own paragraph where the template puts it.
	Body string
	// Citation is the figures citation line ("" for none).
	Citation string
	// OrganizationStatement is the campaign's organization statement,
	// rendered; Organization is the name it is signed with.
	OrganizationStatement string
	Organization          string
	ReplyTo               string // per-letter reply address, so replies trace back
	CreatedAt             time.Time
}

// Result is a provider's answer to an accepted message.
type Result struct {
	ProviderID string // provider's message id, if any
	Detail     string // short provider answer for the timeline (no PII)
	// Kept: the channel keeps the letter on this server (the outbox), so no
	// office received it; the letter ends as StatusOutbox, which no count
	// of sent or delivered letters includes.
	Kept bool
}

// Sender is one delivery channel.
type Sender interface {
	Channel() Channel
	// Accepts reports whether this channel can reach the office at all
	// (an email address on file, an active CWC office, ...).
	Accepts(ctx context.Context, o Office) bool
	// Send delivers one message. It returns a *TemporaryError when a
	// retry may succeed, a *PermanentError when it cannot.
	Send(ctx context.Context, m Message) (Result, error)
}

// TemporaryError means: try again later (timeouts, 5xx, 429).
type TemporaryError struct {
	Err        error
	RetryAfter time.Duration // 0: use the backoff schedule
}

func (e *TemporaryError) Error() string { return "temporary: " + e.Err.Error() }
func (e *TemporaryError) Unwrap() error { return e.Err }

// PermanentError means the provider refused the message for good.
type PermanentError struct {
	Err    error
	Detail string // provider's reason, for the timeline
}

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// ErrOutcomeUnknown marks a temporary error after which the provider may
// or may not have accepted the message (a timeout after the request was
// sent). Without an idempotency key the worker must not simply resend.
var ErrOutcomeUnknown = errors.New("the provider may have accepted the message; outcome unknown")

// Temporary and Permanent build the two error kinds.
func Temporary(err error, retryAfter time.Duration) error {
	return &TemporaryError{Err: err, RetryAfter: retryAfter}
}

func Permanent(err error, detail string) error { return &PermanentError{Err: err, Detail: detail} }

// IsTemporary reports whether err may succeed on retry; unknown errors
// (network failures) count as temporary.
func IsTemporary(err error) (bool, time.Duration) {
	var p *PermanentError
	if errors.As(err, &p) {
		return false, 0
	}
	var t *TemporaryError
	if errors.As(err, &t) {
		return true, t.RetryAfter
	}
	return true, 0
}

// Letter statuses.
const (
	StatusPending   = "pending"   // stored, not yet handed to a channel
	StatusQueued    = "queued"    // waiting for its pacing slot
	StatusSending   = "sending"   // an attempt is under way (outcome unknown after a crash)
	StatusSent      = "sent"      // the provider accepted it
	StatusDelivered = "delivered" // the provider reported delivery
	StatusBounced   = "bounced"
	StatusDropped   = "dropped"
	StatusFailed    = "failed" // gave up; staff may requeue
	StatusOutbox    = "outbox" // kept in the outbox on this server: it reached no office
)

// Statuses lists every status in order.
var Statuses = []string{StatusPending, StatusQueued, StatusSending, StatusSent, StatusDelivered, StatusBounced, StatusDropped, StatusFailed, StatusOutbox}
