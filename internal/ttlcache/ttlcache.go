// Package ttlcache keeps values for a fixed time: the one cache type of the
// web pages (campaigns, releases, rendered pages, dashboard figures) and of
// the delivery worker (campaign settings, office counts, contacts), which
// used to have a hand-written map, mutex and timestamp each.
//
// A value is fresh for TTL after it was put; a stale value is never
// returned. The cache holds at most Max entries: when full, the stale ones
// go, and if none is stale, all of them (simple, bounded, and a full cache
// is rare: the keys are campaigns, offices or filter combinations).
package ttlcache

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Cache is a map whose values expire TTL after they were put. The zero
// value is not usable: use New.
type Cache[K comparable, V any] struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu       sync.Mutex
	entries  map[K]entry[V]
	inflight map[K]*call[V]
	gen      uint64 // counts Clears and Deletes: a load that began before one is not kept
}

type entry[V any] struct {
	v  V
	at time.Time
}

// call is a load in progress that other callers of Load for the same key
// wait for.
type call[V any] struct {
	gen  uint64
	done chan struct{}
	v    V
	err  error
}

// New makes a cache whose values live ttl, holding at most max entries
// (0: no bound). now is the clock (nil: time.Now).
func New[K comparable, V any](ttl time.Duration, max int, now func() time.Time) *Cache[K, V] {
	if now == nil {
		now = time.Now
	}
	return &Cache[K, V]{ttl: ttl, max: max, now: now, entries: map[K]entry[V]{}, inflight: map[K]*call[V]{}}
}

// Get returns k's value when it is fresh.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.get(k)
}

func (c *Cache[K, V]) get(k K) (V, bool) {
	e, ok := c.entries[k]
	if !ok || c.now().Sub(e.at) >= c.ttl {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v under k, fresh from now.
func (c *Cache[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(k, v)
}

func (c *Cache[K, V]) put(k K, v V) {
	now := c.now()
	if _, ok := c.entries[k]; !ok && c.max > 0 && len(c.entries) >= c.max {
		for key, e := range c.entries {
			if now.Sub(e.at) >= c.ttl {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[k] = entry[V]{v: v, at: now}
}

// Update changes k's value in place, keeping its age, when it is fresh;
// it reports whether it did.
func (c *Cache[K, V]) Update(k K, f func(V) V) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.get(k)
	if ok {
		c.entries[k] = entry[V]{v: f(v), at: c.entries[k].at}
	}
	return ok
}

// Delete forgets k.
func (c *Cache[K, V]) Delete(k K) {
	c.mu.Lock()
	delete(c.entries, k)
	c.gen++
	c.mu.Unlock()
}

// Clear forgets everything (after a write the cached values do not show).
func (c *Cache[K, V]) Clear() {
	c.mu.Lock()
	clear(c.entries)
	c.gen++
	c.mu.Unlock()
}

// Len is the number of entries, fresh or not.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Load returns k's fresh value, or loads it, keeps it and returns it.
// Concurrent Loads of one key share one load; a value whose load began
// before a Clear or Delete is returned but not kept (it may predate the
// write that cleared the cache); an error is returned, never kept, and a caller whose shared load failed loads again with its own
// context (the failure may have been the other caller's cancelled
// request).
func (c *Cache[K, V]) Load(ctx context.Context, k K, load func(ctx context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	if v, ok := c.get(k); ok {
		c.mu.Unlock()
		return v, nil
	}
	if cl, ok := c.inflight[k]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			if cl.err == nil {
				return cl.v, nil
			}
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
		return c.loadAlone(ctx, k, load)
	}
	cl := &call[V]{gen: c.gen, done: make(chan struct{})}
	c.inflight[k] = cl
	c.mu.Unlock()

	c.do(ctx, k, cl, load)
	return cl.v, cl.err
}

// errPanicked is a shared load's result while it runs: a load that panics
// leaves it, so its waiters load again instead of waiting forever.
var errPanicked = errors.New("ttlcache: load panicked")

func (c *Cache[K, V]) do(ctx context.Context, k K, cl *call[V], load func(ctx context.Context) (V, error)) {
	cl.err = errPanicked
	defer func() {
		c.mu.Lock()
		delete(c.inflight, k)
		if cl.err == nil && cl.gen == c.gen {
			c.put(k, cl.v)
		}
		c.mu.Unlock()
		close(cl.done)
	}()
	cl.v, cl.err = load(ctx)
}

// loadAlone loads without sharing and keeps what loaded.
func (c *Cache[K, V]) loadAlone(ctx context.Context, k K, load func(ctx context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	v, err := load(ctx)
	if err == nil {
		c.mu.Lock()
		if gen == c.gen {
			c.put(k, v)
		}
		c.mu.Unlock()
	}
	return v, err
}
