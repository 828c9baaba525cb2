package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// letterFixture is a campaign with one pending submission.
func letterFixture(t testing.TB, s *store.Store) (campaignID, submissionID int64) {
	t.Helper()
	ctx := context.Background()
	u := campaignUser(t, s)
	c, err := s.CreateCampaign(ctx, newCampaign(uniq("deliv")), store.Audit{ActorID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.CreateSubmission(ctx, store.Submission{CampaignID: c.ID, EmailIndex: uniq("e"), Lang: "en"},
		func(int64) (string, error) { return "-", nil })
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, sub.ID
}

// sealRecorder seals each letter as "sealed:<id>" and remembers the ids.
type sealRecorder struct {
	mu  sync.Mutex
	ids []int64
}

func (r *sealRecorder) seal(id int64) (string, error) {
	r.mu.Lock()
	r.ids = append(r.ids, id)
	r.mu.Unlock()
	return fmt.Sprintf("sealed:%d", id), nil
}

func newLetters(campaignID, submissionID int64, from, n int, seal func(int64) (string, error)) []store.NewLetter {
	out := make([]store.NewLetter, n)
	for i := range out {
		out[i] = store.NewLetter{CampaignID: campaignID, SubmissionID: submissionID, BioguideID: fmt.Sprintf("X%06d", from+i),
			OfficeCode: "HCA11", Chamber: "house", State: "CA", TemplateVer: 1, DeliveryID: uniq("d"), ReplyToken: uniq("r"), Seal: seal}
	}
	return out
}

// Letters are written in batches with ids taken up front: every letter's
// ciphertext is bound to the id it is stored under, ids come back in the
// order of the letters, a repeated letter (same submission and office) is
// skipped, and a failed enqueue leaves nothing behind.
func TestCreateLettersInBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		campID, subID := letterFixture(t, s)
		rec := &sealRecorder{}
		var enqueued []int64
		enq := func(_ context.Context, tx *sql.Tx, ids []int64) error {
			if tx == nil {
				return errors.New("no transaction")
			}
			enqueued = append(enqueued, ids...)
			return nil
		}
		letters := newLetters(campID, subID, 0, 1201, rec.seal) // three INSERTs of at most 500
		ids, err := s.CreateLetters(ctx, letters, enq)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != len(letters) || !slices.IsSorted(ids) || !slices.Equal(ids, enqueued) {
			t.Fatalf("%d ids for %d letters (sorted %v), %d enqueued", len(ids), len(letters), slices.IsSorted(ids), len(enqueued))
		}
		sealedFor := slices.Clone(rec.ids)
		slices.Sort(sealedFor)
		if !slices.Equal(sealedFor, ids) {
			t.Fatalf("sealed for ids %v…, stored %v…", sealedFor[:3], ids[:3])
		}
		got, err := s.LettersByIDs(ctx, []int64{ids[0], ids[600], ids[1200], -1})
		if err != nil || len(got) != 3 {
			t.Fatalf("LettersByIDs: %d letters, %v", len(got), err)
		}
		for i, id := range []int64{ids[0], ids[600], ids[1200]} {
			l := got[id]
			if l.Sealed != fmt.Sprintf("sealed:%d", id) || l.Status != "pending" || l.BioguideID != fmt.Sprintf("X%06d", []int{0, 600, 1200}[i]) {
				t.Errorf("letter %d: sealed %q, status %q, office %s", id, l.Sealed, l.Status, l.BioguideID)
			}
		}
		if ev, err := s.Timeline(ctx, ids[1200]); err != nil || len(ev) != 1 || ev[0].Kind != "created" {
			t.Errorf("timeline %+v %v", ev, err)
		}

		// The same offices again plus one new: only the new letter is written.
		enqueued = nil
		again := append(newLetters(campID, subID, 0, 3, rec.seal), newLetters(campID, subID, 5000, 1, rec.seal)...)
		ids2, err := s.CreateLetters(ctx, again, enq)
		if err != nil || len(ids2) != 1 || !slices.Equal(ids2, enqueued) || ids2[0] <= ids[1200] {
			t.Fatalf("repeat: ids %v, enqueued %v, %v", ids2, enqueued, err)
		}
		if l, _ := s.LettersByIDs(ctx, ids2); l[ids2[0]].BioguideID != "X005000" || l[ids2[0]].Sealed != fmt.Sprintf("sealed:%d", ids2[0]) {
			t.Errorf("new letter %+v", l[ids2[0]])
		}

		// An enqueue that fails rolls the letters back.
		_, err = s.CreateLetters(ctx, newLetters(campID, subID, 6000, 30, rec.seal), func(context.Context, *sql.Tx, []int64) error {
			return errors.New("queue down")
		})
		if err == nil {
			t.Fatal("want the enqueue error")
		}
		n, err := s.LetterCounts(ctx, campID)
		if err != nil || n["pending"] != 1202 {
			t.Errorf("after the failed enqueue: %v %v, want 1202 pending", n, err)
		}
	})
}

