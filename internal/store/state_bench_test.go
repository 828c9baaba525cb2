package store_test

import (
	"context"
	"flag"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

var (
	stateLetters = flag.Int("state-letters", 20000, "letters per run of BenchmarkLetterStateCost")
	stateFlush   = flag.Int("state-flush", 50, "letters per statement in BenchmarkLetterStateCost (the delivery benchmark's flushes carry 50-60)")
)

// BenchmarkLetterStateCost splits PostgreSQL's CPU per delivered letter
// (BenchmarkDeliverToFakeSendGrid's pg-cpu-µs/letter) by statement: the
// load of a letter with its text, the claim before the send, and the
// provider's acceptance, each run alone over -state-letters letters
// (texts of 789 bytes, as in the delivery benchmark) in statements of
// -state-flush letters from 4 connections, with the CPU of this
// database's backends read from /proc before and after. It also measures
// the acceptance of letters that were never claimed: the cost per letter
// of a delivery that wrote only its acceptance. PostgreSQL only:
//
//	TEST_DATABASE_URL=... go test -run X -bench LetterStateCost -benchtime 3x ./internal/store
func BenchmarkLetterStateCost(b *testing.B) {
	s := storetest.Postgres(b)
	ctx := context.Background()
	text := strings.Repeat("s", 789)
	var load, claim, accept, acceptAlone time.Duration
	var n int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		campID, subID := letterFixture(b, s)
		var ids, alone []int64
		for from := 0; from < 2**stateLetters; from += 1000 {
			got, err := s.CreateLetters(ctx, newLetters(campID, subID, from, min(1000, 2**stateLetters-from), func(int64) (string, error) { return text, nil }), nil)
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, got...)
		}
		ids, alone = ids[:*stateLetters], ids[*stateLetters:]
		if _, err := s.DB().ExecContext(ctx, "VACUUM ANALYZE letters, letter_texts"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		load += stateStep(b, s, ids, func(chunk []int64) error {
			_, err := s.LettersToSend(ctx, chunk)
			return err
		})
		claim += stateStep(b, s, ids, func(chunk []int64) error {
			claims := make([]store.Claim, len(chunk))
			for j, id := range chunk {
				claims[j] = store.Claim{ID: id, Channel: "sendgrid", At: time.Now(), Attempts: 0}
			}
			got, err := s.ClaimManyForSending(ctx, claims)
			if err == nil && len(got) != len(chunk) {
				b.Fatalf("claimed %d of %d", len(got), len(chunk))
			}
			return err
		})
		accept += stateStep(b, s, ids, func(chunk []int64) error { return s.MarkManySent(ctx, sents(chunk)) })
		acceptAlone += stateStep(b, s, alone, func(chunk []int64) error { return s.MarkManySent(ctx, sents(chunk)) })
		n += *stateLetters
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	b.ReportMetric(per(load), "load-pg-µs/letter")
	b.ReportMetric(per(claim), "claim-pg-µs/letter")
	b.ReportMetric(per(accept), "accept-pg-µs/letter")
	b.ReportMetric(per(acceptAlone), "accept-unclaimed-pg-µs/letter")
	b.ReportMetric(per(load+claim+accept), "all-pg-µs/letter")
}

// sents are acceptances of letters by SendGrid.
func sents(ids []int64) []store.Sent {
	out := make([]store.Sent, len(ids))
	for i, id := range ids {
		out[i] = store.Sent{ID: id, Channel: "sendgrid", ProviderID: "msg-" + strconv.FormatInt(id, 10), At: time.Now()}
	}
	return out
}

// stateStep runs do over ids in chunks of -state-flush from 4 goroutines
// and returns the CPU this database's backends used meanwhile.
func stateStep(b *testing.B, s *store.Store, ids []int64, do func([]int64) error) time.Duration {
	b.Helper()
	chunks := make(chan []int64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	// Open the connections first, so that no backend's start-up is
	// counted in the step.
	for range 4 {
		wg.Go(func() {
			for c := range chunks {
				if err := do(c); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}
		})
	}
	warm := make([]int64, 0)
	for range 4 {
		chunks <- warm
	}
	before := storetest.BackendCPU(b, s)
	for i := 0; i < len(ids); i += *stateFlush {
		chunks <- ids[i:min(i+*stateFlush, len(ids))]
	}
	close(chunks)
	wg.Wait()
	used := storetest.BackendCPU(b, s).Since(before)
	if first != nil {
		b.Fatal(first)
	}
	return used
}
