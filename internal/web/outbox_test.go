package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/delivery"
	"github.com/outreach-org/outreach/internal/delivery/outbox"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// confirmedSupporter runs the supporter's flow (send, confirm, the copy
// and opt-in emails) and puts their letters in the outbox as the outbox
// channel does; it returns the letters' ids.
func confirmedSupporter(t *testing.T, a *actionFixture, form url.Values) []int64 {
	t.Helper()
	ctx := context.Background()
	c := browserClient(t)
	if code, body := a.post(t, c, "/c/"+a.camp.Slug+"/send", form); code != 200 {
		t.Fatalf("send: %d %s", code, body)
	}
	if code, body := a.confirm(t, c, a.confirmLink(t)); code != 200 {
		t.Fatalf("confirm: %d %s", code, body)
	}
	a.waitMail(t)
	var ids []int64
	letters, err := a.store.Letters(ctx, store.LetterFilter{CampaignID: a.camp.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	ob := outbox.New(a.store, a.keys)
	for _, l := range letters {
		var sl delivery.Sealed
		if err := a.keys.OpenJSON(l.Sealed, delivery.LetterAAD(l.ID), &sl); err != nil || !strings.EqualFold(sl.From.Email, form.Get("email")) {
			continue
		}
		msg := sl.Message(l.ID, l.DeliveryID, delivery.Campaign{}, l.ReplyToken, l.CreatedAt)
		if _, err := ob.Send(ctx, msg); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	if len(ids) == 0 {
		t.Fatal("no letters")
	}
	return ids
}

// tokenLike finds anything shaped like a signed link token.
var tokenLike = regexp.MustCompile(`[A-Za-z0-9_-]*\.[0-9a-z]*\.[0-9a-f]{32}`)

// noWorkingLink fails if body holds a token or a link with a token that
// the server would accept, for any purpose.
func noWorkingLink(t *testing.T, who, body string, a *actionFixture) {
	t.Helper()
	body = strings.ReplaceAll(body, `\u0026`, "&") // JSON escapes '&'
	if m := tokenLike.FindString(body); m != "" {
		t.Errorf("%s: a signed token is shown: %q", who, m)
	}
	sg := action.NewSigner(a.keys.Index)
	for _, m := range regexp.MustCompile(`[?&](?:amp;)?t=([^&"\s<>\\]+)`).FindAllStringSubmatch(body, -1) {
		for _, purpose := range []string{"confirm", "unsub", "forget", "optin", "survey"} {
			if _, err := sg.Verify(purpose, m[1], time.Now()); err == nil {
				t.Errorf("%s: a working %s link is shown", who, purpose)
			}
		}
	}
}

// TestOutboxByRole: in outbox mode, campaigners read letters to offices
// with the sender hidden and supporter emails masked; admins open one
// message at a time in clear, and each read is in the audit log (who,
// which message, never the content); no role ever gets a working action
// link, in HTML or JSON; organizers and case editors see nothing.
func TestOutboxByRole(t *testing.T) {
	// A database of its own per dialect: the whole outbox is this test's.
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			st := storetest.Unmigrated(t, d)
			if _, err := st.Migrate(context.Background(), discard()); err != nil {
				t.Fatal(err)
			}
			outboxByRole(t, st, "outbox-"+string(d))
		})
	}
}

