package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

const (
	callScriptEN = "Hello, I am a constituent calling {{.salutation}}'s office. {{stat \"children_separated\"}} children were separated from their parents. I ask {{.member_title}} {{.member_name}} to request the records."
	callScriptES = "Hola, soy constituyente y llamo a la oficina de {{.member_phrase}} ({{.salutation}}). {{stat \"children_separated\"}} niños fueron separados de sus padres."
)

var (
	callTokenRE  = regexp.MustCompile(`name="t" value="([^"]+)"`)
	thanksLinkRE = regexp.MustCompile(`/c/[a-z0-9-]+/thanks\?t=[^"&]+`)
)

// realRelease publishes a release from records that are not the
// demonstration's, so that scripts may quote its figures.
func realRelease(t *testing.T, st *store.Store) store.Release {
	t.Helper()
	ctx := context.Background()
	if _, err := st.CreateCases(ctx, slices.Values(slices.Collect(casestats.Synthetic(3000, 5))), store.ImportOptions{}, store.Audit{}); err != nil {
		t.Fatal(err)
	}
	rel, err := st.CreateRelease(ctx, store.ReleaseRequest{}, store.Audit{})
	if err != nil || rel.Synthetic {
		t.Fatalf("release %+v, %v", rel, err)
	}
	return rel
}

// callTotals reads the counted calls of a campaign per office.
func callTotals(t *testing.T, st *store.Store, campaignID int64) map[string]store.CallTally {
	t.Helper()
	gs, err := st.CallMetrics(context.Background(), store.MetricsQuery{GroupBy: "office", CampaignID: campaignID})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.CallTally{}
	for _, g := range gs {
		out[g.Key] = g.CallTally
	}
	return out
}