// Claims and acceptances for many letters at once: a claim made on a stale
// reading (another worker claimed the letter since) fails, the attempt is on
// the timeline only of letters claimed, each letter keeps its own provider
// id, and an acceptance never moves back a letter a webhook moved further
// (but its provider id is still recorded).
func TestClaimAndMarkManySent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		campID, subID := letterFixture(t, s)
		ids, err := s.CreateLetters(ctx, newLetters(campID, subID, 0, 4, func(int64) (string, error) { return "x", nil }), nil)
		if err != nil {
			t.Fatal(err)
		}
		a, b, c, d := ids[0], ids[1], ids[2], ids[3]
		now := time.Now().UTC().Truncate(time.Millisecond)
		claimed, err := s.ClaimManyForSending(ctx, []store.Claim{
			{ID: a, Channel: "sendgrid", At: now, Attempts: 0},
			{ID: b, Channel: "sendgrid", At: now, Attempts: 3}, // stale: b has 0 attempts
			{ID: c, Channel: "outbox", At: now, Attempts: -1},
			{ID: d, Channel: "cwc", At: now, Attempts: 0},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !claimed[a] || claimed[b] || !claimed[c] || !claimed[d] {
			t.Fatalf("claimed %v", claimed)
		}
		// Claiming a again with the count read before the first claim fails.
		if again, err := s.ClaimManyForSending(ctx, []store.Claim{{ID: a, Channel: "sendgrid", At: now, Attempts: 0}}); err != nil || again[a] {
			t.Fatalf("second claim on a stale count: %v %v", again, err)
		}
		got, _ := s.LettersByIDs(ctx, ids)
		if got[a].Status != "sending" || got[a].Attempts != 1 || got[a].SendingSince == nil || got[b].Status != "pending" || got[d].Channel != "cwc" {
			t.Fatalf("after claims: a %+v, b %s", got[a], got[b].Status)
		}
		// Delivery's own load has every field delivery reads, as the whole
		// load has them.
		toSend, err := s.LettersToSend(ctx, ids)
		if err != nil || len(toSend) != len(ids) {
			t.Fatalf("letters to send: %d, %v", len(toSend), err)
		}
		for _, id := range ids {
			w, g := got[id], toSend[id]
			if g.ID != w.ID || g.CampaignID != w.CampaignID || g.OfficeCode != w.OfficeCode || g.Status != w.Status || g.Channel != w.Channel ||
				g.Attempts != w.Attempts || g.ProviderID != w.ProviderID || !reflect.DeepEqual(g.SendingSince, w.SendingSince) ||
				g.DeliveryID != w.DeliveryID || g.ReplyToken != w.ReplyToken || !g.CreatedAt.Equal(w.CreatedAt) || g.Sealed != w.Sealed || g.Sealed != "x" {
				t.Errorf("letter %d to send:\n%+v\nwhole:\n%+v", id, g, w)
			}
			if g.BioguideID != "" || g.SubmissionID != 0 {
				t.Errorf("letter %d to send has columns delivery does not read: %+v", id, g)
			}
		}
		if ev, _ := s.Timeline(ctx, b); len(ev) != 1 {
			t.Errorf("unclaimed letter's timeline %+v", ev)
		}
		if ev, _ := s.Timeline(ctx, a); len(ev) != 2 || ev[1].Kind != "attempt" || ev[1].Channel != "sendgrid" {
			t.Errorf("claimed letter's timeline %+v", ev)
		}

		// d was delivered by the provider's webhook before the acceptance was
		// recorded: it stays delivered.
		if _, err := s.ApplyProviderEvent(ctx, uniq("ev"), d, "delivered", "delivered", "", now); err != nil {
			t.Fatal(err)
		}
		later := now.Add(time.Second + 1234567*time.Nanosecond)
		// PostgreSQL gets the batch as arrays: text that array syntax
		// would misread comes back as it went.
		awkward := `sendgrid accepted (202) "quoted", back\slash, {braces}, NULL, ñ`
		err = s.MarkManySent(ctx, []store.Sent{
			{ID: a, Channel: "sendgrid", ProviderID: "msg-a", Detail: awkward, At: later},
			{ID: c, Channel: "outbox", ProviderID: "outbox-7", Detail: "stored", Delivered: true, At: later},
			{ID: d, Channel: "cwc", ProviderID: "cwc-d", Detail: "cwc accepted", At: later},
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = s.LettersByIDs(ctx, ids)
		// The acceptance keeps when the attempt began: its timeline line.
		if l := got[a]; l.Status != "sent" || l.ProviderID != "msg-a" || l.SentAt == nil || l.SendingSince == nil || l.DeliveredAt != nil {
			t.Errorf("a: %+v", l)
		}
		if ev, _ := s.Timeline(ctx, a); len(ev) != 3 || ev[0].Kind != "created" || ev[1].Kind != "attempt" || ev[1].Channel != "sendgrid" ||
			!ev[1].At.Equal(*got[a].SendingSince) || ev[2].Kind != "sent" {
			t.Errorf("a's timeline %+v, want created, attempt (when it began), sent", ev)
		}
		if l := got[a]; l.SentAt == nil || !l.SentAt.Truncate(time.Microsecond).Equal(later.Truncate(time.Microsecond)) {
			t.Errorf("a sent at %v, accepted at %v", l.SentAt, later)
		}
		if ev, _ := s.Timeline(ctx, a); ev[len(ev)-1].Detail != awkward || !ev[len(ev)-1].At.Truncate(time.Microsecond).Equal(later.Truncate(time.Microsecond)) {
			t.Errorf("a's acceptance on its timeline: %+v", ev[len(ev)-1])
		}
		if l := got[c]; l.Status != "delivered" || l.ProviderID != "outbox-7" || l.DeliveredAt == nil {
			t.Errorf("c: %+v", l)
		}
		if l := got[d]; l.Status != "delivered" || l.ProviderID != "cwc-d" {
			t.Errorf("d went back, or its provider id was not kept: %+v", l)
		}
		// Its acceptance is a row, shown before the provider's event that
		// was recorded first: the provider accepted, then delivered.
		if ev, _ := s.Timeline(ctx, d); len(ev) != 4 || ev[2].Kind != "sent" || ev[2].Detail != "cwc accepted" || ev[3].Kind != "event" {
			t.Errorf("d's timeline lacks the acceptance before the delivery: %+v", ev)
		}
	})
}

// A large batch (written by COPY on PostgreSQL) that repeats letters
// already stored, or that races other batches writing the same letters,
// stores each letter once: the repeats are skipped, the new letters are
// written with ciphertexts bound to their ids, and every writer learns
// which letters were its own.
func TestCreateLettersLargeBatchRepeats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		campID, subID := letterFixture(t, s)
		rec := &sealRecorder{}
		first, err := s.CreateLetters(ctx, newLetters(campID, subID, 0, 100, rec.seal), nil)
		if err != nil || len(first) != 100 {
			t.Fatalf("%d letters, %v", len(first), err)
		}
		// 50 repeats and 150 new letters in one batch.
		var enqueued []int64
		ids, err := s.CreateLetters(ctx, newLetters(campID, subID, 50, 200, rec.seal), func(_ context.Context, _ *sql.Tx, ids []int64) error {
			enqueued = append(enqueued, ids...)
			return nil
		})
		if err != nil || len(ids) != 150 || !slices.Equal(ids, enqueued) {
			t.Fatalf("%d ids (want 150), %d enqueued, %v", len(ids), len(enqueued), err)
		}
		got, err := s.LettersByIDs(ctx, ids)
		if err != nil || len(got) != 150 {
			t.Fatalf("%d letters, %v", len(got), err)
		}
		for _, id := range ids {
			if got[id].Sealed != fmt.Sprintf("sealed:%d", id) || got[id].BioguideID < "X000100" {
				t.Fatalf("letter %d: %+v", id, got[id])
			}
		}
		if ev, err := s.Timeline(ctx, ids[149]); err != nil || len(ev) != 1 || ev[0].Kind != "created" {
			t.Errorf("timeline %+v %v", ev, err)
		}

		// Four writers of the same 300 letters (offices 200–499, of which
		// 200–249 are stored already) at once.
		var wg sync.WaitGroup
		written := make([][]int64, 4)
		errs := make([]error, 4)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				written[w], errs[w] = s.CreateLetters(ctx, newLetters(campID, subID, 200, 300, rec.seal), nil)
			}()
		}
		wg.Wait()
		total := 0
		for w := range 4 {
			if errs[w] != nil {
				t.Fatalf("writer %d: %v", w, errs[w])
			}
			total += len(written[w])
		}
		n, err := s.LetterCounts(ctx, campID)
		if err != nil || total != 250 || n["pending"] != 500 {
			t.Fatalf("the writers stored %d letters (want 250); counts %v %v (want 500 pending)", total, n, err)
		}
	})
}

