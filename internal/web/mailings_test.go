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
	addOptInAt(t, st, keys, email, first, lang, campaignID, "", nil, "")
}

// addOptInAt is addOptIn with the supporter's state, district and source.
func addOptInAt(t testing.TB, st *store.Store, keys *seal.Keys, email, first, lang string, campaignID int64, state string, district *int, source string) {
	t.Helper()
	idx := keys.Index("email", email)
	sealed, err := keys.SealJSON(map[string]string{"email": email, "first_name": first}, action.OptInAAD(idx))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(-time.Minute).UTC()
	if _, err := st.DB().ExecContext(context.Background(), "INSERT INTO optins (email_index, sealed, lang, campaign_id, requested_at, confirmed_at, state, district, source)"+
		" VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)", idx, sealed, lang, campaignID, now, now, state, district, source); err != nil {
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
			Recipients     map[string]int    `json:"recipients"`
			WithoutMembers int               `json:"without_members"`
			WithoutRep     int               `json:"without_representative"`
			Lang           string            `json:"lang"`
			Sample         bool              `json:"sample"`
			Subject        string            `json:"subject"`
			Text           string            `json:"text"`
			Headers        map[string]string `json:"headers"`
		}
		if err := json.Unmarshal([]byte(resp), &p); err != nil || code != 200 {
			t.Fatalf("preview: %d %s", code, resp)
		}
		if p.Lang != "es" || p.Sample || p.Subject != "Luz, un minuto" || !strings.Contains(p.Text, "Hola Luz:") ||
			!strings.Contains(p.Text, "/c/"+slug+"?lang=es&source=mailing-new") || p.Recipients["total"] < 1 || p.Recipients["es"] < 1 ||
			p.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
			t.Fatalf("preview: %+v", p)
		}
		// Luz never wrote and the list has no state for her: the preview
		// says her member fields will be empty.
		if p.Recipients["total"] != 1 || p.WithoutMembers != 1 || p.WithoutRep != 0 {
			t.Errorf("preview's unknown places: %d recipients, %d without members, %d without a representative", p.Recipients["total"], p.WithoutMembers, p.WithoutRep)
		}
		// A supporter who wrote to their members (ZIP 94110) and joined the
		// list: {{.members}} names the offices their letters went to.
		if code, body := a.post(t, c, "/c/"+slug+"/send", supporter("94110", "CA")); code != http.StatusOK && code != http.StatusSeeOther {
			t.Fatalf("send: %d %s", code, body)
		}
		if code, body := a.confirm(t, c, a.confirmLink(t)); code != http.StatusOK && code != http.StatusSeeOther {
			t.Fatalf("confirm: %d %s", code, body)
		}
		eleven := 11
		radio := unique("radio")
		addOptInAt(t, st, a.keys, "ana@example.org", "Ana", "en", a.camp.ID, "CA", &eleven, radio)
		code, resp = do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings/preview", tok, "application/json",
			`{"name": "M", "subject_en": "Hi", "body_en": "Dear {{.first_name}}: ask {{.members}} ({{.district}}).", "segment": {"campaign_id": `+camp+`}, "preview": {"email": "ana@example.org"}}`)
		var ana struct{ Text string }
		if err := json.Unmarshal([]byte(resp), &ana); err != nil || code != 200 ||
			!strings.Contains(ana.Text, "Dear Ana: ask Senator ") || !strings.Contains(ana.Text, " and Representative Nancy Pelosi (CA-11).") {
			t.Errorf("preview with members: %d %s", code, resp)
		}

		// Segments are the supporter list's filters: Ana lives in CA-11,
		// joined through the radio link, wrote in this campaign, and her
		// representative has not replied; Luz (no address on the list)
		// wrote nothing.
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
			{`{"districts": ["CA-11"]}`, 200, 422},
			{`{"districts": ["CA-12"]}`, 422, 422},
			{`{"source": "` + radio + `"}`, 200, 422},
			{`{"lang": "es"}`, 422, 200},
			{`{"joined_from": "` + time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02") + `"}`, 422, 422},
			{`{"not_replied_campaign_id": ` + camp + `}`, 200, 422},
			{`{"not_written_campaign_id": ` + camp + `}`, 422, 200},
		} {
			if got, got2 := in(tc.seg, "ana@example.org"), in(tc.seg, email); got != tc.ana || got2 != tc.luz {
				t.Errorf("segment %s: Ana %d, Luz %d; want %d, %d", tc.seg, got, got2, tc.ana, tc.luz)
			}
		}
		// The count before sending is the list's count for the same filters.
		for _, tc := range []struct{ seg, list string }{
			{`{"districts": ["CA-11"]}`, "district=CA-11"},
			{`{"source": "` + radio + `", "campaign_id": ` + camp + `}`, "source=" + radio + "&campaign=" + a.camp.Slug},
			{`{"states": ["CA"], "not_written_campaign_id": ` + camp + `}`, "state=CA&not_written=" + camp},
		} {
			_, resp := do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings/preview", tok, "application/json",
				`{"name": "M", "subject_en": "Hi", "body_en": "Hi", "segment": `+tc.seg+`}`)
			var pv struct{ Recipients map[string]int }
			_ = json.Unmarshal([]byte(resp), &pv)
			_, lresp := do(t, c, http.MethodGet, a.srv.URL+"/api/v1/supporters?"+tc.list, tok, "", "")
			var l struct{ Total int }
			if err := json.Unmarshal([]byte(lresp), &l); err != nil {
				t.Fatal(lresp)
			}
			if pv.Recipients["total"] != l.Total {
				t.Errorf("segment %s counts %d, the list (%s) %d", tc.seg, pv.Recipients["total"], tc.list, l.Total)
			}
		}
		// Filters that cannot be used: each named, all at once, nothing saved.
		code, resp = do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings", tok, "application/json",
			`{"name": "M", "subject_en": "Hi", "body_en": "Hi", "segment": {"states": ["ZZ"], "committee": "XXJU", "joined_to": "soon"}}`)
		for _, f := range []string{"segment.states", "segment.committee", "segment.joined_to"} {
			if _, _, msg := refusalFor(t, resp, f); code != 422 || msg == "" {
				t.Errorf("%s not refused: %d %s", f, code, resp)
			}
		}
		code, resp = do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings", tok, "application/json",
			`{"name": "M", "subject_en": "Hi", "body_en": "Hi", "segment": {"states": ["AZ"], "districts": ["CA-12"]}}`)
		if _, _, msg := refusalFor(t, resp, "segment.districts"); code != 422 || !strings.Contains(msg, "not in the states chosen") {
			t.Errorf("district of another state: %d %s", code, resp)
		}
		code, resp = do(t, c, http.MethodPost, a.srv.URL+"/api/v1/mailings", tok, "application/json",
			`{"name": "M", "subject_en": "Hi", "body_en": "Hi", "segment": {"no_reply_campaign_id": `+camp+`}}`)
		if _, _, msg := refusalFor(t, resp, "segment.no_reply_campaign_id"); code != 422 || !strings.Contains(msg, "not_replied_campaign_id") {
			t.Errorf("the old key: %d %s", code, resp)
		}
		if after, _ := st.Mailings(context.Background(), 1000); len(after) != len(before) {
			t.Errorf("a refused mailing was saved")
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

		// Unsubscribes through this mailing's link count for it.
		anaLink := action.NewSigner(a.keys.Index).Sign("unsub", action.UnsubValue(a.keys.Index("email", "ana@example.org"), m.ID), time.Time{})
		if r, err := anon.PostForm(a.srv.URL+"/u?t="+anaLink, url.Values{"List-Unsubscribe": {"One-Click"}}); err != nil || r.StatusCode != 200 {
			t.Fatalf("one-click unsubscribe from the mailing: %v %v", r, err)
		}
		code, resp = do(t, c, http.MethodGet, a.srv.URL+"/api/v1/mailings/"+itoa(m.ID), tok, "", "")
		var mu struct{ Unsubscribed int }
		if err := json.Unmarshal([]byte(resp), &mu); err != nil || code != 200 || mu.Unsubscribed != 1 {
			t.Errorf("unsubscribes of the mailing: %d %s", code, resp)
		}

		// Pages.
		signIn(t, c, a.srv.URL, addUser(t, st, unique("mailpage")+"@example.org", auth.Campaigner).Email)
		form := url.Values{"name": {"Page mailing"}, "seg_campaign": {camp}, "campaign_id": {camp}, "subject_en": {"Hi {{.first_name}}"},
			"body_en": {"Line one\n  {{if .first_name}}x{{end}} {{.nope}}"}, "action": {"send"}}
		form.Set("_csrf", csrfFrom(t, c, a.srv.URL+"/admin/mailings/new"))
		code, page, _ := postForm(t, c, a.srv.URL+"/admin/mailings", form)
		if code != 422 || !strings.Contains(page, "line 2, column 32") || !strings.Contains(page, "Page mailing") || !strings.Contains(page, "{{.nope}}") {
			t.Errorf("form error: %d\n%s", code, page)
		}
		// The summary names the field as the form labels it, not by its parameter name.
		if !strings.Contains(page, `<a href="#body_en">English body, line 2, column 32:`) || strings.Contains(page, `">body_en</a>`) ||
			!strings.Contains(page, `<mark class="code-mark">`) {
			t.Errorf("error summary does not name the field by its label:\n%s", page)
		}
		// A filter that cannot be used: named by the field, what was typed kept.
		form = url.Values{"name": {"Districts"}, "seg_state": {"AZ"}, "seg_district": {"CA-12"}, "seg_committee": {"XXJU"}, "seg_source": {radio},
			"subject_en": {"Hi"}, "body_en": {"Hi"}, "action": {"send"}}
		form.Set("_csrf", csrfFrom(t, c, a.srv.URL+"/admin/mailings/new"))
		code, page, _ = postForm(t, c, a.srv.URL+"/admin/mailings", form)
		if code != 422 || !strings.Contains(page, `id="seg_district-error"`) || !strings.Contains(page, "not in the states chosen") ||
			!strings.Contains(page, `value="CA-12"`) || !strings.Contains(page, `value="`+radio+`"`) || !strings.Contains(page, "no committee") ||
			!strings.Contains(page, `<option value="XXJU" selected>`) {
			t.Errorf("segment error on the form: %d\n%s", code, page)
		}
		// The list's filters fill the form ("Email these supporters").
		code, page = do(t, c, http.MethodGet, a.srv.URL+"/admin/mailings/new?campaign="+a.camp.Slug+"&district=CA-11&committee=SSJU", "", "", "")
		if code != 200 || !strings.Contains(page, `<option value="`+camp+`" selected>`) || !strings.Contains(page, `value="CA-11"`) ||
			!strings.Contains(page, `<option value="SSJU" selected>`) || !strings.Contains(page, "/admin/supporters?campaign="+camp+"&amp;committee=SSJU&amp;district=CA-11") {
			t.Errorf("form from the list's filters: %d\n%s", code, page)
		}
		// A link naming no campaign keeps it, marked, with the problem at the
		// field: it never reads as "Any campaign" (every supporter).
		code, page = do(t, c, http.MethodGet, a.srv.URL+"/admin/mailings/new?campaign=no-such-campaign&not_written=999999", "", "", "")
		if code != 200 || !strings.Contains(page, `<option value="no-such-campaign" selected>no-such-campaign (unknown)`) ||
			!strings.Contains(page, `id="seg_campaign-error"`) || !strings.Contains(page, "No campaign has the id or link name “no-such-campaign”") ||
			!strings.Contains(page, `<option value="999999" selected>`) || !strings.Contains(page, `id="seg_not_written-error"`) ||
			strings.Contains(page, `<option value="" selected>Any campaign`) {
			t.Errorf("form from a link naming no campaign: %d\n%s", code, page)
		}
		form = url.Values{"name": {"Unknown"}, "seg_campaign": {"no-such-campaign"}, "subject_en": {"Hi"}, "body_en": {"Hi"}, "action": {"send"}}
		form.Set("_csrf", csrfFrom(t, c, a.srv.URL+"/admin/mailings/new"))
		if code, page, _ = postForm(t, c, a.srv.URL+"/admin/mailings", form); code != 422 || !strings.Contains(page, `<option value="no-such-campaign" selected>`) {
			t.Errorf("a mailing to an unknown campaign: %d\n%s", code, page)
		}
		code, page = do(t, c, http.MethodGet, a.srv.URL+"/admin/mailings/"+itoa(m.ID), "", "", "")
		if code != 200 || !strings.Contains(page, `id="sent"`) || !strings.Contains(page, "source=mailing-"+itoa(m.ID)) ||
			!strings.Contains(page, `id="unsubscribed">1<`) || !strings.Contains(page, "joined through or wrote in") {
			t.Errorf("progress page: %d\n%s", code, page)
		}
	})
}
