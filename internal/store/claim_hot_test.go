package store_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// On PostgreSQL the claim before a send is a heap-only (HOT) update: it
// changes no indexed column of letters (the stored status stays, the
// letter reads as "sending"), and the fill factor (00031, 30% since
// 00037 moved the texts out and a page holds many more letters) leaves
// room for the new row versions on its page, even when a claim and then
// an acceptance take all the letters of a page at once. An index or a claim that broke that
// would make every claim rewrite all of the letters' indexes again.
func TestClaimIsHeapOnly(t *testing.T) {
	s := storetest.Postgres(t)
	_, ids := claimHeapOnly(t, s)
	byID, _ := s.LettersByIDs(context.Background(), ids)
	if l := byID[ids[0]]; l.Status != "sending" || l.SendingSince == nil {
		t.Errorf("claimed letter: %+v", l)
	}
}

// claimHeapOnly stores 60 letters (texts of 1.3 KB) and claims them all in one
// flush, failing the test unless every claim was heap-only.
func claimHeapOnly(t *testing.T, s *store.Store) (campID int64, ids []int64) {
	t.Helper()
	ctx := context.Background()
	campID, subID := letterFixture(t, s)
	ids, err := s.CreateLetters(ctx, newLetters(campID, subID, 0, 60, func(int64) (string, error) { return strings.Repeat("s", 1300), nil }), nil)
	if err != nil {
		t.Fatal(err)
	}
	claims := make([]store.Claim, len(ids))
	for i, id := range ids {
		claims[i] = store.Claim{ID: id, Channel: "sendgrid", At: time.Now(), Attempts: 0}
	}
	heapOnly(t, s, len(ids), "claims", func() {
		if got, err := s.ClaimManyForSending(ctx, claims); err != nil || len(got) != len(ids) {
			t.Fatalf("claimed %d of %d: %v", len(got), len(ids), err)
		}
	})
	return campID, ids
}

// The provider's acceptance is heap-only too (migration 00036: no index
// holds status or sent_at, and the problems index's generated column
// stays false), whether it makes letters "sent", "delivered" or "outbox";
// a failure, which changes problem, is not. Before 00036 the acceptance
// wrote an entry in every index on letters for each letter accepted.
func TestAcceptanceIsHeapOnly(t *testing.T) {
	s := storetest.Postgres(t)
	ctx := context.Background()
	// Claimed first, and counted, so the claims are not counted as
	// acceptances.
	campID, ids := claimHeapOnly(t, s)
	sent := make([]store.Sent, len(ids)-1)
	for i, id := range ids[1:] {
		sent[i] = store.Sent{ID: id, Channel: "sendgrid", ProviderID: "msg-" + strconv.Itoa(i), Delivered: i%3 == 1, Kept: i%3 == 2, At: time.Now()}
	}
	heapOnly(t, s, len(sent), "acceptances", func() {
		if err := s.MarkManySent(ctx, sent); err != nil {
			t.Fatal(err)
		}
	})
	byID, _ := s.LettersByIDs(ctx, ids)
	if l := byID[ids[1]]; l.Status != "sent" || l.SentAt == nil || l.ProviderID != "msg-0" {
		t.Errorf("accepted letter: %+v", l)
	}
	if l := byID[ids[2]]; l.Status != "delivered" {
		t.Errorf("accepted and delivered letter: %q", l.Status)
	}
	// A failure changes problem: the letter joins the problems index.
	if err := s.MarkFailed(ctx, ids[0], "sendgrid", "refused", time.Now()); err != nil {
		t.Fatal(err)
	}
	if ls, err := s.Letters(ctx, store.LetterFilter{CampaignID: campID, Status: "failed"}); err != nil || len(ls) != 1 || ls[0].ID != ids[0] {
		t.Errorf("failed letters: %+v (%v)", ls, err)
	}
	var problems int
	if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM letters WHERE problem").Scan(&problems); err != nil || problems != 1 {
		t.Errorf("letters with problem set: %d (%v), want 1", problems, err)
	}
}

// heapOnly runs do, which makes n updates of letters, and fails the test
// unless all of them were heap-only.
func heapOnly(t *testing.T, s *store.Store, n int, what string, do func()) {
	t.Helper()
	ctx := context.Background()
	counts := func() (upd, hot int64) {
		// Backends report their counts at most once a second.
		if err := s.DB().QueryRowContext(ctx, "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'letters'").Scan(&upd, &hot); err != nil {
			t.Fatal(err)
		}
		return upd, hot
	}
	upd0, hot0 := counts()
	do()
	var upd, hotUpd int64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if upd, hotUpd = counts(); upd-upd0 >= int64(n) {
			break
		}
	}
	if upd-upd0 < int64(n) {
		t.Fatalf("the %s' updates were not counted: %d", what, upd-upd0)
	}
	if hotUpd-hot0 < int64(n) {
		t.Errorf("%d updates, %d of them heap-only; want the %d %s heap-only", upd-upd0, hotUpd-hot0, n, what)
	}
}

