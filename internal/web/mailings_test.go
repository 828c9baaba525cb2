package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/seal"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// addOptIn writes a confirmed opt-in, as the double opt-in leaves it.
func addOptIn(t testing.TB, st *store.Store, keys *seal.Keys, email, first, lang string, campaignID int64) {
	t.Helper()
	idx := keys.Index("email", email)
	sealed, err := keys.SealJSON(map[string]string{"email": email, "first_name": first}, action.OptInAAD(idx))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(-time.Minute).UTC()
	if _, err := st.DB().ExecContext(context.Background(), "INSERT INTO optins (email_index, sealed, lang, campaign_id, requested_at, confirmed_at) VALUES ($1,$2,$3,$4,$5,$6)",
		idx, sealed, lang, campaignID, now, now); err != nil {
		t.Fatal(err)
	}
}

// TestMailingAPIAndPages: a template error is refused with its field,
// line and column, and nothing is saved; a segment that matches nobody is
// refused before anything is sent; the preview for one supporter is in
// their language, with their name, a source=mailing link and a one-click
// unsubscribe link that works without a session (RFC 8058) and takes
// them out of the segment; the staff pages draw the form, keep what was
// typed on an error, and show the progress.
func TestMailingAPIAndPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		slug := unique("mail")
		a := newActionServer(t, st, slug, campaign.Live)
		tok := bearer(t, st, addUser(t, st, unique("mailer")+"@example.org", auth.Campaigner))
		c := browserClient(t)
		camp := itoa(a.camp.ID)
		email := unique("luz") + "@example.org"
		addOptIn(t, st, a.keys, email, "Luz", "es", a.camp.ID)
		body := func(extra string) string {
			return `{"name": "Hearing week", "campaign_id": ` + camp + `, "subject_en": "{{.first_name}}, one minute", "body_en": "Hi {{.first_name}}",` +
				` "subject_es": "{{.first_name}}, un minuto", "body_es": "Hola {{.first_name}}:\n\n{{if .members}}{{.members}}{{else}}Escriba{{end}}: {{.campaign_link}}", "segment": {"campaign_id": ` + camp + `}` + extra + `}`
		}
		before, _ := st.Mailings(context.Background(), 1000)
		code, resp := do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings", tok, "application/json",
			`{"name": "Broken", "subject_en": "Hi", "body_en": "Hello,\n\n  {{.frist_name}}", "segment": {"campaign_id": `+camp+`}}`)
		if line, col, msg := refusalFor(t, resp, "body_en"); code != 422 || line != 3 || col != 5 || !strings.Contains(msg, "frist_name") {
			t.Errorf("template error: %d %s", code, resp)
		}
		other, err := st.CreateCampaign(context.Background(), campaign.Campaign{Slug: unique("empty"), Title: "Empty", Targets: campaign.TargetBoth,
			LOCTopic: "Immigration", Status: campaign.Draft, Subject: "S", Template: "{{.salutation}}"}, store.Audit{Action: "test"})
		if err != nil {
			t.Fatal(err)
		}
		code, resp = do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings", tok, "application/json",
			`{"name": "Nobody", "subject_en": "Hi", "body_en": "Hi", "segment": {"campaign_id": `+itoa(other.ID)+`}}`)
		if _, _, msg := refusalFor(t, resp, "segment"); code != 422 || !strings.Contains(msg, "matches no supporter") {
			t.Errorf("empty segment: %d %s", code, resp)
		}
		if after, _ := st.Mailings(context.Background(), 1000); len(after) != len(before) {
			t.Errorf("a refused mailing was saved")
		}

		// The preview for Luz: Spanish, her name, the tracked link, her own
		// unsubscribe link.
		code, resp = do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings/preview", tok, "application/json", body(`, "preview": {"email": "`+email+`"}`))
		var p struct {
			Recipients map[string]int    `json:"recipients"`
			Lang       string            `json:"lang"`
			Sample     bool              `json:"sample"`
			Subject    string            `json:"subject"`
			Text       string            `json:"text"`
			Headers    map[string]string `json:"headers"`
		}
		if err := json.Unmarshal([]byte(resp), &p); err != nil || code != 200 {
			t.Fatalf("preview: %d %s", code, resp)
		}
		if p.Lang != "es" || p.Sample || p.Subject != "Luz, un minuto" || !strings.Contains(p.Text, "Hola Luz:") ||
			!strings.Contains(p.Text, "/c/"+slug+"?lang=es&source=mailing-new") || p.Recipients["total"] < 1 || p.Recipients["es"] < 1 ||
			p.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
			t.Fatalf("preview: %+v", p)
		}
		// A supporter who wrote to their members (ZIP 94110) and joined the
		// list: {{.members}} names the offices their letters went to.
		if code, body := a.post(t, c, "/c/"+slug+"/send", supporter("94110", "CA")); code != http.StatusOK && code != http.StatusSeeOther {
			t.Fatalf("send: %d %s", code, body)
		}
		if code, body := a.confirm(t, c, a.confirmLink(t)); code != http.StatusOK && code != http.StatusSeeOther {
			t.Fatalf("confirm: %d %s", code, body)
		}
		addOptIn(t, st, a.keys, "ana@example.org", "Ana", "en", a.camp.ID)
		code, resp = do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings/preview", tok, "application/json",
			`{"name": "M", "subject_en": "Hi", "body_en": "Dear {{.first_name}}: ask {{.members}} ({{.district}}).", "segment": {"campaign_id": `+camp+`}, "preview": {"email": "ana@example.org"}}`)
		var ana struct{ Text string }
		if err := json.Unmarshal([]byte(resp), &ana); err != nil || code != 200 ||
			!strings.Contains(ana.Text, "Dear Ana: ask Senator ") || !strings.Contains(ana.Text, " and Representative Nancy Pelosi (CA-11).") {
			t.Errorf("preview with members: %d %s", code, resp)
		}

		// Segments by what supporters did: Ana wrote to California's members
		// in this campaign, and no office has replied; Luz wrote nothing.
		in := func(seg, who string) int {
			code, _ := do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings/preview", tok, "application/json",
				`{"name": "M", "subject_en": "Hi", "body_en": "Hi", "segment": `+seg+`, "preview": {"email": "`+who+`"}}`)
			return code
		}
		for _, tc := range []struct {
			seg      string
			ana, luz int
		}{
			{`{"states": ["CA"]}`, 200, 422},
			{`{"states": ["AZ"]}`, 422, 422},
			{`{"no_reply_campaign_id": ` + camp + `}`, 200, 422},
			{`{"not_written_campaign_id": ` + camp + `}`, 422, 200},
		} {
			if got, got2 := in(tc.seg, "ana@example.org"), in(tc.seg, email); got != tc.ana || got2 != tc.luz {
				t.Errorf("segment %s: Ana %d, Luz %d; want %d, %d", tc.seg, got, got2, tc.ana, tc.luz)
			}
		}
		if code, resp := do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings/preview", tok, "application/json",
			`{"name": "M", "subject_en": "Hi", "body_en": "Hi", "segment": {"states": ["ZZ"]}}`); code != 422 || !strings.Contains(resp, "segment.states[0]") {
			t.Errorf("unknown state: %d %s", code, resp)
		}

		// Saved and scheduled: the API answers with its progress.
		code, resp = do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings", tok, "application/json", body(""))
		var m struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
			Left   int    `json:"left"`
			Source string `json:"source"`
		}
		if err := json.Unmarshal([]byte(resp), &m); err != nil || code != 201 || m.Status != "scheduled" || m.Left < 1 {
			t.Fatalf("create: %d %s", code, resp)
		}
		// The one-click unsubscribe: a POST from the mail client, no session,
		// no CSRF token, the signed link alone.
		lu := strings.Trim(p.Headers["List-Unsubscribe"], "<>")
		u, err := url.Parse(lu)
		if err != nil {
			t.Fatal(err)
		}
		anon := &http.Client{}
		resp2, err := anon.PostForm(a.srv.URL+u.Path+"?"+u.RawQuery, url.Values{"List-Unsubscribe": {"One-Click"}})
		if err != nil {
			t.Fatal(err)
		}
		resp2.Body.Close()
		if resp2.StatusCode != 200 {
			t.Fatalf("one-click unsubscribe: %d", resp2.StatusCode)
		}
		// A forged token does nothing.
		forged := strings.Replace(u.RawQuery, "t=", "t=x", 1)
		if r, err := anon.PostForm(a.srv.URL+u.Path+"?"+forged, url.Values{"List-Unsubscribe": {"One-Click"}}); err != nil || r.StatusCode == 200 {
			t.Errorf("forged one-click link: %v %v", r.StatusCode, err)
		}
		code, resp = do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings/preview", tok, "application/json", body(`, "preview": {"email": "`+email+`"}`))
		if _, _, msg := refusalFor(t, resp, "preview.email"); code != 422 || msg == "" {
			t.Errorf("preview for an unsubscribed supporter: %d %s", code, resp)
		}

		// Pages.
		signIn(t, c, a.srv.URL, addUser(t, st, unique("mailpage")+"@example.org", auth.Campaigner).Email)
		form := url.Values{"name": {"Page mailing"}, "segment": {camp}, "campaign_id": {camp}, "subject_en": {"Hi {{.first_name}}"},
			"body_en": {"Line one\n  {{if .first_name}}x{{end}} {{.nope}}"}, "action": {"send"}}
		form.Set("_csrf", csrfFrom(t, c, a.srv.URL+"/admin/mailings/new"))
		code, page, _ := postForm(t, c, a.srv.URL+"/admin/mailings", form)
		if code != 422 || !strings.Contains(page, "line 2, column 32") || !strings.Contains(page, "Page mailing") || !strings.Contains(page, "{{.nope}}") {
			t.Errorf("form error: %d\n%s", code, page)
		}
		code, page = do(t, c, http.MethodGet, a.srv.URL+"/admin/mailings/"+itoa(m.ID), "", "", "")
		if code != 200 || !strings.Contains(page, `id="sent"`) || !strings.Contains(page, "source=mailing-"+itoa(m.ID)) {
			t.Errorf("progress page: %d\n%s", code, page)
		}
	})
}
