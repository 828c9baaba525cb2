package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// unique makes slugs and emails unique: the PostgreSQL database is shared
// by the package's tests.
func unique(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// getPage GETs u with c and returns the status and body.
func getPage(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// letterTemplate is a valid letter using fields, a statistic and the note.
const letterTemplate = "{{.salutation}}:\n\nPlease ask for the records of the {{stat \"children_separated\"}} children.\n{{with .personal_note}}{{.}}\n{{end}}\nSincerely,\n{{.first_name}} {{.last_name}}"

func campaignBody(slug string, edits map[string]any) string {
	m := map[string]any{
		"title": "Records of family separations", "slug": slug, "targets": "both",
		"subject":    "Oversight of family separations in {{.member_state}}",
		"template":   letterTemplate,
		"summary_en": "Ask Congress for the records.", "summary_es": "Pida al Congreso los registros.",
		"call_to_action_en": "Write to your members.", "call_to_action_es": "Escriba a sus miembros.",
		"loc_topic": "Immigration", "organization_statement": "We documented {{stat \"cases\"}} cases.",
		"status": "draft", "starts_at": "2026-06-01T14:00:00Z", "ends_at": nil,
	}
	for k, v := range edits {
		if v == "-" {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

type apiCampaign struct {
	ID              int64   `json:"id"`
	Slug            string  `json:"slug"`
	Title           string  `json:"title"`
	Status          string  `json:"status"`
	Template        string  `json:"template"`
	Subject         string  `json:"subject"`
	SummaryES       string  `json:"summary_es"`
	StartsAt        *string `json:"starts_at"`
	TemplateVersion int     `json:"template_version"`
}

type apiRefusal struct {
	Error       string `json:"error"`
	FieldErrors []struct {
		Field   string `json:"field"`
		Line    int    `json:"line"`
		Column  int    `json:"column"`
		Message string `json:"message"`
	} `json:"field_errors"`
	ValidFields []string `json:"valid_fields"`
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	return v
}

func refusalFor(t *testing.T, body, field string) (line, col int, msg string) {
	t.Helper()
	r := decode[apiRefusal](t, body)
	if r.Error == "" {
		t.Errorf("no error message in %s", body)
	}
	for _, fe := range r.FieldErrors {
		if fe.Field == field {
			return fe.Line, fe.Column, fe.Message
		}
	}
	t.Fatalf("no field error for %q in %s", field, body)
	return
}

func TestCampaignAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		u := addUser(t, st, unique("campaigner")+"@example.org", auth.Campaigner)
		tok := bearer(t, st, u)
		c := browserClient(t)
		api := f.srv.URL + "/api/v1/campaigns"
		post := func(body string) (int, string) {
			return do(t, c, http.MethodPost, api, tok, "application/json", body)
		}
		count := func() int {
			code, body := do(t, c, http.MethodGet, api, tok, "", "")
			if code != 200 {
				t.Fatalf("list: %d %s", code, body)
			}
			return len(decode[struct{ Campaigns []apiCampaign }](t, body).Campaigns)
		}

		slug := unique("records")
		code, body := post(campaignBody(slug, nil))
		if code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, body)
		}
		created := decode[apiCampaign](t, body)
		if created.ID == 0 || created.Slug != slug || created.TemplateVersion != 1 || created.Status != "draft" ||
			created.StartsAt == nil || *created.StartsAt != "2026-06-01T14:00:00Z" || created.Template != letterTemplate {
			t.Fatalf("created = %+v", created)
		}
		n := count()

		t.Run("invalid template: 422 with line and column, nothing saved", func(t *testing.T) {
			code, body := post(campaignBody(unique("broken"), map[string]any{"template": "Dear {{.member_name}},\n\nThank you.\n  Regards, {{.frist_name}}"}))
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s", code, body)
			}
			line, col, msg := refusalFor(t, body, "template")
			if line != 4 || col != 14 || !strings.Contains(msg, "frist_name") {
				t.Errorf("template error at %d:%d %q", line, col, msg)
			}
			if r := decode[apiRefusal](t, body); len(r.ValidFields) == 0 || !strings.Contains(strings.Join(r.ValidFields, ","), "first_name") {
				t.Errorf("valid fields not listed: %s", body)
			}
			code, body = post(campaignBody(unique("broken"), map[string]any{"template": "Hi\n\n{{if .city}}\nline three {{.city"}))
			if line, col, _ := refusalFor(t, body, "template"); code != 422 || line == 0 || col == 0 {
				t.Errorf("syntax error: %d at %d:%d: %s", code, line, col, body)
			}
			if got := count(); got != n {
				t.Errorf("%d campaigns after refusals, want %d", got, n)
			}
		})

		t.Run("duplicate slug", func(t *testing.T) {
			code, body := post(campaignBody(slug, nil))
			if code != http.StatusConflict {
				t.Fatalf("%d %s", code, body)
			}
			if _, _, msg := refusalFor(t, body, "slug"); !strings.Contains(msg, "already used") {
				t.Errorf("slug message %q", msg)
			}
		})

		t.Run("bad input", func(t *testing.T) {
			cases := []struct {
				edits map[string]any
				field string
			}{
				{map[string]any{"subject": "Hello\r\nBcc: someone@example.org"}, "subject"},
				{map[string]any{"subject": "Hello\nthere"}, "subject"},
				{map[string]any{"subject": "Read <b>this</b>"}, "subject"},
				{map[string]any{"title": strings.Repeat("t", 201)}, "title"},
				{map[string]any{"slug": "Admin"}, "slug"},
				{map[string]any{"slug": "admin"}, "slug"},
				{map[string]any{"slug": "api"}, "slug"},
				{map[string]any{"slug": "static"}, "slug"},
				{map[string]any{"slug": strings.Repeat("a", 65)}, "slug"},
				{map[string]any{"summary_en": strings.Repeat("s", 2001)}, "summary_en"},
				{map[string]any{"organization_statement": strings.Repeat("s", 5001)}, "organization_statement"},
				{map[string]any{"template": strings.Repeat("x", 64<<10+1)}, "template"},
				{map[string]any{"template": `{{stat "invented_figure"}}`}, "template"},
				{map[string]any{"template": `{{range .city}}{{end}}`}, "template"},
				{map[string]any{"targets": "governors"}, "targets"},
				{map[string]any{"loc_topic": "Border"}, "loc_topic"},
				{map[string]any{"status": "archived"}, "status"},
				{map[string]any{"starts_at": "June 1st"}, "starts_at"},
				{map[string]any{"ends_at": "2026-05-01T00:00:00Z"}, "ends_at"},
				{map[string]any{"favourite_colour": "blue"}, "favourite_colour"},
				{map[string]any{"title": 12}, "title"},
			}
			for _, tc := range cases {
				code, body := post(campaignBody(unique("bad"), tc.edits))
				if code != http.StatusUnprocessableEntity {
					t.Errorf("%v: %d %s", tc.edits, code, body)
					continue
				}
				refusalFor(t, body, tc.field)
			}
			if code, body := post("{not json"); code != 400 || !strings.Contains(body, "not valid JSON") {
				t.Errorf("malformed JSON: %d %s", code, body)
			}
			if got := count(); got != n {
				t.Errorf("%d campaigns after refusals, want %d", got, n)
			}
		})

		t.Run("read, update, versions", func(t *testing.T) {
			one := api + "/" + itoa(created.ID)
			code, body := do(t, c, http.MethodGet, one, tok, "", "")
			if code != 200 || decode[apiCampaign](t, body).Slug != slug {
				t.Fatalf("get: %d %s", code, body)
			}
			// only the status: everything else is kept, no new version
			code, body = do(t, c, http.MethodPut, one, tok, "application/json", `{"status":"scheduled"}`)
			got := decode[apiCampaign](t, body)
			if code != 200 || got.Status != "scheduled" || got.TemplateVersion != 1 || got.SummaryES == "" || got.Template != letterTemplate {
				t.Fatalf("status update: %d %s", code, body)
			}
			// what was read can be sent back changed
			var full map[string]any
			_ = json.Unmarshal([]byte(body), &full)
			full["template"] = letterTemplate + "\n\nP.S. Thank you."
			b, _ := json.Marshal(full)
			code, body = do(t, c, http.MethodPut, one, tok, "application/json", string(b))
			if got := decode[apiCampaign](t, body); code != 200 || got.TemplateVersion != 2 {
				t.Fatalf("template update: %d %s", code, body)
			}
			// an editor still on version 1 cannot overwrite version 2
			code, body = do(t, c, http.MethodPut, one, tok, "application/json", `{"template":"{{.salutation}}: mine","template_version":1}`)
			if code != http.StatusConflict {
				t.Errorf("stale update: %d %s", code, body)
			}
			// an invalid update changes nothing
			code, body = do(t, c, http.MethodPut, one, tok, "application/json", `{"template":"{{.nope}}","title":"Changed"}`)
			if code != 422 {
				t.Errorf("invalid update: %d %s", code, body)
			}
			_, body = do(t, c, http.MethodGet, one, tok, "", "")
			if got := decode[apiCampaign](t, body); got.Title != "Records of family separations" || got.TemplateVersion != 2 {
				t.Errorf("after refused updates: %+v", got)
			}
			// scheduled -> draft is fine; then live; live -> draft is refused
			for _, step := range []struct {
				status string
				code   int
			}{{"draft", 200}, {"live", 200}, {"draft", 422}} {
				code, body = do(t, c, http.MethodPut, one, tok, "application/json", `{"status":"`+step.status+`"}`)
				if code != step.code {
					t.Errorf("to %s: %d %s", step.status, code, body)
				}
			}

			code, body = do(t, c, http.MethodGet, one+"/versions", tok, "", "")
			vs := decode[struct {
				CurrentVersion int `json:"current_version"`
				Versions       []struct {
					Version   int   `json:"version"`
					CreatedBy int64 `json:"created_by"`
				} `json:"versions"`
			}](t, body)
			if code != 200 || vs.CurrentVersion != 2 || len(vs.Versions) != 2 || vs.Versions[0].Version != 2 || vs.Versions[0].CreatedBy != u.ID {
				t.Errorf("versions: %d %s", code, body)
			}
			code, body = do(t, c, http.MethodGet, one+"/versions/diff?a=1&b=2", tok, "", "")
			if code != 200 || !strings.Contains(body, `{"op":"+","text":"P.S. Thank you."}`) {
				t.Errorf("diff: %d %s", code, body)
			}
			if code, _ := do(t, c, http.MethodGet, one+"/versions/diff?a=1&b=7", tok, "", ""); code != 400 {
				t.Errorf("diff with a missing version: %d", code)
			}
		})

		t.Run("preview for real members", func(t *testing.T) {
			one := api + "/" + itoa(created.ID)
			cases := []struct{ id, greeting, subject string }{
				{"P000145", "Dear Senator Padilla:", "Oversight of family separations in CA"},
				{"P000197", "Dear Representative Pelosi:", "Oversight of family separations in CA"},
				{"N000147", "Dear Delegate Norton:", "Oversight of family separations in DC"},
			}
			for _, tc := range cases {
				code, body := do(t, c, http.MethodGet, one+"/preview?bioguide_id="+tc.id, tok, "", "")
				p := decode[struct {
					Subject         string `json:"subject"`
					Body            string `json:"body"`
					Statement       string `json:"organization_statement"`
					TemplateVersion int    `json:"template_version"`
					Sample          bool   `json:"sample_statistics"`
					ReleaseID       *int64 `json:"stats_release_id"`
				}](t, body)
				if code != 200 || !strings.HasPrefix(p.Body, tc.greeting) || p.Subject != tc.subject || p.TemplateVersion != 2 {
					t.Errorf("%s: %d %s", tc.id, code, body)
				}
				// The package's PostgreSQL database may hold a release published
				// by another test: previews then quote it; otherwise samples.
				switch {
				case p.Sample && !strings.Contains(p.Body, "[children_separated: figure from the latest statistics release]"):
					t.Errorf("%s: statistic not marked as a sample: %q", tc.id, p.Body)
				case !p.Sample && (p.ReleaseID == nil || *p.ReleaseID == 0 || strings.Contains(p.Body, "[children_separated")):
					t.Errorf("%s: quotes a release but says which not, or shows samples: %s", tc.id, body)
				}
			}
			code, body := do(t, c, http.MethodGet, one+"/preview?bioguide_id=P000145&version=1", tok, "", "")
			if code != 200 || strings.Contains(body, "P.S.") || !strings.Contains(body, `"template_version":1`) {
				t.Errorf("preview of version 1: %d %s", code, body)
			}
			for _, q := range []string{"", "?bioguide_id=X000000"} {
				if code, body := do(t, c, http.MethodGet, one+"/preview"+q, tok, "", ""); code != 400 || !strings.Contains(body, "bioguide_id") {
					t.Errorf("preview%s: %d %s", q, code, body)
				}
			}
			if code, _ := do(t, c, http.MethodGet, api+"/999999/preview?bioguide_id=P000145", tok, "", ""); code != 404 {
				t.Errorf("missing campaign: %d", code)
			}
		})

		t.Run("audited", func(t *testing.T) {
			entries, err := st.AuditLog(context.Background(), 0, 500)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, e := range entries {
				if e.ObjectType == "campaign" && e.ObjectID == itoa(created.ID) && e.ActorID == u.ID {
					seen[e.Action] = true
				}
			}
			for _, a := range []string{"campaign.create", "campaign.update", "campaign.status"} {
				if !seen[a] {
					t.Errorf("no %s entry by the user", a)
				}
			}
		})
	})
}

