package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/config"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/tracking"
)

// legacyVersion is the last migration before personal data at rest was
// sealed (00013): a database an earlier version left.
const legacyVersion = 12

// legacy is what an earlier version stored in clear.
type legacy struct {
	reply, answer, outboxMsg int64
	email                    string
}

// exec runs a statement with ? placeholders on either dialect and returns
// the id of the row it inserted (RETURNING id), if any.
func execID(t *testing.T, db *sql.DB, d store.Dialect, q string, args ...any) int64 {
	t.Helper()
	if d == store.Postgres {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", "$"+strconv.Itoa(i), 1)
		}
	}
	var id int64
	if strings.Contains(q, "RETURNING") {
		if err := db.QueryRow(q, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return 0
}

// writeLegacy stores, with the SQL of a version before 00013, a letter
// with an office's reply and a survey answer in clear, and a supporter
// email in the outbox with no recipient index.
func writeLegacy(t *testing.T, s *store.Store, keys *seal.Keys) legacy {
	t.Helper()
	db, d := s.DB(), s.Dialect()
	now := time.Now().UTC()
	camp := execID(t, db, d, `INSERT INTO campaigns (slug, title, targets, loc_topic, status, current_version, created_at, updated_at)
		VALUES ('legacy', 'Legacy', 'both', 'Immigration', 'live', 1, ?, ?) RETURNING id`, now, now)
	sub := execID(t, db, d, `INSERT INTO submissions (campaign_id, email_index, sealed, created_at) VALUES (?, ?, 'x', ?) RETURNING id`,
		camp, keys.Index("email", "ana@example.org"), now)
	letter := execID(t, db, d, `INSERT INTO letters (campaign_id, submission_id, bioguide_id, office_code, chamber, state, template_version,
		sealed, delivery_id, reply_token, status, created_at, updated_at)
		VALUES (?, ?, 'P000197', 'HCA11', 'house', 'CA', 1, 'x', 'legacy-delivery', 'legacytoken', 'sent', ?, ?) RETURNING id`, camp, sub, now, now)
	// The submission and the letter were sealed already in those versions,
	// with the keys serve will find (it checks them against these rows).
	subSealed, err := keys.SealJSON(action.Sealed{Form: action.Form{FirstName: "Ana", Email: "ana@example.org"}}, action.SubmissionAAD(sub))
	if err != nil {
		t.Fatal(err)
	}
	execID(t, db, d, `UPDATE submissions SET sealed = ? WHERE id = ?`, subSealed, sub)
	letterSealed, err := keys.SealJSON(delivery.Sealed{Subject: "S", Body: "Dear Representative Pelosi"}, delivery.LetterAAD(letter))
	if err != nil {
		t.Fatal(err)
	}
	execID(t, db, d, `UPDATE letters SET sealed = ? WHERE id = ?`, letterSealed, letter)
	var l legacy
	l.email = "ana@example.org"
	l.reply = execID(t, db, d, `INSERT INTO inbound_replies (letter_id, from_addr, subject, body, received_at)
		VALUES (?, 'office@pelosi.house.gov', 'Re: Ana Garcia', 'Dear Ana Garcia of 3200 24th St, thank you.', ?) RETURNING id`, letter, now)
	l.answer = execID(t, db, d, `INSERT INTO survey_answers (letter_id, answer, note, reply_text, answered_at)
		VALUES (?, 'replied', 'They wrote back to Ana.', 'Dear Ana Garcia, ...', ?) RETURNING id`, letter, now)
	l.outboxMsg = execID(t, db, d, `INSERT INTO outbox_messages (kind, sealed, created_at) VALUES ('supporter', '-', ?) RETURNING id`, now)
	sealed, err := keys.SealJSON(outbox.Stored{Kind: "supporter", Email: &delivery.Email{To: "Ana@Example.org", Subject: "Your letters"}},
		delivery.OutboxAAD(l.outboxMsg))
	if err != nil {
		t.Fatal(err)
	}
	execID(t, db, d, `UPDATE outbox_messages SET sealed = ? WHERE id = ?`, sealed, l.outboxMsg)
	return l
}

// checkSealed asserts that the legacy rows are sealed and their plaintext
// gone, and returns the stored ciphertexts.
func checkSealed(t *testing.T, s *store.Store, keys *seal.Keys, l legacy) (string, string) {
	t.Helper()
	db := s.DB()
	var from, subject, body, replySealed string
	if err := db.QueryRow(`SELECT from_addr, subject, body, sealed FROM inbound_replies WHERE id = `+strconv.FormatInt(l.reply, 10)).
		Scan(&from, &subject, &body, &replySealed); err != nil {
		t.Fatal(err)
	}
	if from+subject+body != "" {
		t.Errorf("reply still in clear: %q %q %q", from, subject, body)
	}
	r, _, err := tracking.OpenReply(keys, l.reply, replySealed)
	if err != nil || r.From != "office@pelosi.house.gov" || r.Subject != "Re: Ana Garcia" || !strings.Contains(r.Body, "3200 24th St") {
		t.Errorf("sealed reply opens to %+v, %v", r, err)
	}
	var note, replyText, answerSealed string
	if err := db.QueryRow(`SELECT note, reply_text, sealed FROM survey_answers WHERE id = `+strconv.FormatInt(l.answer, 10)).
		Scan(&note, &replyText, &answerSealed); err != nil {
		t.Fatal(err)
	}
	if note+replyText != "" {
		t.Errorf("survey answer still in clear: %q %q", note, replyText)
	}
	txt, err := followup.OpenSurveyText(keys, l.answer, answerSealed)
	if err != nil || txt.Note != "They wrote back to Ana." || txt.ReplyText != "Dear Ana Garcia, ..." {
		t.Errorf("sealed survey text opens to %+v, %v", txt, err)
	}
	var idx sql.NullString
	if err := db.QueryRow(`SELECT email_index FROM outbox_messages WHERE id = ` + strconv.FormatInt(l.outboxMsg, 10)).Scan(&idx); err != nil {
		t.Fatal(err)
	}
	if idx.String != keys.Index("email", "ana@example.org") {
		t.Errorf("legacy outbox email indexed as %v", idx)
	}
	return replySealed, answerSealed
}

// TestUpgradeSealsPlaintextRows: a database an earlier version left with
// replies and survey text in clear is migrated; from then on the database
// refuses new plaintext, and the start-up step seals what is there (once:
// a second run changes nothing), so delete-my-data finds the old outbox
// email too.
func TestUpgradeSealsPlaintextRows(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			s := storetest.Unmigrated(t, d)
			storetest.MigrateTo(t, s, legacyVersion)
			keys := seal.NewRandom()
			l := writeLegacy(t, s, keys)
			if _, err := s.Migrate(ctx, log); err != nil {
				t.Fatal(err)
			}
			// the plaintext columns take nothing new, before or after sealing
			var letter int64
			if err := s.DB().QueryRow(`SELECT letter_id FROM inbound_replies WHERE id = ` + strconv.FormatInt(l.reply, 10)).Scan(&letter); err != nil {
				t.Fatal(err)
			}
			refused := func(q string) {
				t.Helper()
				if d == store.Postgres {
					q = strings.Replace(q, "?", "$1", 1)
				}
				if _, err := s.DB().Exec(q, letter); err == nil {
					t.Errorf("the database took plaintext: %s", q)
				}
			}
			refused(`INSERT INTO inbound_replies (letter_id, body, received_at) VALUES (?, 'Dear Ana', CURRENT_TIMESTAMP)`)
			refused(`INSERT INTO survey_answers (letter_id, answer, note, answered_at) VALUES (?, 'replied', 'Ana', CURRENT_TIMESTAMP)`)

			// two replicas starting together: each row is sealed once
			errs := make(chan error, 2)
			for range 2 {
				go func() { errs <- sealAtStart(ctx, s, keys, log) }()
			}
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			r1, a1 := checkSealed(t, s, keys, l)
			refused(`UPDATE inbound_replies SET subject = 'Ana' WHERE letter_id = ?`)
			refused(`UPDATE survey_answers SET reply_text = 'Ana' WHERE letter_id = ?`)
			if err := sealAtStart(ctx, s, keys, log); err != nil {
				t.Fatal(err)
			}
			if r2, a2 := checkSealed(t, s, keys, l); r2 != r1 || a2 != a1 {
				t.Error("a second start sealed the rows again")
			}
			// delete-my-data finds the email an earlier version kept
			if _, err := s.EraseSupporter(ctx, keys.Index("email", l.email), store.Audit{Action: "test"}); err != nil {
				t.Fatal(err)
			}
			msgs, err := s.Outbox(ctx, "", 0, 100)
			if err != nil || len(msgs) != 0 {
				t.Errorf("outbox after erasure: %d messages, %v", len(msgs), err)
			}
		})
	}
}

// TestServeSealsAtStart: outreach serve runs the step before it serves.
func TestServeSealsAtStart(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"OUTREACH_DATA_DIR": dir, "OUTREACH_DEMO": "false", "OUTREACH_ADDR": "127.0.0.1:0", "OUTREACH_LOG_LEVEL": "info"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	keys, _, err := seal.CreateFile(keysFile(cfg)) // the keys serve will find
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "outreach.db")})
	if err != nil {
		t.Fatal(err)
	}
	storetest.MigrateTo(t, s, legacyVersion)
	l := writeLegacy(t, s, keys)
	s.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- cmdServe(ctx, nil, func(k string) string { return env[k] }, io.Discard, logs) }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), "outreach ready") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", logs.String())
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("serve: %v", err)
	}
	if !strings.Contains(logs.String(), "personal data stored in clear by an earlier version is now sealed") {
		t.Errorf("no log line for the sealing step:\n%s", logs.String())
	}
	s, err = store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "outreach.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkSealed(t, s, keys, l)
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
