package dispatch

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Concurrent calls share flushes, each gets its own answer, and a failed
// flush fails exactly the calls that were in it.
func TestBatcherCoalesces(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	b := newBatcher(8, 0, func(_ context.Context, in []int) ([]int, error) {
		mu.Lock()
		sizes = append(sizes, len(in))
		first := len(sizes) == 1
		mu.Unlock()
		if first {
			<-release // hold the first flush so that the others queue up
		}
		for _, v := range in {
			if v < 0 {
				return nil, errors.New("negative")
			}
		}
		out := make([]int, len(in))
		for i, v := range in {
			out[i] = v * 10
		}
		return out, nil
	})
	first := make(chan int)
	go func() { v, _ := b.do(1); first <- v }()
	// Wait until the first flush is running, then queue 20 more calls.
	for {
		mu.Lock()
		n := len(sizes)
		mu.Unlock()
		if n == 1 {
			break
		}
	}
	var wg sync.WaitGroup
	results := make([]int, 21)
	errs := make([]error, 21)
	queued := make(chan struct{}, 20)
	for i := 1; i <= 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			queued <- struct{}{}
			results[i], errs[i] = b.do(i + 1)
		}()
	}
	for range 20 {
		<-queued
	}
	for { // all 20 are pending behind the held flush
		b.mu.Lock()
		n := len(b.pending)
		b.mu.Unlock()
		if n == 20 {
			break
		}
	}
	close(release)
	if v := <-first; v != 10 {
		t.Fatalf("first call got %d", v)
	}
	wg.Wait()
	for i := 1; i <= 20; i++ {
		if errs[i] != nil || results[i] != (i+1)*10 {
			t.Errorf("call %d: %d, %v", i, results[i], errs[i])
		}
	}
	mu.Lock()
	// 1, then the 20 waiting calls in flushes of at most 8: 8, 8, 4.
	if len(sizes) != 4 || sizes[0] != 1 || sizes[1] != 8 || sizes[2] != 8 || sizes[3] != 4 {
		t.Errorf("flush sizes %v, want [1 8 8 4]", sizes)
	}
	mu.Unlock()

	if _, err := b.do(-1); err == nil {
		t.Error("a failed flush must fail its calls")
	}
	if v, err := b.do(3); err != nil || v != 30 {
		t.Errorf("after a failed flush: %d, %v", v, err)
	}
}

// A busy batcher (its last flush carried several calls) waits for more
// before the next flush, and calls that arrive meanwhile share it; calls
// one at a time are flushed at once, however long the linger.
func TestBatcherLingersOnlyWhenBusy(t *testing.T) {
	var mu sync.Mutex
	var sizes []int
	b := newBatcher(100, time.Hour, func(_ context.Context, in []int) ([]int, error) {
		return in, nil
	})
	done := make(chan struct{})
	go func() {
		for i := range 3 {
			if _, err := b.do(i); err != nil {
				t.Error(err)
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("calls one at a time waited for the linger")
	}

	// Busy: the first flush (held) has two calls, one call queues behind
	// it, and four more come after it ends: the batcher waits in the
	// linger, and all five go out together.
	release := make(chan struct{})
	b = newBatcher(100, 300*time.Millisecond, func(_ context.Context, in []int) ([]int, error) {
		mu.Lock()
		sizes = append(sizes, len(in))
		n := len(sizes)
		mu.Unlock()
		if n == 1 {
			<-release
		}
		return in, nil
	})
	b.mu.Lock() // two calls pending before the first flush starts
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		c := &batchCall[int, int]{in: i, done: make(chan struct{})}
		b.pending = append(b.pending, c)
		go func() { <-c.done; wg.Done() }()
	}
	b.busy = true
	go b.run()
	b.mu.Unlock()
	call := func(v int) {
		defer wg.Done()
		if _, err := b.do(v); err != nil {
			t.Error(err)
		}
	}
	for { // the first flush has taken its two calls
		b.mu.Lock()
		n := len(b.pending)
		b.mu.Unlock()
		if n == 0 {
			break
		}
	}
	wg.Add(1)
	go call(10)
	for { // one call waits behind the held flush
		b.mu.Lock()
		n := len(b.pending)
		b.mu.Unlock()
		if n == 1 {
			break
		}
	}
	close(release)
	for i := range 4 {
		wg.Add(1)
		go call(11 + i)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != 2 || sizes[0] != 2 || sizes[1] != 5 {
		t.Errorf("flush sizes %v, want [2 5]: the five calls after a busy flush should share one", sizes)
	}
}
