package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/tracking"
	"github.com/outreach-org/outreach/internal/web"
)

const inboundSecret = "inbound-secret-0123456789"

type trackEnv struct {
	f       *staffFixture
	ids     []int64
	camp    int64
	slug    string
	tokens  map[auth.Role]string
	letters []store.Letter
	keys    *seal.Keys
}

func newTrackEnv(t *testing.T, st *store.Store) trackEnv {
	t.Helper()
	keys := seal.NewRandom()
	f := staffServer(t, st, web.Deps{Keys: keys, InboundSecret: inboundSecret})
	ids := whLetters(t, st, keys, 3)
	ctx := context.Background()
	e := trackEnv{f: f, ids: ids, tokens: map[auth.Role]string{}, keys: keys}
	for _, id := range ids {
		if err := st.MarkSent(ctx, id, "sendgrid", "m", "ok", true, time.Now().Add(-5*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		l, err := st.LetterByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		e.letters = append(e.letters, l)
	}
	e.camp = e.letters[0].CampaignID
	cp, err := st.Campaign(ctx, e.camp)
	if err != nil {
		t.Fatal(err)
	}
	e.slug = cp.Slug
	for _, r := range auth.Roles {
		u := addUser(t, st, fmt.Sprintf("%s-%d@example.org", r, time.Now().UnixNano()), r)
		e.tokens[r] = bearer(t, st, u)
	}
	if err := st.RefreshRollups(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e trackEnv) get(t *testing.T, role auth.Role, path string) (int, string) {
	t.Helper()
	return do(t, http.DefaultClient, http.MethodGet, e.f.srv.URL+path, e.tokens[role], "", "")
}

func TestTrackingDashboardAndAPIRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newTrackEnv(t, st)
		camp := fmt.Sprint(e.camp)
		// organizers read the dashboard: inline SVG, no inline script or style
		code, body := e.get(t, auth.Organizer, "/admin/dashboard?campaign="+camp+"&sort=median&dir=asc")
		if code != 200 || !strings.Contains(body, "Responses from Congress") || !strings.Contains(body, `role="img"`) {
			t.Fatalf("dashboard %d %.300s", code, body)
		}
		for _, bad := range []string{"<script", " style=", "Publish the page", "pii=1"} {
			if strings.Contains(body, bad) {
				t.Errorf("organizer's dashboard contains %q", bad)
			}
		}
		if code, _ := e.get(t, auth.CaseEditor, "/admin/dashboard"); code != 403 {
			t.Errorf("case editor dashboard %d", code)
		}
		// A period without letters says so in the month table rather than showing bare headers.
		if code, body := e.get(t, auth.Organizer, "/admin/dashboard?campaign="+camp+"&from=2001-01&to=2001-02"); code != 200 ||
			!strings.Contains(body, "No letters were delivered and no calls reported in this period.") {
			t.Errorf("empty period: %d %s", code, body)
		}
		if code, _ := e.get(t, auth.Organizer, "/admin/dashboard?from=2026-13"); code != 400 {
			t.Errorf("bad month %d", code)
		}

		// the API
		code, body = e.get(t, auth.Organizer, "/api/v1/metrics/response-rates?group_by=office&campaign="+camp)
		var ans struct {
			GroupBy string `json:"group_by"`
			Groups  []struct {
				Key        string   `json:"key"`
				Delivered  int64    `json:"delivered"`
				Replied    int64    `json:"replied"`
				ReplyRate  *float64 `json:"reply_rate"`
				MedianDays *int     `json:"median_days_to_reply"`
				Basis      int      `json:"time_to_reply_letters"`
				Waiting    int      `json:"waiting"`
			} `json:"groups"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &ans) != nil || len(ans.Groups) != 3 {
			t.Fatalf("api %d %s", code, body)
		}
		for _, g := range ans.Groups {
			if g.Delivered != 1 || g.Replied != 0 || g.ReplyRate == nil || *g.ReplyRate != 0 || g.MedianDays != nil || g.Basis != 1 || g.Waiting != 1 {
				t.Errorf("group %+v", g)
			}
		}
		if code, _ := e.get(t, auth.Organizer, "/api/v1/metrics/response-rates?group_by=nope"); code != 400 {
			t.Errorf("bad group_by %d", code)
		}
		if code, _ := e.get(t, auth.CaseEditor, "/api/v1/metrics/response-rates"); code != 403 {
			t.Errorf("case editor api %d", code)
		}

		// logging a response through the API: campaigners yes, organizers no
		js := fmt.Sprintf(`{"letter_id": %d, "kind": "call", "substance": "substantive", "date": "%s", "note": "Chief of staff called back."}`,
			e.ids[0], time.Now().UTC().Add(-48*time.Hour).Format("2006-01-02"))
		if code, body := do(t, http.DefaultClient, http.MethodPost, e.f.srv.URL+"/api/v1/responses", e.tokens[auth.Organizer], "application/json", js); code != 403 {
			t.Errorf("organizer logs %d %s", code, body)
		}
		if code, body := do(t, http.DefaultClient, http.MethodPost, e.f.srv.URL+"/api/v1/responses", e.tokens[auth.Campaigner], "application/json", js); code != 201 || !strings.Contains(body, `"applied_to":1`) {
			t.Fatalf("campaigner logs %d %s", code, body)
		}
		bad := strings.Replace(js, "Chief of staff", "<img src=x>", 1)
		if code, body := do(t, http.DefaultClient, http.MethodPost, e.f.srv.URL+"/api/v1/responses", e.tokens[auth.Campaigner], "application/json", bad); code != 422 {
			t.Errorf("html note %d %s", code, body)
		}
		_, body = e.get(t, auth.Organizer, "/api/v1/metrics/response-rates?group_by=campaign&campaign="+camp)
		// 1 of 3 replied, 2 waiting: the curve stays above one half, so the median is not known yet
		if !strings.Contains(body, `"replied":1`) || !strings.Contains(body, `"median_days_to_reply":null`) || !strings.Contains(body, `"waiting":2`) {
			t.Errorf("after the log: %s", body)
		}

		// CSV: everyone with the dashboard gets tables and letters without PII
		code, body = e.get(t, auth.Organizer, "/admin/dashboard/export?table=letters&campaign="+camp)
		if code != 200 || !strings.HasPrefix(body, "letter_id,") || strings.Contains(body, "first_name") || strings.Count(body, "\n") != 4 {
			t.Errorf("letters csv %d %s", code, body)
		}
		if code, body := e.get(t, auth.Organizer, "/admin/dashboard/export?table=office&campaign="+camp); code != 200 || !strings.HasPrefix(body, "office,label,") {
			t.Errorf("office csv %d %s", code, body)
		}
		if code, _ := e.get(t, auth.Organizer, "/admin/dashboard/export?table=letters&pii=1"); code != 403 {
			t.Errorf("organizer pii %d", code)
		}
		if code, _ := e.get(t, auth.Campaigner, "/admin/dashboard/export?table=letters&pii=1"); code != 403 {
			t.Errorf("campaigner pii %d", code)
		}
		code, body = e.get(t, auth.Admin, "/admin/dashboard/export?table=letters&pii=1&campaign="+camp)
		if code != 200 || !strings.Contains(body, "first_name") {
			t.Errorf("admin pii %d %s", code, body)
		}
		entries, err := st.AuditLog(context.Background(), 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range entries {
			if a.Action == "export.pii" && a.ObjectID == camp {
				found = true
			}
		}
		if !found {
			t.Error("PII export not audited")
		}
	})
}

func inboundBody(t *testing.T, to, text, html string, attachment int) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("to", "Outreach <"+to+">")
	_ = w.WriteField("from", "Office of Rep. X <rep@mail.house.gov>")
	_ = w.WriteField("subject", "Re: Oversight")
	_ = w.WriteField("envelope", `{"to":["`+to+`"],"from":"rep@mail.house.gov"}`)
	if text != "" {
		_ = w.WriteField("text", text)
	}
	if html != "" {
		_ = w.WriteField("html", html)
	}
	if attachment > 0 {
		_ = w.WriteField("attachments", "1")
		fw, _ := w.CreateFormFile("attachment1", "big.pdf")
		_, _ = fw.Write(bytes.Repeat([]byte("x"), attachment))
	}
	_ = w.Close()
	return &b, w.FormDataContentType()
}

func postInbound(t *testing.T, u string, body *bytes.Buffer, ct string, user, pass string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, body)
	req.Header.Set("Content-Type", ct)
	if pass != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func TestInboundRepliesWebhookAndInbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newTrackEnv(t, st)
		base := e.f.srv.URL + "/webhooks/sendgrid/inbound"
		to := "reply+" + e.letters[1].ReplyToken + "@replies.example.org"
		secretText := "Thank you for contacting the office; quoted-supporter-text-7731"
		html := `<p>Thank you <b>for</b> writing.</p><script>alert("x")</script><p>quoted-supporter-text-7731</p>`

		b, ct := inboundBody(t, to, "", html, 0)
		if code, _ := postInbound(t, base, b, ct, "", ""); code != 403 {
			t.Errorf("no secret: %d", code)
		}
		b, ct = inboundBody(t, to, "", html, 0)
		if code, _ := postInbound(t, base+"?key=wrong", b, ct, "", ""); code != 403 {
			t.Errorf("wrong secret: %d", code)
		}
		b, ct = inboundBody(t, to, "", html, 6<<20)
		if code, _ := postInbound(t, base+"?key="+inboundSecret, b, ct, "", ""); code != 413 {
			t.Errorf("oversize: %d", code)
		}
		b, ct = inboundBody(t, to, "", html, 100<<10) // an attachment, read and dropped
		if code, body := postInbound(t, base+"?key="+inboundSecret, b, ct, "", ""); code != 200 || !strings.Contains(body, "queued") {
			t.Fatalf("query secret: %d %s", code, body)
		}
		b, ct = inboundBody(t, "reply+"+e.letters[2].ReplyToken+"@replies.example.org", secretText, "", 0)
		if code, body := postInbound(t, base, b, ct, "sendgrid", inboundSecret); code != 200 || !strings.Contains(body, "queued") {
			t.Fatalf("basic auth: %d %s", code, body)
		}
		b, ct = inboundBody(t, "reply+aaaaaaaaaaaaaaaaaaaaaaaa@replies.example.org", secretText, "", 0)
		if code, body := postInbound(t, base+"/"+inboundSecret, b, ct, "", ""); code != 200 || !strings.Contains(body, "ignored") {
			t.Errorf("path secret, unknown token: %d %s", code, body)
		}
		if strings.Contains(e.f.logs.String(), "quoted-supporter-text-7731") {
			t.Error("reply text reached the log")
		}

		// the inbox shows plain text, escaped
		code, body := e.get(t, auth.Campaigner, "/admin/responses/inbox")
		if code != 200 || !strings.Contains(body, "Thank you for writing.") || strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>for") {
			t.Fatalf("inbox %d %s", code, body)
		}
		if code, _ := e.get(t, auth.Organizer, "/admin/responses/inbox"); code != 403 {
			t.Errorf("organizer inbox %d", code)
		}
		pend, err := st.InboundReplies(context.Background(), "pending", 500)
		if err != nil {
			t.Fatal(err)
		}
		var mine []store.InboundReply
		for _, r := range pend {
			if r.LetterID == e.ids[1] || r.LetterID == e.ids[2] {
				mine = append(mine, r)
			}
		}
		if len(mine) != 2 {
			t.Fatalf("queued %d replies", len(mine))
		}
		// at rest the reply is sealed to its row, and the old plaintext
		// columns stay empty
		for _, r := range mine {
			if strings.Contains(r.Sealed, "quoted-supporter-text") || strings.Contains(r.Sealed, "Thank you") {
				t.Errorf("reply %d stored in clear: %q", r.ID, r.Sealed)
			}
			if _, _, err := tracking.OpenReply(e.keys, r.ID+1000, r.Sealed); err == nil {
				t.Errorf("reply %d opens as another row", r.ID)
			}
		}
		var plain int
		if err := st.DB().QueryRow("SELECT COUNT(*) FROM inbound_replies WHERE from_addr <> '' OR subject <> '' OR body <> ''").Scan(&plain); err != nil || plain != 0 {
			t.Errorf("%d replies with plaintext columns (%v)", plain, err)
		}
		post := func(id int64, decision string) int {
			code, _ := do(t, browserClient(t), http.MethodPost, fmt.Sprintf("%s/admin/responses/inbox/%d", e.f.srv.URL, id),
				e.tokens[auth.Campaigner], "application/x-www-form-urlencoded", url.Values{"decision": {decision}}.Encode())
			return code
		}
		if c := post(mine[0].ID, "substantive"); c != 303 {
			t.Errorf("classify %d", c)
		}
		if c := post(mine[1].ID, "discard"); c != 303 {
			t.Errorf("discard %d", c)
		}
		if c := post(mine[1].ID, "refusal"); c != 404 {
			t.Errorf("decided twice %d", c)
		}
		_, body = e.get(t, auth.Organizer, fmt.Sprintf("/api/v1/metrics/response-rates?group_by=campaign&campaign=%d", e.camp))
		if !strings.Contains(body, `"replied":1`) || !strings.Contains(body, `"substantive":1`) {
			t.Errorf("classified reply not counted: %s", body)
		}
	})
}

func TestPublicResponsivenessOptIn(t *testing.T) {
	st := storetest.SQLite(t)
	e := newTrackEnv(t, st)
	page := e.f.srv.URL + "/c/" + e.slug + "/responsiveness"
	if code, _ := do(t, http.DefaultClient, http.MethodGet, page, "", "", ""); code != 404 {
		t.Errorf("before opt-in: %d", code)
	}
	toggle := func(role auth.Role, on string) int {
		code, _ := do(t, browserClient(t), http.MethodPost, e.f.srv.URL+"/admin/dashboard/public", e.tokens[role],
			"application/x-www-form-urlencoded", url.Values{"campaign": {fmt.Sprint(e.camp)}, "public": {on}}.Encode())
		return code
	}
	if c := toggle(auth.Organizer, "1"); c != 403 {
		t.Errorf("organizer toggles: %d", c)
	}
	if c := toggle(auth.Campaigner, "1"); c != 303 {
		t.Fatalf("campaigner toggles: %d", c)
	}
	code, body := do(t, http.DefaultClient, http.MethodGet, page+"?lang=es", "", "", "")
	if code != 200 || !strings.Contains(body, "Cómo respondieron") || strings.Contains(body, "@") {
		t.Fatalf("public page %d %s", code, body)
	}
	if c := toggle(auth.Campaigner, "0"); c != 303 {
		t.Fatal(c)
	}
	if code, _ := do(t, http.DefaultClient, http.MethodGet, page, "", "", ""); code != 404 {
		t.Errorf("after opt-out: %d", code)
	}
	// the staff form renders
	if code, body := e.get(t, auth.Campaigner, "/admin/responses/new?office=W000001"); code != 200 || !strings.Contains(body, `name="note"`) {
		t.Errorf("form %d", code)
	}
}
