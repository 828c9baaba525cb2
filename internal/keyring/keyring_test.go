package keyring_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/keyring"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/tracking"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func uniq(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// keyPair is OUTREACH_SECRET_KEYS and OUTREACH_INDEX_KEY.
type keyPair struct{ list, index string }

func newPair(id string) keyPair { return keyPair{id + ":" + seal.NewKey(), seal.NewKey()} }

func (p keyPair) keys(t *testing.T) *seal.Keys {
	t.Helper()
	k, err := seal.Parse(p.list, p.index)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// supporters fills every sealed column the way the app does: n
// submissions, each confirmed with letters to three offices and an opt-in
// request, an outbox copy of each letter, and one unsubscribed address.
func supporters(t *testing.T, st *store.Store, k *seal.Keys, n int) {
	t.Helper()
	ctx := context.Background()
	camp, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: uniq("keys-"), Title: "Keys", Targets: campaign.TargetBoth, LOCTopic: "Immigration",
		Status: campaign.Draft, Subject: "S", Template: "{{.salutation}}"}, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ob := outbox.New(st, k)
	for i := range n {
		email := uniq("ana-") + "@example.org"
		f := action.Form{FirstName: "Ana", LastName: "García", Email: email, Address1: "3200 24th St", City: "San Francisco", State: "CA", ZIP: "94110", OptIn: true}
		sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: k.Index("email", email)}, func(id int64) (string, error) {
			return k.SealJSON(action.Sealed{Form: f, Lang: "en"}, action.SubmissionAAD(id))
		})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := st.Confirm(ctx, sub.ID, store.Confirmation{Now: time.Now(), Build: func(sub store.Submission, _ map[string]bool) (store.Confirmed, error) {
			var out store.Confirmed
			for j, office := range []string{"P000197", "P000145", "S001150"} {
				tok := uniq(fmt.Sprint("d", i, j))
				out.Letters = append(out.Letters, store.NewLetter{CampaignID: camp.ID, SubmissionID: sub.ID, BioguideID: office, OfficeCode: "HCA11",
					Chamber: "house", State: "CA", TemplateVer: 1, DeliveryID: tok, ReplyToken: tok,
					Seal: func(id int64) (string, error) {
						return k.SealJSON(delivery.Sealed{Subject: "S", Body: "Dear member, from Ana García"}, delivery.LetterAAD(id))
					}})
			}
			sealed, err := k.SealJSON(map[string]string{"email": email, "first_name": "Ana"}, action.OptInAAD(sub.EmailIndex))
			out.OptIn = &store.OptInRequest{Sealed: sealed, Lang: "en"}
			return out, err
		}})
		if err != nil || len(ids) != 3 {
			t.Fatalf("confirm: %v %v", ids, err)
		}
		// An office's emailed reply to the first letter, and the supporter's
		// survey answer with their own words.
		if _, err := st.AddInboundReply(ctx, store.InboundReply{LetterID: ids[0]}, func(id int64) (string, error) {
			return tracking.SealReply(k, id, tracking.Reply{From: "office@house.gov", Subject: "Re: your letter", Body: "Dear Ana García, thank you"})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: ids[0], Answer: "replied_substantive", AnsweredAt: time.Now(),
			Seal: func(id int64) (string, error) {
				return followup.SealSurveyText(k, id, followup.SurveyText{Note: "They called me, Ana García", ReplyText: "Dear Ana"})
			}}); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if _, err := ob.SendEmail(ctx, "supporter", delivery.Email{To: email, Subject: "Your letter", Text: fmt.Sprint("letter ", id)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.Unsubscribe(ctx, k.Index("email", "gone@example.org"), "unsubscribe"); err != nil {
		t.Fatal(err)
	}
}

// openAll opens every sealed value of every column with k and returns how
// many there were.
func openAll(t *testing.T, st *store.Store, k *seal.Keys) int {
	t.Helper()
	n := 0
	for _, c := range keyring.Columns {
		after := ""
		for {
			vals, err := st.SealedBatch(context.Background(), c.SealedColumn, "", after, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(vals) == 0 {
				break
			}
			for _, v := range vals {
				if _, err := k.Open(v.Value, c.AAD(v.ID)); err != nil {
					t.Fatalf("%s %s does not open: %v", c.Table, v.ID, err)
				}
				n++
			}
			after = vals[len(vals)-1].ID
		}
	}
	return n
}

// TestLostKeysAreNotReplaced is issue #12's point 6: with supporters' data
// in the database, a missing keys.json stops the program instead of
// making new keys, and wrong keys are refused with a message that says
// what to set; an empty database still gets keys by itself.
func TestLostKeysAreNotReplaced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dir := t.TempDir()
		file := filepath.Join(dir, "keys.json")
		// A database shared with other tests (PostgreSQL) may hold their
		// data: clear what keys protect, as on a fresh install.
		clearKeyed(t, st)

		if _, err := keyring.Open(ctx, st, keyring.Source{File: file}, quiet()); err != nil {
			t.Fatalf("first start: %v", err)
		}
		if _, err := os.Stat(file); err != nil {
			t.Fatal("no keys.json written")
		}
		// keys.json lost before anything was sealed: new keys are fine.
		os.Remove(file)
		k, err := keyring.Open(ctx, st, keyring.Source{File: file}, quiet())
		if err != nil {
			t.Fatalf("new keys for an empty database: %v", err)
		}
		supporters(t, st, k, 1)

		// Lost now: refused, and nothing written.
		saved, _ := os.ReadFile(file)
		os.Remove(file)
		_, err = keyring.Open(ctx, st, keyring.Source{File: file}, quiet())
		if !errors.Is(err, keyring.ErrKeys) || !strings.Contains(err.Error(), "OUTREACH_SECRET_KEYS") || !strings.Contains(err.Error(), "OUTREACH_INDEX_KEY") ||
			!strings.Contains(err.Error(), "keys.json") {
			t.Fatalf("missing keys.json with sealed data: %v", err)
		}
		if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("new keys were written over a database that needs the old ones")
		}
		// Other keys, from the environment or a file: refused.
		other := newPair("k9")
		if _, err := keyring.Open(ctx, st, keyring.Source{SecretKeys: other.list, IndexKey: other.index, File: file}, quiet()); !errors.Is(err, keyring.ErrKeys) ||
			!strings.Contains(err.Error(), "OUTREACH_SECRET_KEYS") {
			t.Fatalf("wrong environment keys: %v", err)
		}
		// The right encryption key with another index key: refused too.
		var fk struct{ Keys, Index string }
		if err := json.Unmarshal(saved, &fk); err != nil {
			t.Fatal(err)
		}
		if _, err := keyring.Open(ctx, st, keyring.Source{SecretKeys: fk.Keys, IndexKey: other.index}, quiet()); !errors.Is(err, keyring.ErrKeys) ||
			!strings.Contains(err.Error(), "OUTREACH_INDEX_KEY") {
			t.Fatalf("wrong index key: %v", err)
		}
		// The right keys from the environment, or keys.json restored: fine.
		if _, err := keyring.Open(ctx, st, keyring.Source{SecretKeys: fk.Keys, IndexKey: fk.Index}, quiet()); err != nil {
			t.Fatalf("right environment keys: %v", err)
		}
		if err := os.WriteFile(file, saved, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := keyring.Open(ctx, st, keyring.Source{File: file}, quiet()); err != nil {
			t.Fatalf("keys.json restored: %v", err)
		}

		// A database from before check values: the newest data decides.
		if _, err := st.DB().ExecContext(ctx, "DELETE FROM app_settings WHERE key LIKE 'keys.check.%'"); err != nil {
			t.Fatal(err)
		}
		if _, err := keyring.Open(ctx, st, keyring.Source{SecretKeys: other.list, IndexKey: other.index}, quiet()); !errors.Is(err, keyring.ErrKeys) {
			t.Fatalf("wrong keys on a database without check values: %v", err)
		}
		if _, err := keyring.Open(ctx, st, keyring.Source{SecretKeys: fk.Keys, IndexKey: other.index}, quiet()); !errors.Is(err, keyring.ErrKeys) ||
			!strings.Contains(err.Error(), "OUTREACH_INDEX_KEY") {
			t.Fatalf("wrong index key on a database without check values: %v", err)
		}
		if _, err := keyring.Open(ctx, st, keyring.Source{SecretKeys: fk.Keys, IndexKey: fk.Index}, quiet()); err != nil {
			t.Fatalf("right keys on a database without check values: %v", err)
		}
		if v, err := st.Setting(ctx, "keys.check.sealed"); err != nil || v == "" {
			t.Fatalf("check value not written on first use: %q %v", v, err)
		}
		// and the check value now stops other keys even before data is read
		if _, err := keyring.Open(ctx, st, keyring.Source{SecretKeys: other.list, IndexKey: fk.Index}, quiet()); !errors.Is(err, keyring.ErrKeys) ||
			!strings.Contains(err.Error(), `sealed with key "k1", which is not among the configured keys [k9]`) {
			t.Fatalf("wrong encryption key: %v", err)
		}
		sameName := newPair("k1")
		if _, err := keyring.Open(ctx, st, keyring.Source{SecretKeys: sameName.list, IndexKey: fk.Index}, quiet()); !errors.Is(err, keyring.ErrKeys) ||
			!strings.Contains(err.Error(), `the configured key "k1" is not the key of that name that sealed it`) {
			t.Fatalf("another key named k1: %v", err)
		}
	})
}

