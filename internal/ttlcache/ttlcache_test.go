package ttlcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestExpiry(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := New[string, int](30*time.Second, 0, clk.Now)
	if _, ok := c.Get("a"); ok {
		t.Fatal("empty cache hit")
	}
	c.Put("a", 1)
	clk.Add(29 * time.Second)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("fresh value: %v %v", v, ok)
	}
	if !c.Update("a", func(v int) int { return v + 1 }) {
		t.Fatal("update of a fresh value")
	}
	clk.Add(time.Second)
	if _, ok := c.Get("a"); ok {
		t.Fatal("a value TTL old is stale (Update keeps its age)")
	}
	if c.Update("a", func(v int) int { return v + 1 }) {
		t.Fatal("update of a stale value")
	}
	c.Put("b", 2)
	c.Delete("b")
	c.Put("c", 3)
	c.Clear()
	if _, ok := c.Get("b"); ok {
		t.Fatal("deleted")
	}
	if _, ok := c.Get("c"); ok {
		t.Fatal("cleared")
	}
}

// A full cache drops its stale entries first, and everything only when
// all are fresh: it never grows past Max.
func TestBound(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := New[int, int](time.Minute, 3, clk.Now)
	c.Put(1, 1)
	c.Put(2, 2)
	clk.Add(2 * time.Minute)
	c.Put(3, 3)
	c.Put(4, 4) // full: 1 and 2 are stale and go
	if c.Len() != 2 {
		t.Fatalf("len %d, want 2 (3 and 4)", c.Len())
	}
	c.Put(5, 5)
	c.Put(3, 30) // an existing key never evicts
	if c.Len() != 3 {
		t.Fatalf("len %d", c.Len())
	}
	c.Put(6, 6) // full of fresh entries: cleared
	if c.Len() != 1 {
		t.Fatalf("len %d, want 1", c.Len())
	}
	if v, ok := c.Get(6); !ok || v != 6 {
		t.Fatal("the new value is kept")
	}
}

func TestLoadSharesAndDoesNotKeepErrors(t *testing.T) {
	c := New[string, int](time.Minute, 0, nil)
	ctx := context.Background()
	var loads atomic.Int32
	release := make(chan struct{})
	slow := func(context.Context) (int, error) {
		loads.Add(1)
		<-release
		return 7, nil
	}
	var wg sync.WaitGroup
	got := make([]int, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = c.Load(ctx, "k", slow)
		}()
	}
	for !c.waiting("k") {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others queue behind the load
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("%d loads of one key, want 1", n)
	}
	for _, v := range got {
		if v != 7 {
			t.Fatalf("results %v", got)
		}
	}
	boom := errors.New("database down")
	if _, err := c.Load(ctx, "e", func(context.Context) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if v, err := c.Load(ctx, "e", func(context.Context) (int, error) { return 9, nil }); err != nil || v != 9 {
		t.Fatalf("an error is not kept: %v %v", v, err)
	}
}

// A waiter whose shared load failed (the loader's request was cancelled,
// say) loads again with its own context; a panicking load does not leave
// its waiters stuck.
func TestLoadWaiterRetriesAlone(t *testing.T) {
	c := New[string, int](time.Minute, 0, nil)
	started, fail := make(chan struct{}), make(chan struct{})
	go func() {
		defer func() { _ = recover() }()
		c.Load(context.Background(), "k", func(context.Context) (int, error) {
			close(started)
			<-fail
			panic("loader broke")
		})
	}()
	<-started
	done := make(chan int)
	go func() {
		v, _ := c.Load(context.Background(), "k", func(context.Context) (int, error) { return 5, nil })
		done <- v
	}()
	time.Sleep(10 * time.Millisecond)
	close(fail)
	select {
	case v := <-done:
		if v != 5 {
			t.Fatalf("waiter got %d", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter stuck behind a panicked load")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	block := make(chan struct{})
	defer close(block)
	go c.Load(context.Background(), "x", func(context.Context) (int, error) { <-block; return 1, nil })
	for !c.waiting("x") {
		time.Sleep(time.Millisecond)
	}
	if _, err := c.Load(ctx, "x", func(context.Context) (int, error) { return 1, nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled waiter returns: %v", err)
	}
}

// waiting tells a load of k in progress (tests).
func (c *Cache[K, V]) waiting(k K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.inflight[k]
	return ok
}

// A value loaded across a Clear may predate the write that cleared the
// cache: it is returned to its caller but not kept.
func TestLoadAcrossClearIsNotKept(t *testing.T) {
	c := New[string, int](time.Minute, 0, nil)
	started, finish := make(chan struct{}), make(chan struct{})
	done := make(chan int)
	go func() {
		v, _ := c.Load(context.Background(), "k", func(context.Context) (int, error) {
			close(started)
			<-finish
			return 1, nil
		})
		done <- v
	}()
	<-started
	c.Clear() // the write that makes 1 stale
	close(finish)
	if v := <-done; v != 1 {
		t.Fatalf("loader got %d", v)
	}
	if v, ok := c.Get("k"); ok {
		t.Fatalf("a value loaded before Clear was kept: %d", v)
	}
	if v, _ := c.Load(context.Background(), "k", func(context.Context) (int, error) { return 2, nil }); v != 2 {
		t.Fatalf("reload got %d", v)
	}
}