func TestCampaignPermissions(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	editor := addUser(t, st, "editor@example.org", auth.Campaigner)
	organizer := addUser(t, st, "organizer@example.org", auth.Organizer)
	caseEditor := addUser(t, st, "cases@example.org", auth.CaseEditor)
	c := browserClient(t)
	api := f.srv.URL + "/api/v1/campaigns"
	code, body := do(t, c, http.MethodPost, api, bearer(t, st, editor), "application/json", campaignBody(unique("perm"), nil))
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	id := itoa(decode[apiCampaign](t, body).ID)

	orgTok := bearer(t, st, organizer)
	for _, p := range []string{"", "/" + id, "/" + id + "/preview?bioguide_id=P000145", "/" + id + "/versions", "/" + id + "/versions/diff"} {
		if code, body := do(t, c, http.MethodGet, api+p, orgTok, "", ""); code != 200 {
			t.Errorf("organizer GET %s: %d %s", p, code, body)
		}
	}
	if code, _ := do(t, c, http.MethodPost, api, orgTok, "application/json", campaignBody(unique("org"), nil)); code != 403 {
		t.Errorf("organizer POST: %d, want 403", code)
	}
	if code, _ := do(t, c, http.MethodPut, api+"/"+id, orgTok, "application/json", `{"title":"mine"}`); code != 403 {
		t.Errorf("organizer PUT: %d, want 403", code)
	}
	caseTok := bearer(t, st, caseEditor)
	for _, p := range []string{"", "/" + id, "/" + id + "/preview?bioguide_id=P000145"} {
		if code, _ := do(t, c, http.MethodGet, api+p, caseTok, "", ""); code != 403 {
			t.Errorf("case editor GET %s: %d, want 403", p, code)
		}
	}
	if code, _ := do(t, c, http.MethodGet, api, "", "", ""); code != 401 {
		t.Errorf("anonymous: %d, want 401", code)
	}

	// the same through the pages, signed in
	oc := browserClient(t)
	signIn(t, oc, f.srv.URL, organizer.Email)
	for _, p := range []string{"/admin/campaigns", "/admin/campaigns/" + id, "/admin/campaigns/" + id + "/preview?q=pelosi", "/admin/campaigns/" + id + "/versions"} {
		if code, body := getPage(t, oc, f.srv.URL+p); code != 200 {
			t.Errorf("organizer page %s: %d %s", p, code, body)
		}
	}
	_, page := getPage(t, oc, f.srv.URL+"/admin/campaigns/"+id)
	if strings.Contains(page, `id="campaign-form"`) || !strings.Contains(page, "Dear ") {
		t.Error("organizers should see the campaign and its preview, without the edit form")
	}
	_, page = getPage(t, oc, f.srv.URL+"/admin/campaigns")
	if strings.Contains(page, "/admin/campaigns/new") {
		t.Error("organizers are offered the new-campaign form")
	}
	tok := csrfFrom(t, oc, f.srv.URL+"/admin/campaigns")
	if code, _, _ := postForm(t, oc, f.srv.URL+"/admin/campaigns", url.Values{"_csrf": {tok}, "title": {"x"}}); code != 403 {
		t.Errorf("organizer form post: %d, want 403", code)
	}
	if code, _, _ := postForm(t, oc, f.srv.URL+"/admin/campaigns/"+id, url.Values{"_csrf": {tok}, "title": {"x"}}); code != 403 {
		t.Errorf("organizer edit post: %d, want 403", code)
	}
	cc := browserClient(t)
	signIn(t, cc, f.srv.URL, caseEditor.Email)
	if code, _ := getPage(t, cc, f.srv.URL+"/admin/campaigns"); code != 403 {
		t.Errorf("case editor page: %d, want 403", code)
	}
	if _, home := getPage(t, cc, f.srv.URL+"/admin"); strings.Contains(home, `href="/admin/campaigns"`) {
		t.Error("case editors see the Campaigns link")
	}
}

