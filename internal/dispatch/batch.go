package dispatch

import (
	"context"
	"sync"
	"time"
)

// batcher coalesces the database writes of concurrent workers (group
// commit): the first caller starts a flush at once, and the calls that
// arrive while a flush is in flight go together in the next one. Under
// load one transaction serves many letters instead of one each, which is
// what lets a few database round trips carry thousands of letters a
// second. When the last flush carried several calls (others are sending
// too), the next one waits up to linger for more: each statement costs
// PostgreSQL about as much again as the rows it carries, and 2 ms more per
// letter is nothing beside a provider's answer. A batcher whose last flush
// had one call (letters one at a time) never waits.
type batcher[In, Out any] struct {
	flush  func(ctx context.Context, in []In) ([]Out, error)
	max    int
	linger time.Duration

	mu      sync.Mutex
	pending []*batchCall[In, Out]
	busy    bool
	last    int // calls in the last flush
}

type batchCall[In, Out any] struct {
	in   In
	out  Out
	err  error
	done chan struct{}
}

// flushTimeout bounds one flush; its callers wait for it whatever their
// own context says, because a claim may have been written: leaving early
// would not undo it.
const flushTimeout = 30 * time.Second

func newBatcher[In, Out any](max int, linger time.Duration, flush func(ctx context.Context, in []In) ([]Out, error)) *batcher[In, Out] {
	return &batcher[In, Out]{flush: flush, max: max, linger: linger}
}

// do adds one item to the next flush and returns its result.
func (b *batcher[In, Out]) do(in In) (Out, error) {
	c := &batchCall[In, Out]{in: in, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, c)
	if !b.busy {
		b.busy = true
		go b.run()
	}
	b.mu.Unlock()
	<-c.done
	return c.out, c.err
}

func (b *batcher[In, Out]) run() {
	for {
		b.mu.Lock()
		if b.last > 1 && len(b.pending) > 0 && len(b.pending) < b.max && b.linger > 0 {
			b.mu.Unlock()
			time.Sleep(b.linger)
			b.mu.Lock()
		}
		n := min(len(b.pending), b.max)
		b.last = n
		if n == 0 {
			b.busy = false
			b.pending = nil
			b.mu.Unlock()
			return
		}
		calls := make([]*batchCall[In, Out], n)
		copy(calls, b.pending)
		b.pending = append(b.pending[:0:0], b.pending[n:]...)
		b.mu.Unlock()

		in := make([]In, n)
		for i, c := range calls {
			in[i] = c.in
		}
		ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
		out, err := b.flush(ctx, in)
		cancel()
		for i, c := range calls {
			if err != nil {
				c.err = err
			} else {
				c.out = out[i]
			}
			close(c.done)
		}
	}
}
