package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/supporters"
)

var (
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_0-9]+)" value="([^"]*)">`)
	textArea    = regexp.MustCompile(`(?s)<textarea[^>]* name="([a-z_0-9]+)"[^>]*>(.*?)</textarea>`)
)

// formFields are the hidden fields of the first form on page whose
// action starts with action, as a browser would send them.
func formFields(t *testing.T, page, action string) url.Values {
	t.Helper()
	i := strings.Index(page, `action="`+action)
	if i < 0 {
		t.Fatalf("no form to %s on the page", action)
	}
	form := page[i:]
	form = form[:strings.Index(form, "</form>")]
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(form, -1) {
		v.Add(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range textArea.FindAllStringSubmatch(form, -1) {
		v.Add(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// TestSourceSurvivesTheFlow: the source code (and utm_ parameters) of a
// campaign link go, as the browser carries them, from the page through
// the ZIP step, the review, the language switch and the send to the
// submission; personal data in a source is dropped; the letters CSV and
// group_by=source (letters, confirmation rate, reply rate) show it.
func TestSourceSurvivesTheFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		slug := "src-" + strings.ToLower(t.Name()[len("TestSourceSurvivesTheFlow/"):])
		a := newActionServer(t, st, slug, campaign.Live)
		c := browserClient(t)
		ctx := context.Background()
		admin := addUser(t, st, "src-admin-"+slug+"@example.org", auth.Admin)
		tok := bearer(t, st, admin)
		staff := browserClient(t)
		signIn(t, staff, a.srv.URL, admin.Email)

		_, page := a.get(t, "/c/"+slug+"?source=Newsletter&utm_medium=Email&utm_campaign=fall+2026&utm_source=partner")
		carried := formFields(t, page, "/c/"+slug+"#result")
		if carried.Get("source") != "newsletter" || carried.Get("utm_medium") != "email" || carried.Get("utm_campaign") != "fall-2026" ||
			carried.Get("utm_source") != "partner" {
			t.Fatalf("the page's form carries %v", carried)
		}
		// the ZIP step: a ZIP alone comes back as the form, still carrying it
		zipOnly := url.Values{"zip": {"94110"}, "state": {"CA"}, "_csrf": {carried.Get("_csrf")}}
		for k, v := range carried {
			if k != "_csrf" {
				zipOnly[k] = v
			}
		}
		_, page, _ = postForm(t, c, a.srv.URL+"/c/"+slug, withCSRF(t, c, a, zipOnly))
		if f := formFields(t, page, "/c/"+slug+"#result"); f.Get("source") != "newsletter" {
			t.Fatalf("after the ZIP step the form carries %v", f)
		}
		// the review
		form := supporter("94110", "CA")
		for k, v := range carried {
			form[k] = v
		}
		_, page, _ = postForm(t, c, a.srv.URL+"/c/"+slug, withCSRF(t, c, a, form))
		send := formFields(t, page, "/c/"+slug+"/send")
		if send.Get("source") != "newsletter" || send.Get("utm_campaign") != "fall-2026" {
			t.Fatalf("the review's send form carries %v", send)
		}
		// the language switch re-posts the review in Spanish
		_, page, _ = postForm(t, c, a.srv.URL+"/c/"+slug+"?lang=es", formFields(t, page, "/c/"+slug+"?lang=es"))
		send = formFields(t, page, "/c/"+slug+"/send")
		if send.Get("source") != "newsletter" || send.Get("utm_medium") != "email" || !strings.Contains(page, `lang="es"`) {
			t.Fatalf("after the language switch the send form carries %v", send)
		}
		send.Set("reviewed", reviewedField.FindStringSubmatch(page)[1])
		if code, body, _ := postForm(t, c, a.srv.URL+"/c/"+slug+"/send", send); code != http.StatusOK || !strings.Contains(body, "correo") {
			t.Fatalf("send: %d\n%s", code, body)
		}
		if code, _ := a.confirm(t, c, a.confirmLink(t)); code != http.StatusOK {
			t.Fatalf("confirm: %d", code)
		}
		// a link with personal data in its source: kept as no source
		junk := supporter("94110", "CA")
		junk.Set("email", "bo@example.org")
		junk.Set("source", "bo@example.org")
		junk.Set("utm_campaign", "call-4155550134")
		if code, _ := a.post(t, c, "/c/"+slug+"/send", junk); code != http.StatusOK {
			t.Fatalf("send: %d", code)
		}

		var subs []struct{ Source, UTMSource, UTMMedium, UTMCampaign string }
		rows, err := st.DB().QueryContext(ctx, "SELECT source, utm_source, utm_medium, utm_campaign FROM submissions WHERE campaign_id = $1 ORDER BY id", a.camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s struct{ Source, UTMSource, UTMMedium, UTMCampaign string }
			if err := rows.Scan(&s.Source, &s.UTMSource, &s.UTMMedium, &s.UTMCampaign); err != nil {
				t.Fatal(err)
			}
			subs = append(subs, s)
		}
		rows.Close()
		if len(subs) != 2 || subs[0] != (struct{ Source, UTMSource, UTMMedium, UTMCampaign string }{"newsletter", "partner", "email", "fall-2026"}) ||
			subs[1].Source != "" || subs[1].UTMCampaign != "" {
			t.Fatalf("submissions kept %+v", subs)
		}

		// the letters CSV names the source of each letter
		_, csv := getPage(t, staff, a.srv.URL+"/admin/dashboard/export?table=letters&campaign="+strconv.FormatInt(a.camp.ID, 10))
		if !strings.Contains(csv, ",source,utm_source,utm_medium,utm_campaign") || strings.Count(csv, ",newsletter,partner,email,fall-2026") != 3 {
			t.Errorf("letters CSV:\n%s", csv)
		}
		// group_by=source: 3 letters, one submission of one confirmed; the
		// unconfirmed one has no source
		if err := st.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
		code, body, _ := doCT(t, c, "GET", a.srv.URL+"/api/v1/metrics/response-rates?group_by=source&campaign="+strconv.FormatInt(a.camp.ID, 10), tok, "", "")
		var rates struct {
			Groups []struct {
				Key              string   `json:"key"`
				Letters          int64    `json:"letters"`
				Submissions      *int64   `json:"submissions"`
				Confirmed        *int64   `json:"confirmed"`
				ConfirmationRate *float64 `json:"confirmation_rate"`
				ReplyRate        *float64 `json:"reply_rate"`
			} `json:"groups"`
		}
		if err := json.Unmarshal([]byte(body), &rates); err != nil || code != 200 {
			t.Fatalf("rates: %d %s", code, body)
		}
		found := map[string]bool{}
		for _, g := range rates.Groups {
			found[g.Key] = true
			switch g.Key {
			case "newsletter":
				if g.Letters != 3 || *g.Submissions != 1 || *g.Confirmed != 1 || *g.ConfirmationRate != 1 {
					t.Errorf("newsletter: %s", body)
				}
			case "":
				if g.Letters != 0 || *g.Submissions != 1 || *g.Confirmed != 0 || *g.ConfirmationRate != 0 {
					t.Errorf("no source: %s", body)
				}
			}
		}
		if !found["newsletter"] || !found[""] {
			t.Errorf("groups: %s", body)
		}
		// and on the dashboard, in the table of groupings
		_, dash := getPage(t, staff, a.srv.URL+"/admin/dashboard?campaign="+strconv.FormatInt(a.camp.ID, 10))
		if !strings.Contains(dash, "Source: newsletter</th><td>3</td><td>100% of 1</td>") {
			t.Errorf("dashboard has no source row")
		}
	})
}

// withCSRF sets the campaign page's CSRF token on form.
func withCSRF(t *testing.T, c *http.Client, a *actionFixture, form url.Values) url.Values {
	t.Helper()
	form.Set("_csrf", csrfFrom(t, c, a.srv.URL+"/c/"+a.camp.Slug))
	return form
}

// TestSupporterListAPI: staff who see dashboards get counts and the
// non-personal columns and never a name or an address, even asking for
// them; an admin asking gets them, and the read is in the audit log; the
// CSV export is for admins and audited; the staff page lists and filters.
func TestSupporterListAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		slug := "sup-" + strings.ToLower(t.Name()[len("TestSupporterListAPI/"):])
		a := newActionServer(t, st, slug, campaign.Live)
		ctx := context.Background()
		// two supporters join (one Spanish), one leaves
		for i, email := range []string{"ana@example.org", "luis@example.org", "gone@example.org"} {
			idx := a.keys.Index("email", email)
			sealed, err := a.keys.SealJSON(map[string]string{"email": email, "first_name": "Name" + string(rune('A'+i))}, "optin:"+idx)
			if err != nil {
				t.Fatal(err)
			}
			d := 11 + i
			if _, err := st.ImportSupporters(ctx, []store.SupporterImport{{Line: 2, EmailIndex: idx, Sealed: sealed, Lang: []string{"en", "es", "en"}[i],
				CampaignID: a.camp.ID, State: "CA", District: &d, Source: "tabling"}}, time.Now(), store.Audit{Action: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Unsubscribe(ctx, a.keys.Index("email", "gone@example.org"), "unsubscribe"); err != nil {
			t.Fatal(err)
		}
		c := browserClient(t)
		organizer := bearer(t, st, addUser(t, st, "org-"+slug+"@example.org", auth.Organizer))
		campaigner := bearer(t, st, addUser(t, st, "camp-"+slug+"@example.org", auth.Campaigner))
		admin := bearer(t, st, addUser(t, st, "adm-"+slug+"@example.org", auth.Admin))
		q := "/api/v1/supporters?campaign=" + slug
		for _, tok := range []string{organizer, campaigner} {
			code, body, _ := doCT(t, c, "GET", a.srv.URL+q, tok, "", "")
			if code != 200 || strings.Contains(body, "@") || strings.Contains(body, "Name") || !strings.Contains(body, `"total":2`) ||
				!strings.Contains(body, `"district":"CA-12"`) || !strings.Contains(body, `"by_source":{"tabling":2}`) {
				t.Errorf("non-admin list: %d %s", code, body)
			}
			if code, body, _ := doCT(t, c, "GET", a.srv.URL+q+"&pii=1", tok, "", ""); code != http.StatusForbidden || strings.Contains(body, "@example") {
				t.Errorf("non-admin asking for personal data: %d %s", code, body)
			}
		}
		before := auditCount(t, st, "supporters.read")
		code, body, _ := doCT(t, c, "GET", a.srv.URL+q+"&pii=1&lang=es", admin, "", "")
		if code != 200 || !strings.Contains(body, `"email":"luis@example.org"`) || strings.Contains(body, "ana@") || !strings.Contains(body, `"personal_data":true`) {
			t.Fatalf("admin pii read: %d %s", code, body)
		}
		if auditCount(t, st, "supporters.read") != before+1 {
			t.Error("the admin's read of names and addresses is not in the audit log")
		}
		// without pii=1 an admin reads no personal data, and nothing is audited
		if code, body, _ = doCT(t, c, "GET", a.srv.URL+q, admin, "", ""); code != 200 || strings.Contains(body, "@") || auditCount(t, st, "supporters.read") != before+1 {
			t.Errorf("admin plain read: %d %s", code, body)
		}
		if code, body, _ = doCT(t, c, "GET", a.srv.URL+q+"&status=unsubscribed", organizer, "", ""); code != 200 || !strings.Contains(body, `"total":1`) ||
			!strings.Contains(body, `"status":"unsubscribed"`) {
			t.Errorf("left the list: %d %s", code, body)
		}
		if code, body, _ = doCT(t, c, "GET", a.srv.URL+"/api/v1/supporters?from=last+week", organizer, "", ""); code != 400 || !strings.Contains(body, "from:") {
			t.Errorf("bad filter: %d %s", code, body)
		}
		// The committee filter: supporters in the states of its members
		// (California, for these two, is or is not among Judiciary's).
		_, judiciary, _ := supporters.DirectoryOf(directory(t)).CommitteeStates("SSJU")
		want := `"total":0`
		if slices.Contains(judiciary, "CA") {
			want = `"total":2`
		}
		if code, body, _ = doCT(t, c, "GET", a.srv.URL+q+"&committee=ssju", organizer, "", ""); code != 200 || !strings.Contains(body, want) {
			t.Errorf("committee filter: %d %s (want %s)", code, body, want)
		}
		for bad, msg := range map[string]string{"committee=XXJU": `committee: no committee \"XXJU\"`, "district=WY-3": "WY-3 has no House seat",
			"state=AZ&district=CA-12&lang=fr": "CA-12 is not in the states chosen (AZ)"} {
			if code, body, _ = doCT(t, c, "GET", a.srv.URL+"/api/v1/supporters?"+bad, organizer, "", ""); code != 400 || !strings.Contains(body, msg) ||
				(strings.Contains(bad, "lang") && !strings.Contains(body, "lang: must be en or es")) {
				t.Errorf("%s: %d %s", bad, code, body)
			}
		}
		// the export: admins, audited, with the filters, opened
		exp := auditCount(t, st, "supporters.export")
		adminClient := browserClient(t)
		signIn(t, adminClient, a.srv.URL, "adm-"+slug+"@example.org")
		code, csv := getPage(t, adminClient, a.srv.URL+"/admin/supporters/export?campaign="+slug)
		if code != 200 || !strings.Contains(csv, "ana@example.org,NameA,,en,CA,11,tabling,"+slug+",import,") || !strings.Contains(csv, "luis@example.org") ||
			strings.Contains(csv, "gone@") {
			t.Errorf("export: %d\n%s", code, csv)
		}
		if auditCount(t, st, "supporters.export") != exp+1 {
			t.Error("export not audited")
		}
		// an admin (who writes mailings) is offered to email these supporters
		code, page := getPage(t, adminClient, a.srv.URL+"/admin/supporters?campaign="+slug+"&district=CA-12&status=subscribed")
		if code != 200 || !strings.Contains(page, `href="/admin/mailings/new?campaign=`+slug+`&amp;district=CA-12" id="mail-these"`) {
			t.Errorf("email these supporters: %d", code)
		}
		// the staff page (organizer: no names, no export link, no export)
		signIn(t, c, a.srv.URL, "org-"+slug+"@example.org")
		if code, _ := getPage(t, c, a.srv.URL+"/admin/supporters/export"); code != http.StatusForbidden {
			t.Errorf("organizer export: %d", code)
		}
		code, page = getPage(t, c, a.srv.URL+"/admin/supporters?campaign="+slug+"&district=CA-12")
		if code != 200 || !strings.Contains(page, "1 supporter</h2>") || strings.Contains(page, "luis@") || !strings.Contains(page, "CA-12") || strings.Contains(page, "/admin/supporters/export") {
			t.Errorf("page: %d", code)
		}
		if strings.Contains(page, `id="mail-these"`) {
			t.Error("an organizer (who cannot write mailings) is offered to email the list")
		}
		code, page = getPage(t, c, a.srv.URL+"/admin/supporters?district=California")
		if code != 400 || !strings.Contains(page, "district: &#34;California&#34; is not a district") || !strings.Contains(page, `value="California"`) {
			t.Errorf("bad filter page: %d", code)
		}
	})
}

func auditCount(t *testing.T, st *store.Store, action string) int {
	t.Helper()
	entries, err := st.AuditLog(context.Background(), 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == action {
			n++
		}
	}
	return n
}
