package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestHasherBoundsConcurrency: 20 parallel checks on 2 slots never run
// more than 2 argon2id evaluations at once; with no wait, callers beyond
// the slots get ErrBusy instead of a 19 MiB evaluation.
func TestHasherBoundsConcurrency(t *testing.T) {
	h := NewHasher(2, time.Minute)
	hash, err := h.Hash(context.Background(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := h.Verify(context.Background(), hash, "correct horse battery"); !ok || err != nil {
				t.Errorf("verify: %v %v", ok, err)
			}
		}()
	}
	wg.Wait()
	st := h.Stats()
	if st.Peak > 2 || st.Peak < 1 || st.Evaluations != 21 || st.Busy != 0 {
		t.Fatalf("stats %+v: want peak <= 2, 21 evaluations, none busy", st)
	}

	h = NewHasher(1, -1)
	h.slots <- struct{}{} // the one slot is taken
	if ok, err := h.Verify(context.Background(), hash, "correct horse battery"); ok || !errors.Is(err, ErrBusy) {
		t.Fatalf("saturated: %v %v", ok, err)
	}
	if err := h.Burn(context.Background(), "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("burn saturated: %v", err)
	}
	if _, err := h.Hash(context.Background(), "short"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("policy is checked before a slot: %v", err)
	}
	if st := h.Stats(); st.Evaluations != 0 || st.Busy != 2 {
		t.Fatalf("stats %+v", st)
	}
	// A waiting caller gives up with its request.
	h = NewHasher(1, time.Minute)
	h.slots <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Verify(ctx, hash, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
}