// TestNewLettersReachTheRollups: a new letter stores no timeline row (the
// timeline's "created" line is read from the letter itself), yet the
// minute tick's refresh finds the offices of new letters by the letters'
// own high-water mark, as it finds changed ones by their events.
func TestNewLettersReachTheRollups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		campID, subID := letterFixture(t, s)
		seal := func(id int64) (string, error) { return fmt.Sprintf("sealed:%d", id), nil }
		if _, err := s.CreateLetters(ctx, newLetters(campID, subID, 0, 2, seal), nil); err != nil {
			t.Fatal(err)
		}
		if _, full, err := s.RefreshChangedRollups(ctx, 1000); err != nil || !full {
			t.Fatalf("first refresh: full %v, %v", full, err)
		}
		if n, full, err := s.RefreshChangedRollups(ctx, 1000); err != nil || full || n != 0 {
			t.Fatalf("nothing changed: %d offices, full %v, %v", n, full, err)
		}
		// A full refresh (the schedule's) sets both marks: the tick after
		// it refreshes nothing, even on a database that had no letters'
		// mark yet (an upgrade).
		if _, err := s.DB().Exec("DELETE FROM app_settings WHERE key = 'tracking.rollups_letter_mark'"); err != nil {
			t.Fatal(err)
		}
		if err := s.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		if n, full, err := s.RefreshChangedRollups(ctx, 1000); err != nil || full || n != 0 {
			t.Fatalf("after a full refresh: %d offices, full %v, %v", n, full, err)
		}
		ids, err := s.CreateLetters(ctx, newLetters(campID, subID, 900, 3, seal), nil)
		if err != nil {
			t.Fatal(err)
		}
		var rows int64
		if err := s.DB().QueryRow("SELECT COUNT(*) FROM letter_events WHERE letter_id >= " + strconv.FormatInt(ids[0], 10)).Scan(&rows); err != nil || rows != 0 {
			t.Errorf("%d timeline rows stored for new letters (%v)", rows, err)
		}
		if n, full, err := s.RefreshChangedRollups(ctx, 1000); err != nil || full || n != 3 {
			t.Fatalf("after three new letters to three offices: %d offices, full %v, %v", n, full, err)
		}
		l, err := s.LetterByID(ctx, ids[1])
		if err != nil {
			t.Fatal(err)
		}
		ev, err := s.Timeline(ctx, ids[1])
		if err != nil || len(ev) != 1 || ev[0].Kind != "created" || ev[0].Status != "pending" || !ev[0].At.Equal(l.CreatedAt) {
			t.Fatalf("timeline %+v (created %v), %v", ev, l.CreatedAt, err)
		}
	})
}