func outboxByRole(t *testing.T, st *store.Store, slug string) {
	ctx := context.Background()
	a := newActionServer(t, st, slug, campaign.Live)
	confirmedSupporter(t, a, supporter("94110", "CA"))
	mailer := outbox.New(st, a.keys)
	if _, err := mailer.SendEmail(ctx, "digest", delivery.Email{To: "organizer@families.example.org", Subject: "Weekly digest", Text: "12 letters sent."}); err != nil {
		t.Fatal(err)
	}
	users := map[auth.Role]auth.User{}
	tokens := map[auth.Role]string{}
	for _, r := range auth.Roles {
		users[r] = addUser(t, st, fmt.Sprintf("%s-%s@families.example.org", r, slug), r)
		tokens[r] = bearer(t, st, users[r])
	}
	get := func(role auth.Role, path string) (int, string) {
		return do(t, http.DefaultClient, http.MethodGet, a.srv.URL+path, tokens[role], "", "")
	}
	personal := []string{"ana@example.org", "García", "Garcia", "3200 24th St", "555-0134", "Ana "}

	var letterMsg, supporterMsg, digestMsg int64
	msgs, err := st.Outbox(ctx, "", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		switch m.Kind {
		case "letter":
			letterMsg = m.ID
		case "supporter":
			supporterMsg = m.ID
		case "digest":
			digestMsg = m.ID
		}
	}
	if letterMsg == 0 || supporterMsg == 0 || digestMsg == 0 {
		t.Fatalf("outbox kinds missing: %+v", msgs)
	}

	for _, role := range []auth.Role{auth.Campaigner, auth.Admin} {
		code, page := get(role, "/admin/outbox")
		code2, body := get(role, "/api/v1/outbox")
		if code != 200 || code2 != 200 {
			t.Fatalf("%s: outbox %d, API %d", role, code, code2)
		}
		page = html.UnescapeString(page)
		for _, p := range personal {
			if strings.Contains(page, p) || strings.Contains(body, p) {
				t.Errorf("%s: the outbox list shows %q", role, p)
			}
		}
		noWorkingLink(t, string(role)+" page", page, a)
		noWorkingLink(t, string(role)+" API", body, a)
		// the letter's text is there, its sender replaced; the digest is whole
		for _, want := range []string{"Dear Representative Pelosi", "children were separated", "Sincerely,\n[name] [name]", "a•••@•••.org", "12 letters sent."} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the outbox page lacks %q", role, want)
			}
		}
		var api struct {
			Messages []struct {
				ID         int64           `json:"id"`
				Kind       string          `json:"kind"`
				Text       string          `json:"text"`
				Masked     bool            `json:"masked"`
				TextHidden bool            `json:"text_hidden"`
				Full       string          `json:"full"`
				From       json.RawMessage `json:"from"`
			} `json:"messages"`
		}
		if err := json.Unmarshal([]byte(body), &api); err != nil {
			t.Fatal(err)
		}
		for _, m := range api.Messages {
			if !m.Masked || m.From != nil {
				t.Errorf("%s: API message %d not masked: %+v", role, m.ID, m)
			}
			if m.Kind == "supporter" && (!m.TextHidden || m.Text != "") {
				t.Errorf("%s: a supporter email's text is in the API: %+v", role, m)
			}
			wantFull := role == auth.Admin && m.Kind != "digest"
			if (m.Full != "") != wantFull {
				t.Errorf("%s: message %d full link %q", role, m.ID, m.Full)
			}
		}
	}

	// the replies inbox: what the office said, its quotes of the sender masked
	var letterID int64
	for _, m := range msgs {
		if m.Kind == "letter" {
			letterID = *m.LetterID
		}
	}
	l, err := st.LetterByID(ctx, letterID)
	if err != nil {
		t.Fatal(err)
	}
	b, ct := inboundBody(t, "reply+"+l.ReplyToken+"@replies.example.org",
		"Dear Ms. Ana García of 3200 24th St (ana@example.org, 415-555-0134): we have forwarded your letter to the committee.", "", 0)
	if code, body := postInbound(t, a.srv.URL+"/webhooks/sendgrid/inbound?key="+inboundSecret, b, ct, "", ""); code != 200 {
		t.Fatalf("inbound reply: %d %s", code, body)
	}
	for _, role := range []auth.Role{auth.Campaigner, auth.Admin} {
		code, page := get(role, "/admin/responses/inbox")
		page = html.UnescapeString(page)
		if code != 200 || !strings.Contains(page, "Dear Ms. [name] [name] of [address] ([email], [phone]): we have forwarded your letter") {
			t.Errorf("%s: inbox %d %s", role, code, page)
		}
		for _, p := range personal {
			if strings.Contains(page, p) {
				t.Errorf("%s: the inbox shows %q", role, p)
			}
		}
	}

	// only admins open a message in clear
	for _, role := range []auth.Role{auth.Campaigner, auth.Organizer, auth.CaseEditor} {
		for _, p := range []string{fmt.Sprintf("/admin/outbox/%d", supporterMsg), fmt.Sprintf("/api/v1/outbox/%d", letterMsg)} {
			if code, _ := get(role, p); code != http.StatusForbidden {
				t.Errorf("%s GET %s: %d", role, p, code)
			}
		}
	}
	for _, role := range []auth.Role{auth.Organizer, auth.CaseEditor} {
		if code, _ := get(role, "/admin/outbox"); code != http.StatusForbidden {
			t.Errorf("%s sees the outbox: %d", role, code)
		}
		if code, _ := get(role, "/api/v1/outbox"); code != http.StatusForbidden {
			t.Errorf("%s reads the outbox API: %d", role, code)
		}
	}
	before, err := st.AuditLog(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(auth.Admin, fmt.Sprintf("/api/v1/outbox/%d", supporterMsg))
	if code != 200 || !strings.Contains(body, `"to":"ana@example.org"`) || !strings.Contains(body, "/forget?") {
		t.Fatalf("admin opens a supporter email: %d %s", code, body)
	}
	noWorkingLink(t, "admin, one email (API)", body, a)
	code, page := get(auth.Admin, fmt.Sprintf("/admin/outbox/%d", letterMsg))
	page = html.UnescapeString(page)
	if code != 200 || !strings.Contains(page, "3200 24th St") || !strings.Contains(page, "Sincerely,\nAna García") || !strings.Contains(page, "recorded in the audit log") {
		t.Fatalf("admin opens a letter: %d %s", code, page)
	}
	noWorkingLink(t, "admin, one letter (page)", page, a)
	if code, _ := get(auth.Admin, "/api/v1/outbox/999999"); code != http.StatusNotFound {
		t.Errorf("missing message: %d", code)
	}
	after, err := st.AuditLog(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	reads := map[string]bool{}
	for _, e := range after[:len(after)-len(before)] {
		if e.Action != "outbox.read" || e.ObjectType != "outbox_message" || e.ActorID != users[auth.Admin].ID {
			t.Errorf("unexpected audit entry %+v", e)
		}
		for _, p := range personal {
			if strings.Contains(e.Detail+e.ObjectID, p) {
				t.Errorf("the audit log holds %q", p)
			}
		}
		reads[e.ObjectID] = true
	}
	if len(after)-len(before) != 2 || !reads[fmt.Sprint(supporterMsg)] || !reads[fmt.Sprint(letterMsg)] {
		t.Errorf("audit entries for the two reads: %+v", after[:len(after)-len(before)])
	}
}
