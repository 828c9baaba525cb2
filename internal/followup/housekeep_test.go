package followup_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// The tick deletes expired and idle staff sessions, failed sign-in
// records older than the throttle window and the claims of expired call
// pages, and keeps everything else: without it these tables grow forever.
func TestTickPrunesSessionsAndLoginFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		u, err := st.CreateUser(ctx, auth.User{Email: "hk-" + now.Format("150405.000000000") + "@example.org", Name: "HK", Role: auth.Admin, PasswordHash: "x"}, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		sessions := map[string]struct {
			start, expires time.Time
			keep           bool
		}{
			"fresh":   {now.Add(-time.Minute), now.Add(11 * time.Hour), true},
			"idle":    {now.Add(-3 * time.Hour), now.Add(9 * time.Hour), false},
			"expired": {now.Add(-13 * time.Hour), now.Add(-time.Hour), false},
		}
		for id, s := range sessions {
			if err := st.CreateSession(ctx, "hk-"+id, u.ID, s.start, s.expires); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.ReserveAttempt(ctx, now, auth.ThrottleWindow, store.AttemptLimit{Key: "hk-acct", Max: 5}, store.AttemptLimit{Key: "hk-ip", Max: 20}); err != nil {
			t.Fatal(err)
		}
		count := func(key string) int64 {
			n, err := st.LoginFailures(ctx, key, now.Add(-24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		// A call page's claim, kept until the page expires.
		if _, _, err := st.LogCall(ctx, store.CallLog{Nonce: "hk-" + now.Format("150405.000000000"), CampaignID: newEnv(t, st, campaign.Live).camp.ID, BioguideID: "P000145",
			Chamber: "senate", State: "CA", Party: "Democrat", Outcome: "reached", At: now, Expires: now.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		claims := func() int {
			c, err := st.CallClaims(ctx, "hk-"+now.Format("150405.000000000"))
			if err != nil {
				t.Fatal(err)
			}
			return len(c)
		}

		clk := &clock{t: now}
		r := &followup.Runner{Store: st, Jobs: &jobsSpy{}, Mailer: &mailSpy{}, Now: clk.Now, SessionIdle: 2 * time.Hour}
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		for id, s := range sessions {
			_, _, err := st.SessionUser(ctx, "hk-"+id)
			if gone := errors.Is(err, store.ErrNotFound); gone == s.keep {
				t.Errorf("session %s: gone=%v, want kept=%v (err %v)", id, gone, s.keep, err)
			}
		}
		if count("hk-acct") != 1 || count("hk-ip") != 1 {
			t.Fatal("a failure inside the throttle window was pruned")
		}
		if claims() != 1 {
			t.Fatal("the claim of a call page still valid was pruned")
		}

		clk.Add(auth.ThrottleWindow + time.Minute)
		if _, err := r.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count("hk-acct") + count("hk-ip"); n != 0 {
			t.Fatalf("%d failures older than the throttle window remain", n)
		}
		if claims() != 0 {
			t.Error("the claim of an expired call page remains")
		}
		if _, _, err := st.SessionUser(ctx, "hk-fresh"); err != nil {
			t.Fatalf("the fresh session (seen %v ago) was deleted: %v", 17*time.Minute, err)
		}
	})
}
