package dispatch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Concurrent calls share flushes, each gets its own answer, and a failed
// flush fails exactly the calls that were in it.
func TestBatcherCoalesces(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	b := newBatcher(8, 0, nil, func(_ context.Context, in []int) ([]int, error) {
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

// While more letters are in flight than wait for a flush, the flush waits
// for them, and calls that arrive meanwhile share it; a call alone (no
// other letter in flight) is flushed at once, however long the linger.
func TestBatcherLingersForLettersInFlight(t *testing.T) {
	var inFlight atomic.Int64
	others := func() int { return int(inFlight.Load()) }
	var mu sync.Mutex
	var sizes []int
	b := newBatcher(100, time.Hour, others, func(_ context.Context, in []int) ([]int, error) {
		mu.Lock()
		sizes = append(sizes, len(in))
		mu.Unlock()
		return in, nil
	})
	done := make(chan struct{})
	go func() {
		for i := range 3 {
			inFlight.Store(1)
			if _, err := b.do(i); err != nil {
				t.Error(err)
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a call alone waited for the linger")
	}

	// Five letters in flight: the first call's flush waits, and the four
	// that come within the linger go with it.
	mu.Lock()
	sizes = nil
	mu.Unlock()
	b = newBatcher(100, 500*time.Millisecond, others, b.flush)
	inFlight.Store(5)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := b.do(i); err != nil {
				t.Error(err)
			}
		}()
		if i == 0 {
			for { // the first call waits in the linger
				b.mu.Lock()
				busy := b.busy
				b.mu.Unlock()
				if busy {
					break
				}
			}
		}
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != 1 || sizes[0] != 5 {
		t.Errorf("flush sizes %v, want [5]: the letters in flight should share the flush", sizes)
	}
}