// TestAcceptancesReachTheRollups: an acceptance stores no timeline row
// (migration 00038), yet the minute tick's refresh finds the offices of
// the letters it accepted, through the one letter_changes row the
// acceptance wrote, and deletes that row once read.
func TestAcceptancesReachTheRollups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		campID, subID := letterFixture(t, s)
		seal := func(id int64) (string, error) { return fmt.Sprintf("sealed:%d", id), nil }
		ids, err := s.CreateLetters(ctx, newLetters(campID, subID, 0, 3, seal), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		if n, full, err := s.RefreshChangedRollups(ctx, 1000); err != nil || full || n != 0 {
			t.Fatalf("nothing changed: %d offices, full %v, %v", n, full, err)
		}
		now := time.Now()
		sent := []store.Sent{{ID: ids[0], Channel: "sendgrid", ProviderID: "a", At: now}, {ID: ids[2], Channel: "sendgrid", ProviderID: "b", At: now}}
		if err := s.MarkManySent(ctx, sent); err != nil {
			t.Fatal(err)
		}
		var events, changes int64
		if err := s.DB().QueryRow("SELECT COUNT(*) FROM letter_events WHERE letter_id >= " + strconv.FormatInt(ids[0], 10)).Scan(&events); err != nil || events != 0 {
			t.Errorf("%d timeline rows stored for two acceptances (%v)", events, err)
		}
		if err := s.DB().QueryRow("SELECT COUNT(*) FROM letter_changes").Scan(&changes); err != nil || changes != 1 {
			t.Errorf("%d letter_changes rows for one acceptance statement (%v)", changes, err)
		}
		if n, full, err := s.RefreshChangedRollups(ctx, 1000); err != nil || full || n != 2 {
			t.Fatalf("after two letters to two offices accepted: %d offices, full %v, %v", n, full, err)
		}
		if err := s.DB().QueryRow("SELECT COUNT(*) FROM letter_changes").Scan(&changes); err != nil || changes != 0 {
			t.Errorf("%d letter_changes rows left after the refresh read them (%v)", changes, err)
		}
		if n, full, err := s.RefreshChangedRollups(ctx, 1000); err != nil || full || n != 0 {
			t.Fatalf("nothing changed since: %d offices, full %v, %v", n, full, err)
		}
	})
}
