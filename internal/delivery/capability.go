package delivery

import "time"

// Optional capabilities. A Sender may also implement any of these small
// interfaces; the delivery worker (internal/dispatch) and main look for
// them with a type assertion, and a sender without one gets the default
// written on it. They keep what is particular to one provider in its
// adapter instead of in the generic worker.

// Pacer says whether office hours, the office's hourly cap and the
// channel's rate apply to a channel. Default: they do. The outbox reaches
// no office, so it is not paced.
type Pacer interface {
	Paced() bool
}

// Reacher says whether a channel gets a letter to its office by itself.
// Default: it does (CWC, email). The outbox (stored for staff to read)
// and the packet (held for staff to carry) do not: with only those
// configured, main sends letters to the outbox.
type Reacher interface {
	ReachesOffices() bool
}

// RateLimited gives a channel's rate: letters per second across all
// offices, for each worker process (0: no limit). Default: no limit. The
// worker's Settings.ChannelRate, when it names the channel, overrides it.
type RateLimited interface {
	Rate() float64
}

// OutcomeWaiter is a channel without an idempotency key (SendGrid): after
// an attempt that ends in ErrOutcomeUnknown the provider may have the
// message, and sending it again could give an office two copies. The
// worker then keeps the letter "sending" and sends it again only if the
// provider has not reported UnknownOutcome().AcceptedEvent within Grace.
// Default (CWC has a DeliveryId): an unknown outcome is retried like any
// temporary error.
type OutcomeWaiter interface {
	UnknownOutcome() UnknownOutcome
}

// UnknownOutcome is how a channel settles an attempt whose outcome is
// unknown.
type UnknownOutcome struct {
	// Grace is how long the provider's AcceptedEvent may take to arrive.
	Grace time.Duration
	// AcceptedEvent is the provider event that proves the message was
	// accepted ("processed" for SendGrid).
	AcceptedEvent string
	// Unsettled is the timeline's reason for failing such a letter when no
	// event can arrive (the provider's webhook is not configured): what
	// staff should check before requeueing it.
	Unsettled string
}

// ConstituentOnly is a channel that carries only a constituent's mail to
// their own members (CWC). Default: a channel carries any letter. The
// worker never hands it an organizational (sign-on) letter.
type ConstituentOnly interface {
	ConstituentOnly() bool
}