func formValues(slug string) url.Values {
	return url.Values{
		"title": {"Records <of> family separations"}, "slug": {slug}, "status": {"draft"}, "targets": {"senate"},
		"loc_topic": {"Immigration"}, "starts_at": {"2026-06-01T14:00"}, "ends_at": {""},
		"summary_en": {"Ask Congress for the records."}, "summary_es": {""},
		"call_to_action_en": {"Write to your members."}, "call_to_action_es": {""},
		"subject":  {"Oversight of family separations in {{.member_state}}"},
		"template": {strings.ReplaceAll(letterTemplate, "\n", "\r\n")}, "organization_statement": {""},
	}
}

func TestCampaignForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		u := addUser(t, st, unique("forms")+"@example.org", auth.Campaigner)
		c := browserClient(t)
		signIn(t, c, f.srv.URL, u.Email)
		base := f.srv.URL + "/admin/campaigns"

		code, page := getPage(t, c, base+"/new")
		if code != 200 || !strings.Contains(page, "{{.salutation}}") || !strings.Contains(page, `<pre class="letter" id="preview-body">`) ||
			!strings.Contains(page, "{{.first_name}}") || !strings.Contains(page, `{{stat &#34;children_separated&#34;}}`) {
			t.Fatalf("new form: %d", code)
		}
		tok := csrfFrom(t, c, base+"/new")
		slug := unique("form")

		t.Run("refused form keeps what was typed", func(t *testing.T) {
			v := formValues("Not A Slug")
			v.Set("_csrf", tok)
			v.Set("template", "Dear {{.member_name}},\r\n\r\nThank you.\r\n  Regards, {{.frist_name}}")
			v.Set("summary_es", "Pida los <registros>.")
			code, body, _ := postForm(t, c, base, v)
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("%d", code)
			}
			for _, want := range []string{
				`value="Records &lt;of&gt; family separations"`, `value="Not A Slug"`, `Pida los &lt;registros&gt;.`,
				"Regards, {{.frist_name}}</textarea>", "Line 4, column 14", "Letter, line 4, column 14: ", `value="2026-06-01T14:00"`,
				`<code>  Regards, {{<mark class="code-mark">.</mark>frist_name}}</code>`, "Slug may have only lower-case letters",
				`id="target_senate" value="1" checked`, `aria-invalid="true"`, "The campaign was not saved",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("refused form lacks %q", want)
				}
			}
			list, _ := st.Campaigns(context.Background())
			for _, x := range list {
				if x.Slug == "Not A Slug" {
					t.Error("a refused campaign was saved")
				}
			}
		})

		t.Run("preview button saves nothing", func(t *testing.T) {
			v := formValues(slug)
			v.Set("_csrf", tok)
			v.Set("action", "preview")
			v.Set("member_q", "pelosi")
			code, body, _ := postForm(t, c, base, v)
			if code != 200 || !strings.Contains(body, "Dear Representative Pelosi:") || !strings.Contains(body, "this office would receive nothing") {
				t.Errorf("preview: %d", code)
			}
			if _, err := st.CampaignBySlug(context.Background(), slug); err == nil {
				t.Error("preview saved the campaign")
			}
		})

		var id string
		t.Run("create, edit, versions, diff", func(t *testing.T) {
			v := formValues(slug)
			v.Set("_csrf", tok)
			code, _, loc := postForm(t, c, base, v)
			if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/campaigns/") {
				t.Fatalf("create: %d %s", code, loc)
			}
			id = strings.TrimPrefix(loc, "/admin/campaigns/")
			code, page := getPage(t, c, f.srv.URL+loc)
			if code != 200 || !strings.Contains(page, "Campaign created") || !strings.Contains(page, "letter version 1") ||
				!strings.Contains(page, html.EscapeString("Records <of> family separations")) {
				t.Fatalf("campaign page: %d", code)
			}
			saved, err := st.CampaignBySlug(context.Background(), slug)
			if err != nil || strings.Contains(saved.Template, "\r") {
				t.Fatalf("saved: %v %q", err, saved.Template)
			}

			// re-saving the same text (CRLF from the browser) makes no version
			v.Set("version", "1")
			code, _, loc = postForm(t, c, base+"/"+id, v)
			if _, page = getPage(t, c, f.srv.URL+loc); code != 303 || !strings.Contains(page, "Nothing had changed") {
				t.Errorf("unchanged save: %d", code)
			}
			v.Set("template", v.Get("template")+"\r\n\r\nP.S. Thank you.")
			code, _, loc = postForm(t, c, base+"/"+id, v)
			if _, page = getPage(t, c, f.srv.URL+loc); code != 303 || !strings.Contains(page, "version 2") {
				t.Errorf("changed save: %d", code)
			}
			// another editor's form still says version 1
			v.Set("template", "{{.salutation}}: overwritten")
			code, body, _ := postForm(t, c, base+"/"+id, v)
			if code != http.StatusConflict || !strings.Contains(body, "saved by someone else") || !strings.Contains(body, "overwritten</textarea>") ||
				!strings.Contains(body, `name="version" value="2"`) {
				t.Errorf("stale save: %d", code)
			}

			code, page = getPage(t, c, base+"/"+id+"/versions")
			if code != 200 || !strings.Contains(page, u.Email) || strings.Count(page, "<tr>") != 3 {
				t.Errorf("versions page: %d", code)
			}
			code, page = getPage(t, c, base+"/"+id+"/versions/diff?a=1&b=2")
			if code != 200 || !strings.Contains(page, `<ins class="diff-add">`) || !strings.Contains(page, "P.S. Thank you.</ins>") {
				t.Errorf("diff page: %d", code)
			}
			if code, _ := getPage(t, c, base+"/"+id+"/versions/diff?a=0&b=2"); code != 400 {
				t.Errorf("diff of version 0: %d", code)
			}
		})

		t.Run("preview page: plain GET search", func(t *testing.T) {
			cases := []struct{ q, id, want string }{
				{"", "", "Dear Senator"},
				{"Padilla", "", "Dear Senator Padilla:"},
				{"CA", "P000197", "Dear Representative Pelosi:"},
				{"california", "P000197", "Dear Representative Pelosi:"},
				{"DC", "", "Dear Delegate Norton:"},
				{"pelosi", "P000145", "Dear Representative Pelosi:"}, // the id is not among the matches
			}
			for _, tc := range cases {
				code, page := getPage(t, c, base+"/"+id+"/preview?q="+url.QueryEscape(tc.q)+"&bioguide_id="+tc.id)
				if code != 200 || !strings.Contains(page, tc.want) {
					t.Errorf("q=%q id=%s: %d, want %q", tc.q, tc.id, code, tc.want)
				}
			}
			_, page := getPage(t, c, base+"/"+id+"/preview?q=zzzzqq")
			if !strings.Contains(page, "No member of Congress matches") {
				t.Error("no match not explained")
			}
			_, page = getPage(t, c, base+"/"+id+"/preview?q=padilla&version=1")
			if strings.Contains(page, "P.S. Thank you.") || !strings.Contains(page, "version 1") {
				t.Error("version 1 preview shows the current letter")
			}
		})

		t.Run("live preview JSON", func(t *testing.T) {
			live := func(v url.Values, csrfHeader bool) (int, string) {
				req, _ := http.NewRequest(http.MethodPost, base+"/preview", strings.NewReader(v.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if csrfHeader {
					req.Header.Set("X-CSRF-Token", tok)
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			v := formValues("")
			v.Set("member_q", "norton")
			code, body := live(v, true)
			p := decode[struct {
				Ready   bool   `json:"ready"`
				Subject string `json:"subject"`
				Body    string `json:"body"`
				Member  string `json:"member"`
				Matches []struct {
					ID string `json:"id"`
				} `json:"matches"`
			}](t, body)
			if code != 200 || !p.Ready || !strings.HasPrefix(p.Body, "Dear Delegate Norton:") || p.Subject != "Oversight of family separations in DC" ||
				len(p.Matches) != 1 || p.Matches[0].ID != "N000147" {
				t.Errorf("live preview: %d %s", code, body)
			}
			v.Set("template", "Hello\n{{if .city}")
			code, body = live(v, true)
			if code != 200 || !strings.Contains(body, `"ready":false`) || !strings.Contains(body, `"field":"template","line":2`) {
				t.Errorf("live preview of a broken template: %d %s", code, body)
			}
			if code, _ := live(v, false); code != 403 {
				t.Errorf("live preview without a CSRF token: %d, want 403", code)
			}
		})
	})
}
