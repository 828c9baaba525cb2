package dispatch

import (
	"context"
	"sync"
	"time"
)

// batcher coalesces the database writes of concurrent workers (group
// commit): the first caller starts a flush, and the calls that arrive
// while a flush is in flight go together in the next one. Under load one
// transaction serves many letters instead of one each, which is what lets
// a few database round trips carry thousands of letters a second. While
// more letters are in flight than wait for the flush (others says how
// many), the flush first waits up to linger for them: each statement
// costs PostgreSQL about as much again as the rows it carries, and 2 ms
// is nothing beside a provider's answer. A letter alone never waits.
type batcher[In, Out any] struct {
	flush  func(ctx context.Context, in []In) ([]Out, error)
	max    int
	linger time.Duration

	// others is how many calls may come soon (letters in flight); nil:
	// never wait.
	others func() int

	mu      sync.Mutex
	pending []*batchCall[In, Out]
	busy    bool
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

func newBatcher[In, Out any](max int, linger time.Duration, others func() int, flush func(ctx context.Context, in []In) ([]Out, error)) *batcher[In, Out] {
	return &batcher[In, Out]{flush: flush, max: max, linger: linger, others: others}
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
		if p := len(b.pending); p > 0 && p < b.max && b.linger > 0 && b.others != nil && b.others() > p {
			b.mu.Unlock()
			time.Sleep(b.linger)
			b.mu.Lock()
		}
		n := min(len(b.pending), b.max)
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
