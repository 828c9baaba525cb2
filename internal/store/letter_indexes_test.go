package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// Every index on letters costs a write for each letter stored and for
// each status change; each one must be needed. An index that enforces a
// rule (unique) is needed by the rule, which the tests of repeats prove;
// every other index names the query it serves, and EXPLAIN shows that
// query using it (with sequential scans off: the test table is small). A
// new index on letters fails this test until it is added here with its
// query.
func TestLetterIndexesServeTheirQueries(t *testing.T) {
	s := storetest.Postgres(t)
	ctx := context.Background()
	campID, subID := letterFixture(t, s)
	ids, err := s.CreateLetters(ctx, newLetters(campID, subID, 0, 200, func(int64) (string, error) { return "x", nil }), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, ids[7], "sendgrid", "refused", time.Now()); err != nil {
		t.Fatal(err)
	}
	var token string
	if err := s.DB().QueryRowContext(ctx, "SELECT reply_token FROM letters WHERE id = $1", ids[3]).Scan(&token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, "ANALYZE letters"); err != nil {
		t.Fatal(err)
	}

	// Indexes that enforce a rule on every letter written.
	rules := map[string]string{
		"letters_pkey":                   "a letter's id",
		"letters_submission_office_kind": "one letter per submission, office and kind",
		"letters_first_per_supporter":    "one first letter per email and office on a campaign",
		"letters_followup_of":            "at most one second letter per first letter",
	}
	// Indexes for the queries that need them (the store's own statements,
	// with the values of this test's letters).
	queries := map[string]struct {
		sql  string
		args []any
	}{
		"letters_pkey":            {"SELECT * FROM letters WHERE id IN ($1, $2)", []any{ids[0], ids[1]}},                          // LettersByIDs, claims, acceptances
		"letters_reply_token_key": {"SELECT * FROM letters WHERE reply_token = $1", []any{token}},                                 // LetterByReplyToken
		"letters_campaign":        {"SELECT status, COUNT(*) FROM letters WHERE campaign_id = $1 GROUP BY status", []any{campID}}, // LetterCounts
		"letters_office": {"SELECT COUNT(*) FROM letters WHERE office_code = $1 AND sent_at >= $2", // OfficeSentSince (pacing)
			[]any{"HCA11", time.Now().Add(-time.Hour)}},
		"letters_problems": {"SELECT * FROM letters WHERE problem AND status = $1 ORDER BY id DESC LIMIT 100", []any{"failed"}}, // Letters{Status: "failed"}, FailedLetterCount
	}

	rows, err := s.DB().QueryContext(ctx, "SELECT i.relname, x.indisunique FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "+
		"WHERE x.indrelid = 'letters'::regclass ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	unique := map[string]bool{}
	for rows.Next() {
		var name string
		var u bool
		if err := rows.Scan(&name, &u); err != nil {
			t.Fatal(err)
		}
		names, unique[name] = append(names, name), u
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		_, rule := rules[name]
		_, query := queries[name]
		switch {
		case rule && !unique[name]:
			t.Errorf("%s should enforce %q but is not unique", name, rules[name])
		case !rule && !query:
			t.Errorf("index %s on letters has no query that needs it (add it here with its query, or drop it)", name)
		}
	}
	for name := range queries {
		if !slices.Contains(names, name) {
			t.Errorf("index %s is gone", name)
			continue
		}
		q := queries[name]
		plan := explain(t, s, q.sql, q.args...)
		if !strings.Contains(plan, name) {
			t.Errorf("%s does not use %s:\n%s", q.sql, name, plan)
		}
	}
	for name := range rules {
		if !slices.Contains(names, name) {
			t.Errorf("index %s is gone", name)
		}
	}
}

// explain is PostgreSQL's plan of a query, with sequential scans off.
func explain(t *testing.T, s *store.Store, q string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(ctx, "EXPLAIN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
