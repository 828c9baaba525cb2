package store_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// Migration 00037 moves each letter's sealed text out of letters into
// letter_texts, byte for byte, and back on the way down: a letter written
// before it opens after it exactly as it was sealed, and letters no longer
// has the column that every claim and acceptance used to copy.
func TestLetterTextsMigration(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Unmigrated(t, d)
			p := migrationsOf(t, s)
			if _, err := p.UpTo(ctx, 36); err != nil {
				t.Fatal(err)
			}
			campID, subID := letterFixture(t, s)
			texts := map[int64]string{}
			for i, text := range []string{strings.Repeat("é\"\\'x", 300), "", "short"} {
				var id int64
				err := s.DB().QueryRowContext(ctx, `INSERT INTO letters (campaign_id, submission_id, bioguide_id, office_code, chamber, state,
  template_version, sealed, delivery_id, reply_token, status, created_at, updated_at, kind)
  VALUES ($1, $2, $3, 'HCA11', 'house', 'CA', 1, $4, $5, $5, 'pending', $6, $6, 'first') RETURNING id`,
					campID, subID, []string{"P000197", "P000145", "S001150"}[i], text, uniq("lt"), time.Now().UTC()).Scan(&id)
				if err != nil {
					t.Fatal(err)
				}
				texts[id] = text
			}
			if _, err := s.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
				t.Fatal(err)
			}
			if cols := schema(t, s)["letters"]; slices.Contains(cols, "sealed") {
				t.Errorf("letters still has sealed: %v", cols)
			}
			for id, want := range texts {
				l, err := s.LetterByID(ctx, id)
				if err != nil || l.Sealed != want {
					t.Errorf("letter %d after 00037: sealed %.20q, %v; want %.20q", id, l.Sealed, err, want)
				}
			}
			if _, err := p.DownTo(ctx, 36); err != nil {
				t.Fatal(err)
			}
			for id, want := range texts {
				var got string
				if err := s.DB().QueryRowContext(ctx, "SELECT sealed FROM letters WHERE id = $1", id).Scan(&got); err != nil || got != want {
					t.Errorf("letter %d after 00037 down: sealed %.20q, %v", id, got, err)
				}
			}
			if _, ok := schema(t, s)["letter_texts"]; ok {
				t.Error("letter_texts left after 00037 down")
			}
		})
	}
}