// TestRotateRetiresTheOldKey: everything sealed under key A is re-sealed
// under B by Rotate with keys [B, A]; then A is dropped and every sealed
// value of every table still opens, and the keys still fit the database.
func TestRotateRetiresTheOldKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clearKeyed(t, st)
		a := newPair("a")
		ka := a.keys(t)
		if err := keyring.Verify(ctx, st, ka, "test"); err != nil {
			t.Fatal(err)
		}
		supporters(t, st, ka, 4)
		total := openAll(t, st, ka)
		if total != 4+12+12+4+4+4+1 { // submissions, letters, outbox, opt-ins, replies, survey answers, key check
			t.Fatalf("%d sealed values", total)
		}
		b := keyPair{"b:" + seal.NewKey() + "," + a.list, a.index}
		var out bytes.Buffer
		rep, err := keyring.Rotate(ctx, st, b.keys(t), keyring.RotateOptions{Batch: 5, Progress: &out})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Resealed != int64(total) || len(rep.Remaining) != 0 || len(rep.Unopenable) != 0 {
			t.Fatalf("report %+v\n%s", rep, out.String())
		}
		for _, want := range []string{"letter_texts.sealed: 5 of 12 re-sealed", "letter_texts.sealed: 12 of 12 re-sealed", `a may now be removed`} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("progress lacks %q:\n%s", want, out.String())
			}
		}
		onlyB := keyPair{strings.Split(b.list, ",")[0], a.index}.keys(t)
		if n := openAll(t, st, onlyB); n != total {
			t.Fatalf("%d of %d values open with B alone", n, total)
		}
		// Whatever keyring.Columns says: no column named "sealed" in any
		// table holds a value under A (a sealed table left out of the
		// list would).
		if left := underKey(t, st, "a"); len(left) != 0 {
			t.Fatalf("values still under A: %v", left)
		}
		if err := keyring.Verify(ctx, st, onlyB, "test"); err != nil {
			t.Fatalf("B alone after the rotation: %v", err)
		}
		if err := keyring.Verify(ctx, st, ka, "test"); !errors.Is(err, keyring.ErrKeys) {
			t.Fatalf("A alone after the rotation: %v", err)
		}
		// A second run has nothing to do.
		out.Reset()
		if rep, err := keyring.Rotate(ctx, st, onlyB, keyring.RotateOptions{Progress: &out}); err != nil || rep.Resealed != 0 {
			t.Fatalf("second run: %+v %v", rep, err)
		}
	})
}

