package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/keyring"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// runMainEnv makes the test binary run outreach itself (for tests that
// must kill a real process): see TestMain.
const runMainEnv = "OUTREACH_TEST_RUN_MAIN"

// sealLetters stores n letters sealed with k (one submission), as the
// action page does.
func sealLetters(t *testing.T, st *store.Store, k *seal.Keys, n int) {
	t.Helper()
	ctx := context.Background()
	camp, err := st.CreateCampaign(ctx, campaign.Campaign{Slug: fmt.Sprintf("keys-%d", time.Now().UnixNano()), Title: "Keys", Targets: campaign.TargetBoth,
		LOCTopic: "Immigration", Status: campaign.Draft, Subject: "S", Template: "{{.salutation}}"}, store.Audit{Action: "test"})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := st.CreateSubmission(ctx, store.Submission{CampaignID: camp.ID, EmailIndex: k.Index("email", "ana@example.org")},
		func(id int64) (string, error) {
			return k.Seal([]byte(`{"form":{}}`), fmt.Sprint("submission:", id)), nil
		})
	if err != nil {
		t.Fatal(err)
	}
	var ls []store.NewLetter
	for i := range n {
		tok := fmt.Sprintf("k%d-%d-%d", sub.ID, i, time.Now().UnixNano())
		ls = append(ls, store.NewLetter{CampaignID: camp.ID, SubmissionID: sub.ID, BioguideID: fmt.Sprintf("X%06d", i), OfficeCode: "HCA11",
			Chamber: "house", State: "CA", TemplateVer: 1, DeliveryID: tok, ReplyToken: tok,
			Seal: func(id int64) (string, error) {
				return k.SealJSON(delivery.Sealed{Body: "Dear member"}, delivery.LetterAAD(id))
			}})
	}
	if _, err := st.CreateLetters(ctx, ls, nil); err != nil {
		t.Fatal(err)
	}
}

// clearKeyed empties the tables with sealed data (PostgreSQL is shared by
// the package's tests, whose data is sealed with their own keys).
func clearKeyed(t *testing.T, st *store.Store) {
	t.Helper()
	for _, q := range []string{"DELETE FROM letter_events", "DELETE FROM outbox_messages", "DELETE FROM survey_answers", "DELETE FROM followup_sends",
		"DELETE FROM responses", "DELETE FROM inbound_replies", "DELETE FROM letter_texts", "DELETE FROM letters", "DELETE FROM optins", "DELETE FROM supporter_mail", "DELETE FROM submissions",
		"DELETE FROM email_suppressions", "DELETE FROM app_settings WHERE key LIKE 'keys.check.%'"} {
		if _, err := st.DB().ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
}

// envFor is the environment of a command against the package's
// PostgreSQL database (pg) or the SQLite file in dir.
func envFor(t *testing.T, pg bool, dir string) map[string]string {
	env := map[string]string{"OUTREACH_DATA_DIR": dir, "OUTREACH_LOG_LEVEL": "error", "OUTREACH_ADDR": "127.0.0.1:0", "OUTREACH_DEMO": "false"}
	if pg {
		env["DATABASE_URL"] = storetest.PostgresURL(t)
	}
	return env
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestCommandsRefuseLostKeys: once supporters' data is sealed, serve,
// worker and keys refuse to start without the keys (keys.json gone), and
// with other keys, naming what to set; no new keys.json is made.
func TestCommandsRefuseLostKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		pg := st.Dialect() == store.Postgres
		if pg {
			clearKeyed(t, st)
		} else {
			st = nil // the commands open the data dir's own file
		}
		dir := t.TempDir()
		env := envFor(t, pg, dir)
		get := func(k string) string { return env[k] }
		var out, errb bytes.Buffer
		if code := run([]string{"keys", "check"}, get, &out, &errb); code != 0 || !strings.Contains(out.String(), `the keys fit the database: current key "k1"`) {
			t.Fatalf("keys check on a new install: %d %s %s", code, out.String(), errb.String())
		}
		k, err := seal.LoadFile(filepath.Join(dir, "keys.json"))
		if err != nil {
			t.Fatal(err)
		}
		sealLetters(t, openFor(t, st, dir), k, 3)
		saved, _ := os.ReadFile(filepath.Join(dir, "keys.json"))
		os.Remove(filepath.Join(dir, "keys.json"))
		for _, cmd := range [][]string{{"serve"}, {"worker"}, {"keys", "rotate"}, {"keys", "check"}} {
			out.Reset()
			errb.Reset()
			code := run(cmd, get, &out, &errb)
			msg := errb.String()
			if code != 1 || !strings.Contains(msg, "OUTREACH_SECRET_KEYS") || !strings.Contains(msg, "OUTREACH_INDEX_KEY") || !strings.Contains(msg, "keys.json") {
				t.Errorf("%v without keys: exit %d %s", cmd, code, msg)
			}
			if _, err := os.Stat(filepath.Join(dir, "keys.json")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%v wrote new keys", cmd)
			}
		}
		env["OUTREACH_SECRET_KEYS"], env["OUTREACH_INDEX_KEY"] = "k1:"+seal.NewKey(), seal.NewKey()
		errb.Reset()
		if code := run([]string{"worker"}, get, &out, &errb); code != 1 || !strings.Contains(errb.String(), "do not open the database's key check") {
			t.Errorf("worker with other keys: exit %d %s", code, errb.String())
		}
		delete(env, "OUTREACH_SECRET_KEYS")
		delete(env, "OUTREACH_INDEX_KEY")
		if err := os.WriteFile(filepath.Join(dir, "keys.json"), saved, 0o600); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if code := run([]string{"keys", "check"}, get, &out, &errb); code != 0 {
			t.Fatalf("keys.json restored: %d %s", code, errb.String())
		}
	})
}