// A claimed letter keeps its stored status and reads as "sending"
// everywhere staff and metrics look: loaded letters, counts (per
// campaign, since a time), the status filter, the gauges; and the claim
// still refuses a second claim on a stale count.
func TestClaimedLetterReadsAsSending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		campID, subID := letterFixture(t, s)
		ids, err := s.CreateLetters(ctx, newLetters(campID, subID, 0, 3, func(int64) (string, error) { return "x", nil }), nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now().Add(-time.Minute)
		if got, err := s.ClaimManyForSending(ctx, []store.Claim{{ID: ids[0], Channel: "sendgrid", At: time.Now(), Attempts: 0}}); err != nil || !got[ids[0]] {
			t.Fatalf("claim: %v %v", got, err)
		}
		if got, _ := s.ClaimManyForSending(ctx, []store.Claim{{ID: ids[0], Channel: "sendgrid", At: time.Now(), Attempts: 0}}); got[ids[0]] {
			t.Fatal("a second claim on the same count succeeded")
		}
		if l, err := s.LetterByID(ctx, ids[0]); err != nil || l.Status != "sending" {
			t.Errorf("LetterByID: %q %v", l.Status, err)
		}
		want := map[string]int64{"sending": 1, "pending": 2}
		if c, err := s.LetterCounts(ctx, campID); err != nil || c["sending"] != 1 || c["pending"] != 2 || len(c) != 2 {
			t.Errorf("LetterCounts %v (%v), want %v", c, err, want)
		}
		if c, err := s.LetterCountsSince(ctx, campID, start); err != nil || c["sending"] != 1 || c["pending"] != 2 || len(c) != 2 {
			t.Errorf("LetterCountsSince %v (%v), want %v", c, err, want)
		}
		for status, n := range map[string]int{"sending": 1, "pending": 2, "queued": 0} {
			if ls, err := s.Letters(ctx, store.LetterFilter{CampaignID: campID, Status: status}); err != nil || len(ls) != n {
				t.Errorf("Letters(status %s): %d (%v), want %d", status, len(ls), err, n)
			}
		}
		// Waiting means not taken by a channel yet: a delivery wave and the
		// coverage view leave the claimed letter out.
		if q, err := s.QueuedLetters(ctx, campID, 10); err != nil || len(q) != 2 {
			t.Errorf("QueuedLetters: %d (%v), want the 2 unclaimed", len(q), err)
		}
		var waiting int64
		if w, err := s.WaitingByOffice(ctx, campID); err != nil {
			t.Fatal(err)
		} else {
			for _, o := range w {
				waiting += o.N
			}
		}
		if waiting != 2 {
			t.Errorf("WaitingByOffice: %d, want the 2 unclaimed", waiting)
		}
		gauges, err := s.LetterGauges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var sending int64
		for _, g := range gauges {
			if g.A == "sending" {
				sending += g.N
			}
		}
		if sending < 1 {
			t.Errorf("gauges %+v count no letter sending", gauges)
		}
		// The attempt's outcome ends "sending": a retry waits queued.
		if err := s.MarkRetry(ctx, ids[0], "sendgrid", "503", time.Now()); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.LetterByID(ctx, ids[0]); l.Status != "queued" || l.SendingSince != nil {
			t.Errorf("after a retry: %q, sending since %v", l.Status, l.SendingSince)
		}
	})
}