// TestRotateResumesAfterAnInterruption: a rotation cancelled after three
// batches leaves some values under each key, all still readable with
// [B, A]; running it again finishes, and A can go.
func TestRotateResumesAfterAnInterruption(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clearKeyed(t, st)
		a := newPair("a")
		ka := a.keys(t)
		supporters(t, st, ka, 10)
		total := openAll(t, st, ka)
		b := keyPair{"b:" + seal.NewKey() + "," + a.list, a.index}
		kb := b.keys(t)
		cctx, cancel := context.WithCancel(ctx)
		batches := 0
		_, err := keyring.Rotate(cctx, st, kb, keyring.RotateOptions{Batch: 4, Progress: writerFunc(func(p []byte) {
			if strings.Contains(string(p), "re-sealed") {
				if batches++; batches == 3 {
					cancel()
				}
			}
		})})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted rotation: %v", err)
		}
		counts := map[string]int64{}
		for _, c := range keyring.Columns {
			m, _ := st.SealedKeyCounts(ctx, c.SealedColumn)
			for k, n := range m {
				counts[k] += n
			}
		}
		// 10 submissions in batches of 4, 4 and 2, and the key check
		// (written under B when the rotation checked the keys: it was not
		// among the total counted before).
		if counts["b"] != 11 || counts["a"] != int64(total-10) {
			t.Fatalf("after 3 batches: %v", counts)
		}
		total++ // the key check
		if n := openAll(t, st, kb); n != total {
			t.Fatal("values unreadable after an interruption")
		}
		rep, err := keyring.Rotate(ctx, st, kb, keyring.RotateOptions{Batch: 4})
		if err != nil || rep.Resealed != int64(total-11) || len(rep.Remaining) != 0 {
			t.Fatalf("resumed: %+v %v", rep, err)
		}
		onlyB := keyPair{strings.Split(b.list, ",")[0], a.index}.keys(t)
		if n := openAll(t, st, onlyB); n != total {
			t.Fatalf("%d of %d open with B alone", n, total)
		}
	})
}

