package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestReserveAttemptUnderParallelAttack: 150 parallel attempts against a
// limit of 5 get exactly 5 reservations; a count taken before recording
// (check-then-record) lets most of them through.
func TestReserveAttemptUnderParallelAttack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		// Unique keys: the package shares one PostgreSQL database.
		acct := auth.ThrottleKey("acct", "attack-"+t.Name()+"@example.org")
		ip := auth.ThrottleKey("ip", "203.0.113.9-"+t.Name())
		now := time.Now()
		var granted, refused atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, 150)
		for range 150 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.ReserveAttempt(ctx, now, auth.ThrottleWindow,
					store.AttemptLimit{Key: acct, Max: 5}, store.AttemptLimit{Key: ip, Max: 20})
				var te *store.ThrottledError
				switch {
				case err == nil:
					granted.Add(1)
				case errors.As(err, &te) && errors.Is(err, auth.ErrThrottled) && te.Key == acct:
					refused.Add(1)
				default:
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("reserve: %v", err)
		}
		if granted.Load() != 5 || refused.Load() != 145 {
			t.Fatalf("150 parallel attempts, limit 5: %d reserved, %d refused", granted.Load(), refused.Load())
		}
		// A refused reservation writes nothing under its other keys.
		if n, err := s.LoginFailures(ctx, ip, now.Add(-time.Minute)); err != nil || n != 5 {
			t.Fatalf("attempts recorded under the IP: %d %v", n, err)
		}
		if n, err := s.LoginFailures(ctx, acct, now.Add(-time.Minute)); err != nil || n != 5 {
			t.Fatalf("attempts recorded under the account: %d %v", n, err)
		}
		// Outside the window the old attempts no longer count.
		later := now.Add(auth.ThrottleWindow + time.Second)
		r, err := s.ReserveAttempt(ctx, later, auth.ThrottleWindow, store.AttemptLimit{Key: acct, Max: 5})
		if err != nil || len(r) != 1 {
			t.Fatalf("after the window: %v %v", r, err)
		}
		// A released reservation is given back.
		if err := s.ReleaseAttempt(ctx, r); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.LoginFailures(ctx, acct, now.Add(-time.Minute)); n != 5 {
			t.Errorf("after release: %d attempts, want 5", n)
		}
	})
}

// TestReserveAttemptPerIP: 100 parallel attempts from one IP at 100
// different accounts reserve exactly 20 (the IP's limit).
func TestReserveAttemptPerIP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ip := auth.ThrottleKey("ip", "198.51.100.4-"+t.Name())
		now := time.Now()
		var granted atomic.Int64
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				acct := auth.ThrottleKey("acct", fmt.Sprintf("u%d-%s@example.org", i, t.Name()))
				_, err := s.ReserveAttempt(ctx, now, auth.ThrottleWindow,
					store.AttemptLimit{Key: acct, Max: 5}, store.AttemptLimit{Key: ip, Max: 20})
				if err == nil {
					granted.Add(1)
				} else if !errors.Is(err, auth.ErrThrottled) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if granted.Load() != 20 {
			t.Fatalf("100 parallel attempts from one IP, limit 20: %d reserved", granted.Load())
		}
	})
}

// TestSetupCodesOfEveryProcess: each process's setup code stays valid when
// another process adds its own, until the first admin exists.
func TestSetupCodesOfEveryProcess(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			s := storetest.Unmigrated(t, d)
			ctx := context.Background()
			if _, err := s.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			a, b := auth.HashSecret("setup-aaaa"), auth.HashSecret("setup-bbbb")
			for _, h := range []string{a, b} {
				if err := s.AddSetupCode(ctx, h); err != nil {
					t.Fatal(err)
				}
			}
			// an older version's single setting still works
			old := auth.HashSecret("setup-old")
			if err := s.SetSetting(ctx, "setup_code_hash", old); err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{a, b, old} {
				if ok, err := s.SetupCodeValid(ctx, h); !ok || err != nil {
					t.Errorf("code %s… not valid: %v", h[:8], err)
				}
			}
			for _, h := range []string{auth.HashSecret("setup-cccc"), "", "%"} {
				if ok, _ := s.SetupCodeValid(ctx, h); ok {
					t.Errorf("unknown code %q valid", h)
				}
			}
			if _, err := s.CreateFirstAdmin(ctx, auth.User{Email: "first@example.org", PasswordHash: "x"}); err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{a, b, old} {
				if ok, _ := s.SetupCodeValid(ctx, h); ok {
					t.Errorf("code %s… still valid after the first admin", h[:8])
				}
			}
			if v, err := s.Setting(ctx, "setup_code_hash:"+a); err == nil || !strings.Contains(err.Error(), "not found") {
				t.Errorf("setup code row left: %q %v", v, err)
			}
		})
	}
}
