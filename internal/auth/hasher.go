package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrBusy is returned when every password-hashing slot stayed taken for
// the whole wait: the caller answers 429 with Retry-After.
var ErrBusy = errors.New("many sign-ins are being checked right now; wait a few seconds and try again")

// Each argon2id evaluation holds about 19 MiB for its whole run, so
// hashing without a bound lets a few hundred parallel sign-ins take
// gigabytes. A Hasher runs at most n evaluations at once; the others wait
// up to a short time for a slot, then get ErrBusy. Waiting costs a
// goroutine, not 19 MiB.
type Hasher struct {
	slots chan struct{}
	wait  time.Duration

	evaluations atomic.Int64
	running     atomic.Int64
	peak        atomic.Int64
	busy        atomic.Int64
}

// Defaults of NewHasher: four evaluations at once (about 76 MiB), and a
// two-second wait for a slot.
const (
	DefaultHashSlots = 4
	DefaultHashWait  = 2 * time.Second
	// BusyRetryAfter is the Retry-After (seconds) of an ErrBusy answer.
	BusyRetryAfter = 5
)

// NewHasher returns a Hasher with n slots (DefaultHashSlots when n < 1)
// whose callers wait at most wait for one (DefaultHashWait when 0; a
// negative wait never waits).
func NewHasher(n int, wait time.Duration) *Hasher {
	if n < 1 {
		n = DefaultHashSlots
	}
	if wait == 0 {
		wait = DefaultHashWait
	}
	return &Hasher{slots: make(chan struct{}, n), wait: wait}
}

// Slots is how many evaluations may run at once.
func (h *Hasher) Slots() int { return cap(h.slots) }

// HasherStats counts what a Hasher did, for tests and logs.
type HasherStats struct {
	Evaluations int64 // argon2id evaluations run (verifications, dummy checks and new hashes)
	Peak        int64 // most evaluations ever running at once
	Busy        int64 // calls refused with ErrBusy
}

// Stats reports the counters since the Hasher was made.
func (h *Hasher) Stats() HasherStats {
	return HasherStats{Evaluations: h.evaluations.Load(), Peak: h.peak.Load(), Busy: h.busy.Load()}
}

// Hold takes a slot as an evaluation would, until release is called
// (tests saturate a Hasher with it). It waits like an evaluation and fails
// the same way.
func (h *Hasher) Hold(ctx context.Context) (release func(), err error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { <-h.slots }) }, nil
}

// acquire takes a slot, waiting at most h.wait.
func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
	default:
		if h.wait < 0 {
			h.busy.Add(1)
			return ErrBusy
		}
		t := time.NewTimer(h.wait)
		defer t.Stop()
		select {
		case h.slots <- struct{}{}:
		case <-t.C:
			h.busy.Add(1)
			return ErrBusy
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// run evaluates fn in a slot.
func (h *Hasher) run(ctx context.Context, fn func()) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer func() { <-h.slots }()
	n := h.running.Add(1)
	defer h.running.Add(-1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			break
		}
	}
	h.evaluations.Add(1)
	fn()
	return nil
}

// Verify checks pw against hash in a slot.
func (h *Hasher) Verify(ctx context.Context, hash, pw string) (bool, error) {
	var ok bool
	err := h.run(ctx, func() { ok = VerifyPassword(hash, pw) })
	return ok && err == nil, err
}

// Burn spends one verification on a dummy hash (a sign-in for an unknown
// email), in a slot like a real one.
func (h *Hasher) Burn(ctx context.Context, pw string) error {
	return h.run(ctx, func() { BurnPasswordCheck(pw) })
}

// Hash checks the password policy, then hashes pw in a slot.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	var hash string
	var herr error
	if err := h.run(ctx, func() { hash, herr = HashPassword(pw) }); err != nil {
		return "", err
	}
	return hash, herr
}
