package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

func TestGauges(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		db := st.DB()
		// Letters of two statuses and channels, and jobs of several states.
		campID, subID := letterFixture(t, st)
		ids, err := st.CreateLetters(ctx, newLetters(campID, subID, 0, 3, func(int64) (string, error) { return "-", nil }), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.MarkFailed(ctx, ids[0], "cwc", "refused", time.Now()); err != nil {
			t.Fatal(err)
		}
		// The channel column is set when a channel claims the letter.
		if _, err := db.ExecContext(ctx, `UPDATE letters SET channel = 'cwc' WHERE id = `+itoa(ids[0])); err != nil {
			t.Fatal(err)
		}
		letters, err := st.LetterGauges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantL := []store.Gauge{{A: "failed", B: "cwc", N: 1}, {A: "pending", B: "", N: 2}}
		if len(letters) != 2 || letters[0] != wantL[0] || letters[1] != wantL[1] {
			t.Errorf("letter gauges = %+v, want %+v", letters, wantL)
		}
		for _, q := range []string{
			`INSERT INTO river_job (kind, queue, state, args, max_attempts, priority, scheduled_at) VALUES ('deliver', 'delivery', 'available', '{}', 25, 1, CURRENT_TIMESTAMP)`,
			`INSERT INTO river_job (kind, queue, state, args, max_attempts, priority, scheduled_at) VALUES ('deliver', 'delivery', 'available', '{}', 25, 1, CURRENT_TIMESTAMP)`,
			`INSERT INTO river_job (kind, queue, state, args, max_attempts, priority, scheduled_at, finalized_at) VALUES ('deliver', 'delivery', 'completed', '{}', 25, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
			`INSERT INTO river_job (kind, queue, state, args, max_attempts, priority, scheduled_at) VALUES ('mail', 'supporter_mail', 'retryable', '{}', 25, 1, CURRENT_TIMESTAMP)`,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		jobs, err := st.JobGauges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.Gauge{{A: "delivery", B: "available", N: 2}, {A: "supporter_mail", B: "retryable", N: 1}}
		if len(jobs) != len(want) || jobs[0] != want[0] || jobs[1] != want[1] {
			t.Errorf("job gauges = %+v, want %+v (finished jobs are not queued)", jobs, want)
		}
	})
}