// After the letters are confirmed, the thank-you page lists each office
// with its Washington and nearest district office numbers as tel: links,
// the script rendered for that member with the release's figures, and
// one form per office; an outcome counts once per office and page, even
// replayed or posted forty times at once, without CSRF nothing counts,
// and nothing about the caller is stored.
func TestCallsAfterLetters(t *testing.T) {
	eachCaseStore(t, func(t *testing.T, st *store.Store) {
		rel := realRelease(t, st)
		children, _ := rel.Figures.Value("children_separated")
		childrenES, _ := rel.Figures.ValueLang("children_separated", "es")
		a := newActionServer(t, st, "calls-after-"+string(st.Dialect()), campaign.Live, func(c *campaign.Campaign) {
			c.CallScriptEN, c.CallScriptES = callScriptEN, callScriptES
		})
		c := browserClient(t)
		if code, body := a.post(t, c, "/c/"+a.camp.Slug+"/send", supporter("94110", "CA")); code != 200 {
			t.Fatalf("send: %d %s", code, body)
		}
		code, body := a.confirm(t, c, a.confirmLink(t))
		page := html.UnescapeString(body)
		if code != 200 || !strings.Contains(page, "Thank you!") || !strings.Contains(page, "Now call them too") {
			t.Fatalf("thank-you page: %d %s", code, body)
		}
		for _, want := range []string{
			`href="tel:+12022254965"`, // Pelosi, Washington
			`href="tel:+14155564862"`, // Pelosi, San Francisco
			`href="tel:+12022243553"`, // Padilla, Washington
			`href="tel:+14159819369"`, // Padilla's San Francisco office: in the supporter's district (not Fresno, listed first)
			"District office, San Francisco",
			"calling Dear Representative Pelosi's office. " + children + " children were separated",
			"I ask Senator Alex Padilla to request the records.",
			`id="call-P000145"`, `id="call-S001150"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("thank-you page lacks %q", want)
			}
		}
		if n := strings.Count(page, `name="outcome" value="voicemail"`); n != 3 {
			t.Errorf("%d offices have outcome buttons, want 3", n)
		}
		m := callTokenRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no call page token on the thank-you page")
		}
		token := html.UnescapeString(m[1])
		callURL := a.srv.URL + "/c/" + a.camp.Slug + "/call?t=" + url.QueryEscape(token)

		// Spanish: the Spanish script, with the Spanish figure and title.
		_, es := a.get(t, "/c/"+a.camp.Slug+"/call?lang=es&t="+url.QueryEscape(token))
		es = html.UnescapeString(es)
		if !strings.Contains(es, "llamo a la oficina del senador Alex Padilla (Senador Padilla). "+childrenES+" niños") || !strings.Contains(es, "Hablé con el personal") ||
			!strings.Contains(es, `lang="es"`) {
			t.Errorf("Spanish call page:\n%s", es)
		}

		report := func(office, outcome string, csrf bool) (int, string) {
			form := url.Values{"t": {token}, "office": {office}, "outcome": {outcome}}
			if csrf {
				form.Set("_csrf", csrfFrom(t, c, callURL))
			}
			code, _, loc := postForm(t, c, a.srv.URL+"/c/"+a.camp.Slug+"/call/outcome", form)
			return code, loc
		}
		if code, _ := report("P000145", "reached", false); code != http.StatusForbidden {
			t.Errorf("without CSRF: %d", code)
		}
		if len(callTotals(t, st, a.camp.ID)) != 0 {
			t.Fatal("a post without CSRF counted")
		}
		code, loc := report("P000145", "reached", true)
		if code != http.StatusSeeOther || !strings.HasSuffix(loc, "#call-P000145") {
			t.Fatalf("report: %d %s", code, loc)
		}
		_, after := a.get(t, "/c/"+a.camp.Slug+"/call?t="+url.QueryEscape(token))
		if !strings.Contains(after, "Reported: Talked to staff. Thank you!") || strings.Count(after, `name="outcome" value="voicemail"`) != 2 {
			t.Errorf("call page after the report:\n%s", after)
		}
		// The thank-you page reopened (a reload, the language switch) is
		// the same call page: what was reported shows, nothing counts twice.
		if m := thanksLinkRE.FindStringSubmatch(body); m == nil {
			t.Error("no link to reopen the thank-you page")
		} else {
			_, again := a.get(t, html.UnescapeString(m[0]))
			if !strings.Contains(again, "Reported: Talked to staff. Thank you!") || strings.Count(again, `name="outcome" value="voicemail"`) != 2 {
				t.Errorf("thank-you page reopened:\n%s", again)
			}
		}
		// Replayed, or another outcome for the same office: nothing more.
		report("P000145", "reached", true)
		report("P000145", "voicemail", true)
		// Forty parallel posts for another office on the same page: one.
		tok := csrfFrom(t, c, callURL)
		var wg sync.WaitGroup
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := c.PostForm(a.srv.URL+"/c/"+a.camp.Slug+"/call/outcome",
					url.Values{"_csrf": {tok}, "t": {token}, "office": {"S001150"}, "outcome": {"voicemail"}})
				if err == nil {
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
		got := callTotals(t, st, a.camp.ID)
		if got["P000145"] != (store.CallTally{Reached: 1, Total: 1}) || got["S001150"] != (store.CallTally{Voicemail: 1, Total: 1}) || len(got) != 2 {
			t.Errorf("counted %+v", got)
		}
		// A forged token, an office not on the page, an unknown outcome.
		for _, f := range []url.Values{
			{"t": {token + "x"}, "office": {"S001150"}, "outcome": {"busy"}},
			{"t": {token}, "office": {"C001075"}, "outcome": {"busy"}},
			{"t": {token}, "office": {"P000145"}, "outcome": {"hung-up"}},
		} {
			f.Set("_csrf", tok)
			if code, _, _ := postForm(t, c, a.srv.URL+"/c/"+a.camp.Slug+"/call/outcome", f); code != http.StatusBadRequest {
				t.Errorf("%v: %d, want 400", f, code)
			}
		}
		// An expired page counts nothing.
		old := action.NewSigner(a.keys.Index).SignCallPage(action.CallPage{CampaignID: a.camp.ID, Nonce: strings.Repeat("a", 32),
			Offices: []action.CallOffice{{BioguideID: "P000145", Office: 0}}}, time.Now().Add(-time.Minute))
		if code, _, _ := postForm(t, c, a.srv.URL+"/c/"+a.camp.Slug+"/call/outcome",
			url.Values{"_csrf": {tok}, "t": {old}, "office": {"P000145"}, "outcome": {"busy"}}); code != http.StatusGone {
			t.Errorf("expired page: %d", code)
		}
		if got := callTotals(t, st, a.camp.ID); got["P000145"].Total != 1 || got["S001150"].Total != 1 {
			t.Errorf("after refused posts: %+v", got)
		}
		// The calls are in the response-rates API (per group, per outcome),
		// the dashboard and its CSV export, beside the letters.
		org := addUser(t, st, unique("organizer")+"@example.org", auth.Organizer)
		otok := bearer(t, st, org)
		code, body = do(t, c, http.MethodGet, a.srv.URL+"/api/v1/metrics/response-rates?group_by=office&campaign="+strconv.FormatInt(a.camp.ID, 10), otok, "", "")
		if code != 200 || !strings.Contains(body, `"key":"S001150"`) ||
			!strings.Contains(body, `"calls":{"reached":0,"voicemail":1,"busy":0,"skipped":0,"total":1}`) ||
			!strings.Contains(body, `"calls":{"reached":1,"voicemail":0,"busy":0,"skipped":0,"total":1}`) {
			t.Errorf("response rates by office: %d %s", code, body)
		}
		code, body = do(t, c, http.MethodGet, a.srv.URL+"/api/v1/metrics/response-rates?group_by=chamber&campaign="+strconv.FormatInt(a.camp.ID, 10), otok, "", "")
		if code != 200 || !strings.Contains(body, `"key":"senate"`) || !strings.Contains(body, `"calls":{"reached":1,"voicemail":1,"busy":0,"skipped":0,"total":2}`) {
			t.Errorf("response rates by chamber: %d %s", code, body)
		}
		// A grouping added up from the offices (committees) adds their calls.
		code, body = do(t, c, http.MethodGet, a.srv.URL+"/api/v1/metrics/response-rates?group_by=committee&campaign="+strconv.FormatInt(a.camp.ID, 10), otok, "", "")
		if code != 200 || !regexp.MustCompile(`"calls":\{"reached":[01],"voicemail":[01],"busy":0,"skipped":0,"total":[12]\}`).MatchString(body) {
			t.Errorf("response rates by committee: %d %s", code, body)
		}
		oc := browserClient(t)
		signIn(t, oc, a.srv.URL, org.Email)
		_, dash := getPage(t, oc, a.srv.URL+"/admin/dashboard?campaign="+strconv.FormatInt(a.camp.ID, 10))
		if !strings.Contains(dash, "Calls reported") || !strings.Contains(dash, "1: 0 staff, 1 voicemail, 0 busy or full, 0 skipped") {
			t.Errorf("dashboard lacks the calls:\n%s", dash)
		}
		_, csvBody := getPage(t, oc, a.srv.URL+"/admin/dashboard/export?table=office&campaign="+strconv.FormatInt(a.camp.ID, 10))
		if !strings.Contains(csvBody, ",calls_reached,calls_voicemail,calls_busy,calls_skipped,calls_total") || !strings.Contains(csvBody, ",1,0,0,0,1\n") {
			t.Errorf("CSV export:\n%s", csvBody)
		}

		// Nothing about the caller: the rows hold offices, outcomes, counts
		// and the page's random nonce.
		for _, table := range []string{"call_counts", "call_claims"} {
			rows, err := st.DB().QueryContext(context.Background(), "SELECT * FROM "+table)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					s := strings.ToLower(strings.TrimSpace(toString(v)))
					for _, pii := range []string{"127.0.0.1", "ana@example.org", "94110", "garcía", "3200 24th"} {
						if strings.Contains(s, pii) {
							t.Errorf("%s stores %q", table, s)
						}
					}
				}
			}
			rows.Close()
			if table == "call_claims" && !slices.Equal(cols, []string{"nonce", "bioguide_id", "outcome", "expires_at"}) {
				t.Errorf("call_claims columns %v", cols)
			}
		}
	})
}

func toString(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	case nil:
		return ""
	}
	return ""
}

// A calls-only campaign asks for a ZIP code instead of letters, answers
// with a call page (303 to it), keeps what was typed when refused, asks
// for the district of a split ZIP, takes no letters, and mints at most
// 20 call pages an hour per client.
func TestCallsOnlyCampaign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		slug := "calls-only-" + string(st.Dialect())
		a := newActionServer(t, st, slug, campaign.Live, func(c *campaign.Campaign) {
			c.CallsOnly, c.Subject, c.Template = true, "", ""
			c.CallScriptEN, c.CallScriptES = "Please ask for the records, {{.member_title}} {{.member_name}}.", "Por favor pida los registros, {{.member_title}} {{.member_name}}."
		})
		c := browserClient(t)
		_, page := a.get(t, "/c/"+slug)
		if !strings.Contains(page, `action="/c/`+slug+`/call"`) || strings.Contains(page, `name="first_name"`) || strings.Contains(page, "letters sent") {
			t.Fatalf("calls-only page:\n%s", page)
		}
		for _, lang := range []string{"en", "es"} {
			if _, p := a.get(t, "/c/"+slug+"?lang="+lang); regexp.MustCompile(`\[[a-z_]+\.[a-z_.]+\]`).MatchString(p) {
				t.Errorf("%s page has an untranslated key", lang)
			}
		}
		lookup := func(form url.Values) (int, string, string) {
			form.Set("_csrf", csrfFrom(t, c, a.srv.URL+"/c/"+slug))
			return postForm(t, c, a.srv.URL+"/c/"+slug+"/call", form)
		}
		// No letters on a calls-only campaign.
		if code, _ := a.post(t, c, "/c/"+slug, supporter("94110", "CA")); code != http.StatusConflict {
			t.Errorf("letter review on a calls-only campaign: %d", code)
		}
		if code, _ := a.post(t, c, "/c/"+slug+"/send", supporter("94110", "CA")); code != http.StatusConflict {
			t.Errorf("letter send on a calls-only campaign: %d", code)
		}
		code, body, _ := lookup(url.Values{"zip": {"9411"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a 5-digit ZIP code") || !strings.Contains(body, `value="9411"`) {
			t.Errorf("bad ZIP: %d", code)
		}
		// A split ZIP asks which district.
		code, body, _ = lookup(url.Values{"zip": {"94304"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `name="district"`) || !strings.Contains(body, "CA-16") {
			t.Errorf("split ZIP: %d\n%s", code, body)
		}
		code, _, loc := lookup(url.Values{"zip": {"94304"}, "district": {"CA-16"}})
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/c/"+slug+"/call?t=") {
			t.Fatalf("split ZIP with district: %d %s", code, loc)
		}
		code, _, loc = lookup(url.Values{"zip": {"94110"}})
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/c/"+slug+"/call?t=") {
			t.Fatalf("lookup: %d %s", code, loc)
		}
		_, callPage := a.get(t, loc)
		callPage = html.UnescapeString(callPage)
		for _, want := range []string{"Please ask for the records, Representative Nancy Pelosi.", "Please ask for the records, Senator Alex Padilla.",
			`href="tel:+12022254965"`, "Talked to staff", "Busy or mailbox full"} {
			if !strings.Contains(callPage, want) {
				t.Errorf("call page lacks %q", want)
			}
		}
		_, es := a.get(t, loc+"&lang=es")
		if !strings.Contains(html.UnescapeString(es), "Por favor pida los registros, Senador Alex Padilla.") {
			t.Errorf("Spanish call page:\n%s", es)
		}
		// The honeypot: shown the form again, no page minted.
		if code, body, loc := lookup(url.Values{"zip": {"94110"}, "website": {"spam"}}); code != 200 || loc != "" || !strings.Contains(body, `id="call-lookup"`) {
			t.Errorf("honeypot: %d %s", code, loc)
		}
		// 20 pages an hour per client (2 minted above).
		limited := 0
		for range 20 {
			if code, _, _ := lookup(url.Values{"zip": {"94110"}}); code == http.StatusTooManyRequests {
				limited++
			}
		}
		if limited != 2 {
			t.Errorf("%d of 20 more lookups were refused, want 2", limited)
		}
		// A tabling event on the campaign raises the limit, as it does
		// the letters'.
		now := time.Now().UTC()
		if _, err := st.CreateTablingEvent(context.Background(), campaign.TablingEvent{CampaignID: a.camp.ID, StartsAt: now.Add(-time.Minute),
			EndsAt: now.Add(time.Hour), IPLimit: 25}, store.Audit{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		limited = 0
		for range 7 {
			if code, _, _ := lookup(url.Values{"zip": {"94110"}}); code == http.StatusTooManyRequests {
				limited++
			}
		}
		if limited != 2 {
			t.Errorf("with the tabling event, %d of 7 more lookups were refused, want 2", limited)
		}
	})
}

// A script that quotes the synthetic demonstration figures is never shown
// to a caller (synthetic figures never reach an office); the phone numbers
// and outcome buttons still are.
func TestCallScriptWithSyntheticFigures(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "calls-synthetic", campaign.Live, func(c *campaign.Campaign) {
		c.CallsOnly, c.Subject, c.Template = true, "", ""
		c.CallScriptEN, c.CallScriptES = callScriptEN, callScriptES
	})
	c := browserClient(t)
	form := url.Values{"zip": {"94110"}, "_csrf": {csrfFrom(t, c, a.srv.URL+"/c/calls-synthetic")}}
	_, _, loc := postForm(t, c, a.srv.URL+"/c/calls-synthetic/call", form)
	_, page := a.get(t, loc)
	page = html.UnescapeString(page)
	rel, _ := st.LatestRelease(context.Background())
	figure, _ := rel.Figures.Value("children_separated")
	if !rel.Synthetic || strings.Contains(page, figure+" children") || strings.Count(page, "quotes demonstration figures, not real cases") != 3 ||
		!strings.Contains(page, `href="tel:+12022254965"`) || !strings.Contains(page, "Talked to staff") {
		t.Errorf("call page with synthetic figures:\n%s", page)
	}
}

// The call script and calls_only are read and written by the API; a
// script is refused with the field (call_script.en), line and column, and
// nothing is saved; the editor saves them and keeps them as typed when
// refused.
func TestCallScriptAPIAndEditor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		u := addUser(t, st, unique("calls")+"@example.org", auth.Campaigner)
		tok := bearer(t, st, u)
		c := browserClient(t)
		api := f.srv.URL + "/api/v1/campaigns"
		code, body := do(t, c, http.MethodPost, api, tok, "application/json", campaignBody(unique("calls"), map[string]any{
			"calls_only": true, "subject": "", "template": "", "organization_statement": "",
			"call_script": map[string]string{"en": "Hello {{.salutation}}.", "es": "Hola {{.salutation}}."}}))
		if code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, body)
		}
		created := decode[struct {
			ID         int64             `json:"id"`
			CallsOnly  bool              `json:"calls_only"`
			CallScript map[string]string `json:"call_script"`
		}](t, body)
		if !created.CallsOnly || created.CallScript["en"] != "Hello {{.salutation}}." || created.CallScript["es"] != "Hola {{.salutation}}." {
			t.Errorf("created %+v", created)
		}
		one := api + "/" + strconv.FormatInt(created.ID, 10)
		// Only the Spanish script: the English one is kept.
		code, body = do(t, c, http.MethodPut, one, tok, "application/json", `{"call_script": {"es": "Buenos días {{.salutation}}."}}`)
		if code != 200 || !strings.Contains(body, `"en":"Hello {{.salutation}}."`) || !strings.Contains(body, `"es":"Buenos días {{.salutation}}."`) {
			t.Errorf("PUT es: %d %s", code, body)
		}
		code, body = do(t, c, http.MethodPut, one, tok, "application/json", `{"call_script": {"en": "Hi.\nI am {{.first_name}}."}}`)
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("supporter field: %d %s", code, body)
		}
		line, col, msg := refusalFor(t, body, "call_script.en")
		if line != 2 || col != 8 || !strings.Contains(msg, "cannot use {{.first_name}}") {
			t.Errorf("refusal %d:%d %s", line, col, msg)
		}
		code, body = do(t, c, http.MethodGet, one, tok, "", "")
		if code != 200 || !strings.Contains(body, `"en":"Hello {{.salutation}}."`) {
			t.Errorf("after the refusal: %d %s", code, body)
		}
		if code, body = do(t, c, http.MethodPut, one, tok, "application/json", `{"calls_only": "yes"}`); code != 422 || !strings.Contains(body, "must be true or false") {
			t.Errorf("calls_only as text: %d %s", code, body)
		}

		// The editor.
		signIn(t, c, f.srv.URL, u.Email)
		base := f.srv.URL + "/admin/campaigns"
		v := formValues(unique("form-calls"))
		v.Set("_csrf", csrfFrom(t, c, base+"/new"))
		v.Set("call_script_en", "Hello {{.salutation}}, {{if .member_name}}please act.")
		v.Set("calls_only", "1")
		code, page, _ := postForm(t, c, base, v)
		page = html.UnescapeString(page)
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "Hello {{.salutation}}, {{if .member_name}}please act.") ||
			!strings.Contains(page, "English call script, line 1, column") || strings.Contains(page, "call_script_en line 1") ||
			!strings.Contains(page, `id="calls_only" value="1" checked`) {
			t.Errorf("editor refusal: %d", code)
		}
		v.Set("call_script_en", "Hello {{.salutation}}, please act.")
		code, _, loc := postForm(t, c, base, v)
		if code != http.StatusSeeOther {
			t.Fatalf("editor save: %d", code)
		}
		_, page = getPage(t, c, f.srv.URL+loc+"?member_q=Padilla")
		page = html.UnescapeString(page)
		if !strings.Contains(page, "Hello {{.salutation}}, please act.") || !strings.Contains(page, `id="script-preview-en">Hello Dear Senator Padilla, please act.`) {
			t.Errorf("editor after save:\n%s", page)
		}
	})
}
