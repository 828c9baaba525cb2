package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/followup"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// person is a supporter as the scan looks for them.
type person struct {
	form  url.Values
	clear []string // what must not remain in clear: email, name, address, phone
}

func newPerson(first, last, email, address, phone string) person {
	f := supporter("94110", "CA")
	f.Set("first_name", first)
	f.Set("last_name", last)
	f.Set("email", email)
	f.Set("address1", address)
	f.Set("phone", phone)
	f.Set("optin", "on")
	f.Set("note", "I am "+first+" "+last+" and I live at "+address+".")
	return person{form: f, clear: []string{email, first + " " + last, last, address, phone[len(phone)-8:]}}
}

// giveEverything makes every kind of data for p: a submission, letters
// (delivered to the outbox), the supporter emails (confirmation, copy,
// opt-in request, a survey email) in the outbox, an office's emailed reply
// quoting them, a survey answer with their words and the reply, and their
// opt-in. It returns their letters.
func giveEverything(t *testing.T, a *actionFixture, p person) []int64 {
	t.Helper()
	ctx := context.Background()
	ids := confirmedSupporter(t, a, p.form)
	l, err := a.store.LetterByID(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	quote := fmt.Sprintf("Dear %s %s,\nThank you for your letter from %s (%s, %s).", p.form.Get("first_name"), p.form.Get("last_name"),
		p.form.Get("address1"), p.form.Get("email"), p.form.Get("phone"))
	b, ct := inboundBody(t, "reply+"+l.ReplyToken+"@replies.example.org", quote, "", 0)
	if code, body := postInbound(t, a.srv.URL+"/webhooks/sendgrid/inbound?key="+inboundSecret, b, ct, "", ""); code != 200 || !strings.Contains(body, "queued") {
		t.Fatalf("inbound reply: %d %s", code, body)
	}
	links := followup.Links{BaseURL: "http://act.example.org", Keys: a.keys}
	if _, err := outbox.New(a.store, a.keys).SendEmail(ctx, "supporter", delivery.Email{To: p.form.Get("email"), Subject: "Did your member of Congress answer you?",
		Text: "Hello " + p.form.Get("first_name") + ", did they reply? " + links.SurveyURL(a.camp.Slug, l.ID, "en", time.Now())}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.AddSurveyAnswer(ctx, store.SurveyAnswer{LetterID: l.ID, Answer: "replied", AnsweredAt: time.Now(),
		Seal: func(id int64) (string, error) {
			return followup.SealSurveyText(a.keys, id, followup.SurveyText{Note: "They answered " + p.form.Get("first_name"), ReplyText: quote})
		}}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// dbValue is one value of one column of one row.
type dbValue struct {
	table, column string
	row           map[string]string
	text          string
}

// everyValue lists every table and column of the database from its schema
// (not from a list in this test) and returns every non-empty value.
func everyValue(t *testing.T, st *store.Store) []dbValue {
	t.Helper()
	ctx := context.Background()
	q := `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid`
	if st.Dialect() == store.Postgres {
		q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
	}
	rows, err := st.DB().QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string][]string{}
	var tables []string
	for rows.Next() {
		var tbl, col string
		if err := rows.Scan(&tbl, &col); err != nil {
			t.Fatal(err)
		}
		if cols[tbl] == nil {
			tables = append(tables, tbl)
		}
		cols[tbl] = append(cols[tbl], col)
	}
	rows.Close()
	if len(tables) < 20 {
		t.Fatalf("only %d tables in the schema", len(tables))
	}
	var out []dbValue
	for _, tbl := range tables {
		quoted := make([]string, len(cols[tbl]))
		for i, c := range cols[tbl] {
			quoted[i] = `"` + c + `"`
		}
		rs, err := st.DB().QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+tbl+`"`)
		if err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		for rs.Next() {
			vals := make([]any, len(quoted))
			ptrs := make([]any, len(quoted))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatalf("%s: %v", tbl, err)
			}
			row := map[string]string{}
			for i, v := range vals {
				switch x := v.(type) {
				case nil:
				case []byte:
					row[cols[tbl][i]] = string(x)
				case string:
					row[cols[tbl][i]] = x
				default:
					row[cols[tbl][i]] = fmt.Sprint(x)
				}
			}
			for c, v := range row {
				if v != "" {
					out = append(out, dbValue{table: tbl, column: c, row: row, text: v})
				}
			}
		}
		rs.Close()
	}
	return out
}

// sealedRE is a value sealed by internal/seal: "keyid.base64".
var sealedRE = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9+/]{24,}$`)

// openAny opens a sealed value with the AAD of whichever row kind it may
// belong to (the row's id, or its email index for opt-ins).
func openAny(keys *seal.Keys, v dbValue) (string, bool) {
	aads := []string{"optin:" + v.row["email_index"]}
	for _, kind := range []string{"submission", "letter", "outbox", "inbound_reply", "survey_answer"} {
		aads = append(aads, kind+":"+v.row["id"])
	}
	if id, ok := v.row["letter_id"]; ok {
		aads = append(aads, "letter:"+id) // letter_texts
	}
	for _, aad := range aads {
		if b, err := keys.Open(v.text, aad); err == nil {
			return string(b), true
		}
	}
	return "", false
}

// TestEraseLeavesNoCopy: after delete-my-data, no table or column of the
// database (both dialects, found from the schema) holds the supporter's
// email, name, address or phone in clear, no sealed value that remains
// opens to them, and their email's blind index is only on the
// suppression list (so they are never emailed again). Another supporter's
// data, untouched, is found by the same scan: it can see what it looks for.
func TestEraseLeavesNoCopy(t *testing.T) {
	// Each dialect gets a database of its own: every value in it must be
	// this test's, sealed with this test's keys.
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) { eraseLeavesNoCopy(t, d) })
	}
}

func eraseLeavesNoCopy(t *testing.T, d store.Dialect) {
	st := storetest.Unmigrated(t, d)
	if _, err := st.Migrate(context.Background(), discard()); err != nil {
		t.Fatal(err)
	}
	slug := "erase-" + string(d)
	a := newActionServer(t, st, slug, campaign.Live)
	ana := newPerson("Ana", "García", "ana@example.org", "3200 24th St", "(415) 555-0134")
	bea := newPerson("Beatriz", "Okonkwo", "bea@example.org", "1 Dolores Terrace", "(415) 555-0199")
	giveEverything(t, a, ana)
	giveEverything(t, a, bea)

	// before: the scan finds both, sealed
	found := func(p person) (inClear, sealed []string) {
		for _, v := range everyValue(t, st) {
			text := v.text
			if sealedRE.MatchString(v.text) {
				pt, ok := openAny(a.keys, v)
				if !ok {
					t.Errorf("%s.%s (row %s): a sealed value the scan cannot open", v.table, v.column, v.row["id"])
					continue
				}
				for _, s := range p.clear {
					if strings.Contains(strings.ToLower(pt), strings.ToLower(s)) {
						sealed = append(sealed, v.table+"."+v.column)
						break
					}
				}
				continue
			}
			for _, s := range p.clear {
				if strings.Contains(strings.ToLower(text), strings.ToLower(s)) {
					inClear = append(inClear, fmt.Sprintf("%s.%s has %q", v.table, v.column, s))
				}
			}
		}
		return inClear, sealed
	}
	clear, sealed := found(ana)
	if len(clear) > 0 {
		t.Errorf("in clear before erasure: %v", clear)
	}
	for _, want := range []string{"submissions.sealed", "letter_texts.sealed", "outbox_messages.sealed", "inbound_replies.sealed", "survey_answers.sealed", "optins.sealed"} {
		if !strings.Contains(strings.Join(sealed, " "), want) {
			t.Errorf("the scan does not find Ana in %s before erasure (found %v)", want, sealed)
		}
	}

	// her ciphertexts, to look for in the SQLite files afterwards
	var ciphertexts []string
	for _, v := range everyValue(t, st) {
		if sealedRE.MatchString(v.text) {
			if pt, ok := openAny(a.keys, v); ok && strings.Contains(pt, "ana@example.org") {
				ciphertexts = append(ciphertexts, v.text)
			}
		}
	}

	// delete my data, through the link of one of her emails
	c := browserClient(t)
	var forget string
	msgs, _ := st.Outbox(context.Background(), "supporter", 0, 100)
	for _, m := range msgs {
		if o, err := outbox.Open(a.keys, m.ID, m.Sealed); err == nil && o.Email.To == "ana@example.org" {
			if fm := regexp.MustCompile(`http://act\.example\.org(/forget\?[^\s]+)`).FindStringSubmatch(o.Email.Text); fm != nil {
				forget = fm[1]
			}
		}
	}
	if forget == "" {
		t.Fatal("no delete-my-data link")
	}
	fu, _ := url.Parse(forget)
	tok := csrfFrom(t, c, a.srv.URL+forget)
	if code, body, _ := postForm(t, c, a.srv.URL+"/forget", url.Values{"_csrf": {tok}, "t": {fu.Query().Get("t")}}); code != 200 || !strings.Contains(body, "Your data was deleted") {
		t.Fatalf("forget: %d", code)
	}

	clear, sealed = found(ana)
	if len(clear) > 0 || len(sealed) > 0 {
		t.Errorf("after erasure, Ana is still in clear in %v and sealed in %v", clear, sealed)
	}
	idx := a.keys.Index("email", "ana@example.org")
	for _, v := range everyValue(t, st) {
		if strings.Contains(v.text, idx) && v.table != "email_suppressions" {
			t.Errorf("her email's blind index is still in %s.%s", v.table, v.column)
		}
	}
	if sup, _ := st.IsSuppressed(context.Background(), idx); !sup {
		t.Error("the erased address is not suppressed")
	}
	// SQLite: not in the file's free pages, nor in its write-ahead log
	if st.Dialect() == store.SQLite {
		var seq int
		var name, file string
		if err := st.DB().QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
			t.Fatal(err)
		}
		var raw []byte
		for _, p := range []string{file, file + "-wal"} {
			b, err := os.ReadFile(p)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			raw = append(raw, b...)
		}
		if len(ciphertexts) < 5 {
			t.Fatalf("only %d of her ciphertexts found before erasure", len(ciphertexts))
		}
		for _, ct := range ciphertexts {
			if bytes.Contains(raw, []byte(ct[len(ct)-40:])) {
				t.Errorf("an erased ciphertext is still in the SQLite files: %s…", ct[:20])
			}
		}
	}

	// Beatriz is untouched, and the scan still sees her
	_, sealed = found(bea)
	for _, want := range []string{"submissions.sealed", "letter_texts.sealed", "outbox_messages.sealed", "inbound_replies.sealed", "survey_answers.sealed", "optins.sealed"} {
		if !strings.Contains(strings.Join(sealed, " "), want) {
			t.Errorf("another supporter's data went from %s (found %v)", want, sealed)
		}
	}
}