// A claim writes no timeline row (a row per letter was a quarter of its
// cost), yet every attempt is on the timeline: the attempt in progress and
// an accepted attempt are read from the letter (when it began), and an
// attempt that ends otherwise (retry, failure, unknown outcome, or a new
// claim after the process sending it stopped) gets its row then, once.
// Rows written before this (an attempt row per claim) show as they are.
// The acceptance writes no row either (migration 00038): its line is read
// from the letter, in its place before the provider's events and the
// office's reply, and a requeue stores it before the letter goes out
// again.
func TestTimelineShowsEveryAttempt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		campID, subID := letterFixture(t, s)
		ids, err := s.CreateLetters(ctx, newLetters(campID, subID, 0, 6, func(int64) (string, error) { return "x", nil }), nil)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
		claim := func(id int64, sec int, prev *time.Time) {
			t.Helper()
			l, err := s.LetterByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.ClaimManyForSending(ctx, []store.Claim{{ID: id, Channel: "sendgrid", At: at(sec), Attempts: l.Attempts, Prev: prev, PrevChannel: "sendgrid"}}); err != nil || !got[id] {
				t.Fatalf("claim %d: %v %v", id, got, err)
			}
		}
		accept := func(id int64, sec int) {
			t.Helper()
			if err := s.MarkManySent(ctx, []store.Sent{{ID: id, Channel: "sendgrid", ProviderID: "p", Detail: "sendgrid accepted (202)", At: at(sec)}}); err != nil {
				t.Fatal(err)
			}
		}
		rows := func(id int64) int {
			var n int
			if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM letter_events WHERE letter_id = "+strconv.FormatInt(id, 10)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		want := func(id int64, want string) {
			t.Helper()
			ev, err := s.Timeline(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range ev {
				line := e.Kind
				if e.Kind != "created" {
					line += "@" + strconv.Itoa(int(e.At.Sub(t0).Round(time.Second)/time.Second))
				}
				got = append(got, line)
			}
			if strings.Join(got, " ") != want {
				t.Errorf("letter %d timeline: %s, want %s", id, strings.Join(got, " "), want)
			}
		}

		// Accepted at the first attempt: no row for the claim.
		a := ids[0]
		claim(a, 1, nil)
		if n := rows(a); n != 0 {
			t.Errorf("the claim wrote %d timeline rows", n)
		}
		want(a, "created attempt@1")
		accept(a, 2)
		want(a, "created attempt@1 sent@2")
		if n := rows(a); n != 0 {
			t.Errorf("an accepted letter has %d timeline rows, want none (its acceptance is on the letter)", n)
		}
		if ev, err := s.Timeline(ctx, a); err != nil || ev[2].Status != "sent" || ev[2].Detail != "sendgrid accepted (202)" || ev[2].Channel != "sendgrid" {
			t.Errorf("acceptance line %+v, %v", ev[2], err)
		}

		// Delivered (the provider's clock a second behind ours), replied
		// to, bounced, requeued, sent again: each acceptance in its place.
		f := ids[5]
		claim(f, 1, nil)
		accept(f, 2)
		if _, err := s.ApplyProviderEvent(ctx, uniq("ev"), f, "delivered", "delivered", "", at(1)); err != nil {
			t.Fatal(err)
		}
		if err := s.NoteEvent(ctx, f, "reply", "", "the office wrote back", at(5)); err != nil {
			t.Fatal(err)
		}
		want(f, "created attempt@1 sent@2 event@1 reply@5")
		if _, err := s.ApplyProviderEvent(ctx, uniq("ev"), f, "bounce", "bounced", "", at(6)); err != nil {
			t.Fatal(err)
		}
		enq := func(context.Context, *sql.Tx, []int64) error { return nil }
		if got, err := s.Requeue(ctx, []int64{f}, enq, store.Audit{Action: "test.requeue"}); err != nil || len(got) != 1 {
			t.Fatalf("requeue: %v, %v", got, err)
		}
		// (the requeue's time is the real clock's: second 0 here)
		want(f, "created attempt@1 sent@2 event@1 reply@5 event@6 requeue@0")
		claim(f, 8, nil)
		accept(f, 9)
		want(f, "created attempt@1 sent@2 event@1 reply@5 event@6 requeue@0 attempt@8 sent@9")
		if ev, _ := s.Timeline(ctx, f); ev[2].Status != "sent" || ev[2].Detail != "sendgrid accepted (202)" {
			t.Errorf("stored acceptance line %+v", ev[2])
		}

		// A retry, then accepted.
		b := ids[1]
		claim(b, 1, nil)
		if err := s.MarkRetry(ctx, b, "sendgrid", "503", at(2)); err != nil {
			t.Fatal(err)
		}
		claim(b, 3, nil)
		accept(b, 4)
		want(b, "created attempt@1 retry@2 attempt@3 sent@4")

		// The process sending it stopped: the next claim writes the first
		// attempt's line; then accepted.
		c := ids[2]
		claim(c, 1, nil)
		first := at(1)
		claim(c, 3, &first)
		claim2 := rows(c)
		accept(c, 4)
		want(c, "created attempt@1 attempt@3 sent@4")
		if claim2 != 1 {
			t.Errorf("the claim after a stop wrote %d rows, want 1 (the stopped attempt)", claim2)
		}

		// Unknown outcome, then given up: one attempt line.
		d := ids[3]
		claim(d, 1, nil)
		if err := s.MarkUnknown(ctx, d, "sendgrid", "connection reset", at(2)); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkFailed(ctx, d, "sendgrid", "gave up", at(3)); err != nil {
			t.Fatal(err)
		}
		want(d, "created attempt@1 unknown@2 failed@3")

		// Written before: an attempt row per claim, sending_since cleared.
		e := ids[4]
		for _, ev := range []store.LetterEvent{
			{LetterID: e, At: at(1), Kind: "attempt", Channel: "sendgrid", Status: "sending"},
			{LetterID: e, At: at(2), Kind: "sent", Channel: "sendgrid", Status: "sent"},
		} {
			if err := s.NoteEvent(ctx, ev.LetterID, ev.Kind, ev.Channel, "", ev.At); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.DB().ExecContext(ctx, "UPDATE letters SET status = 'sent', sent_at = created_at WHERE id = "+strconv.FormatInt(e, 10)); err != nil {
			t.Fatal(err)
		}
		want(e, "created attempt@1 sent@2")
	})
}