// openFor opens the database the commands use.
func openFor(t *testing.T, st *store.Store, dir string) *store.Store {
	t.Helper()
	if st != nil {
		return st
	}
	s, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "outreach.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestKeysRotateSurvivesKill9: outreach keys rotate is killed (SIGKILL)
// after its first batches; everything still opens with [B, A], a second
// run finishes, and then every value opens with B alone.
func TestKeysRotateSurvivesKill9(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dir := t.TempDir()
		if st.Dialect() == store.SQLite {
			st = openFor(t, nil, dir)
			if _, err := st.Migrate(ctx, quietLog()); err != nil {
				t.Fatal(err)
			}
		} else {
			clearKeyed(t, st)
		}
		a, idx := "a:"+seal.NewKey(), seal.NewKey()
		ka, _ := seal.Parse(a, idx)
		if err := keyring.Verify(ctx, st, ka, "test"); err != nil {
			t.Fatal(err)
		}
		sealLetters(t, st, ka, 3000)
		b := "b:" + seal.NewKey()
		env := envFor(t, st.Dialect() == store.Postgres, dir)
		env["OUTREACH_SECRET_KEYS"], env["OUTREACH_INDEX_KEY"] = b+","+a, idx

		cmd := exec.Command(os.Args[0], "keys", "rotate", "--batch", "25")
		cmd.Env = append(os.Environ(), runMainEnv+"=1")
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		batches := 0
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "letter_texts.sealed: ") {
				if batches++; batches == 5 {
					break
				}
			}
		}
		if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup of any kind
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if batches < 5 {
			t.Fatalf("the rotation ended before it could be killed: %s", stderr.String())
		}
		kb, _ := seal.Parse(b+","+a, idx)
		counts := keyCounts(t, st)
		if counts["b"] < 5*25 || counts["a"] == 0 {
			t.Fatalf("killed after 5 batches, the keys are %v", counts)
		}
		openEverything(t, st, kb)

		var out, errb bytes.Buffer
		if code := run([]string{"keys", "rotate", "--batch", "500"}, func(k string) string { return env[k] }, &out, &errb); code != 0 {
			t.Fatalf("second run: %d %s %s", code, out.String(), errb.String())
		}
		if !strings.Contains(out.String(), "a may now be removed") {
			t.Errorf("second run: %s", out.String())
		}
		if c := keyCounts(t, st); c["a"] != 0 || c["b"] != 3000+1+1 { // letters, the submission, the key check
			t.Fatalf("after the second run: %v", c)
		}
		env["OUTREACH_SECRET_KEYS"] = b
		out.Reset()
		if code := run([]string{"keys", "check"}, func(k string) string { return env[k] }, &out, &errb); code != 0 {
			t.Fatalf("B alone: %d %s", code, errb.String())
		}
		onlyB, _ := seal.Parse(b, idx)
		openEverything(t, st, onlyB)
	})
}

func keyCounts(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, c := range keyring.Columns {
		m, err := st.SealedKeyCounts(context.Background(), c.SealedColumn)
		if err != nil {
			t.Fatal(err)
		}
		for k, n := range m {
			out[k] += n
		}
	}
	return out
}

func openEverything(t *testing.T, st *store.Store, k *seal.Keys) {
	t.Helper()
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
			}
			after = vals[len(vals)-1].ID
		}
	}
}

func TestKeysGenerate(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"keys", "generate"}, func(string) string { return "" }, &out, &errb); code != 0 {
		t.Fatalf("exit %d %s", code, errb.String())
	}
	line := strings.TrimSpace(out.String())
	if !strings.HasPrefix(line, "k"+time.Now().UTC().Format("20060102")+":") || !strings.Contains(errb.String(), "outreach keys rotate") {
		t.Fatalf("generate: %q %q", line, errb.String())
	}
	if _, err := seal.Parse(line, seal.NewKey()); err != nil {
		t.Fatalf("the printed key does not parse: %v", err)
	}
	out.Reset()
	if code := run([]string{"keys", "generate", "--id", "2027"}, func(string) string { return "" }, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "2027:") {
		t.Fatalf("--id: %d %q", code, out.String())
	}
	if code := run([]string{"keys", "generate", "--id", "a.b"}, func(string) string { return "" }, &out, &errb); code != 1 {
		t.Fatalf("a bad id: %d", code)
	}
	if code := run([]string{"keys"}, func(string) string { return "" }, &out, &errb); code != 1 || !strings.Contains(errb.String(), "usage: outreach keys") {
		t.Fatalf("no sub-command: %d", code)
	}
}