// TestRotateLeavesWhatNoKeyOpens: a value sealed with a key nobody has
// any more is reported, left alone, and does not stop the rest.
func TestRotateLeavesWhatNoKeyOpens(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	a := newPair("a")
	supporters(t, st, a.keys(t), 2)
	lost := newPair("z").keys(t)
	if _, err := st.DB().ExecContext(ctx, "UPDATE outbox_messages SET sealed = $1 WHERE id = (SELECT MIN(id) FROM outbox_messages)",
		lost.Seal([]byte("x"), "outbox:1")); err != nil {
		t.Fatal(err)
	}
	b := keyPair{"b:" + seal.NewKey() + "," + a.list, a.index}
	var out bytes.Buffer
	rep, err := keyring.Rotate(ctx, st, b.keys(t), keyring.RotateOptions{Progress: &out})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Unopenable) != 1 || !strings.HasPrefix(rep.Unopenable[0], "outbox_messages ") || rep.Remaining["z"] != 1 ||
		!strings.Contains(out.String(), `still under key "z": 1 values`) {
		t.Fatalf("report %+v\n%s", rep, out.String())
	}
}

type writerFunc func(p []byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

// clearKeyed removes what other tests of the package left in a shared
// PostgreSQL database under their keys.
func clearKeyed(t *testing.T, st *store.Store) {
	t.Helper()
	for _, q := range []string{
		"DELETE FROM letter_events", "DELETE FROM outbox_messages", "DELETE FROM survey_answers", "DELETE FROM followup_sends", "DELETE FROM responses",
		"DELETE FROM inbound_replies", "DELETE FROM letter_texts", "DELETE FROM letters", "DELETE FROM optins",
		"DELETE FROM submissions", "DELETE FROM email_suppressions", "DELETE FROM app_settings WHERE key LIKE 'keys.check.%'",
	} {
		if _, err := st.DB().ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSuppressionsAloneKeepTheKeys: a database whose only data under keys
// is the suppression list (every supporter erased, say) still needs the
// index key: no new keys for it. On an empty one, new keys come with a
// warning to back them up.
func TestSuppressionsAloneKeepTheKeys(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "keys.json")
	var logs bytes.Buffer
	k, err := keyring.Open(ctx, st, keyring.Source{File: file}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "back this file up") || !strings.Contains(logs.String(), file) {
		t.Errorf("no warning to back up new keys: %s", logs.String())
	}
	if err := st.Unsubscribe(ctx, k.Index("email", "gone@example.org"), "unsubscribe"); err != nil {
		t.Fatal(err)
	}
	os.Remove(file)
	if _, err := keyring.Open(ctx, st, keyring.Source{File: file}, quiet()); !errors.Is(err, keyring.ErrKeys) {
		t.Fatalf("new keys over a suppression list: %v", err)
	}
}

// underKey counts, per table, the values sealed with key id in every
// column named "sealed", found from the schema.
func underKey(t *testing.T, st *store.Store, id string) map[string]int {
	t.Helper()
	ctx := context.Background()
	q := `SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'sealed'`
	if st.Dialect() == store.SQLite {
		q = `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'sealed'`
	}
	rows, err := st.DB().QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 6 {
		t.Fatalf("tables with a sealed column: %v", tables)
	}
	out := map[string]int{}
	for _, tbl := range tables {
		var n int
		if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+tbl+" WHERE sealed LIKE $1", id+".%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			out[tbl] = n
		}
	}
	return out
}
