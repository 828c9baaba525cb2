package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// allowEmbed lets two sites frame the campaign's form.
func allowEmbed(origins ...string) func(*campaign.Campaign) {
	return func(c *campaign.Campaign) { c.EmbedOrigins = origins }
}

func frameAncestors(h http.Header) string {
	for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "frame-ancestors ") {
			return strings.TrimPrefix(d, "frame-ancestors ")
		}
	}
	return ""
}

// TestEmbedFramingHeaders: only the embed routes of a campaign name its
// allowed sites in frame-ancestors (and drop X-Frame-Options); every other
// page, and the embed route of a campaign without an allow-list, keeps
// frame-ancestors 'none' and X-Frame-Options: DENY.
func TestEmbedFramingHeaders(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "framed", campaign.Live, allowEmbed("https://www.example.org", "http://localhost:8000"))
	if _, err := st.CreateCampaign(context.Background(), campaign.Campaign{Slug: "unframed", Title: "Unframed", SummaryEN: "s", SummaryES: "s",
		CallToActionEN: "c", CallToActionES: "c", Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Live,
		Subject: "S", Template: demoTemplate}, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	c := &http.Client{}
	embed, _ := a.get(t, "/c/framed/embed")
	if embed.StatusCode != 200 {
		t.Fatalf("embed: %d", embed.StatusCode)
	}
	if got := frameAncestors(embed.Header); got != "https://www.example.org http://localhost:8000" {
		t.Errorf("embed frame-ancestors = %q", got)
	}
	if xfo := embed.Header.Get("X-Frame-Options"); xfo != "" {
		t.Errorf("embed X-Frame-Options = %q, want none (it would block the allowed sites)", xfo)
	}
	// The pages after the form are framable too (a post without a token
	// shows the form again: see TestEmbedFlowWithoutCookies).
	resp, err := c.PostForm(a.srv.URL+"/c/framed/embed", supporter("94110", "CA"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := frameAncestors(resp.Header); got != "https://www.example.org http://localhost:8000" {
		t.Errorf("embed review frame-ancestors = %q", got)
	}
	for _, path := range []string{"/c/framed", "/", "/c/unframed/embed", "/c/nosuch/embed", "/stats", "/admin/login"} {
		resp, _ := a.get(t, path)
		if got := frameAncestors(resp.Header); got != "'none'" {
			t.Errorf("%s (%d): frame-ancestors %q, want 'none'", path, resp.StatusCode, got)
		}
		if xfo := resp.Header.Get("X-Frame-Options"); xfo != "DENY" {
			t.Errorf("%s: X-Frame-Options %q, want DENY", path, xfo)
		}
	}
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// TestEmbedFlowWithoutCookies walks the embedded flow with a client that
// keeps no cookies (a third-party iframe gets none back): form, review,
// send, check your email, every form posting to an embed route in the
// page's language. A post without the form's token, or with another
// campaign's, sends nothing and shows the step again as typed; a post a
// browser marks as coming from another site is refused.
func TestEmbedFlowWithoutCookies(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, "framed", campaign.Live, allowEmbed("https://www.example.org"))
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, a.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if len(resp.Cookies()) > 0 && path != "" {
			for _, ck := range resp.Cookies() {
				if ck.Name == "_csrf" {
					t.Errorf("%s set the CSRF cookie; the embedded flow must not need it", path)
				}
			}
		}
		return resp.StatusCode, string(b)
	}
	_, page := a.get(t, "/c/framed/embed?lang=es")
	if m := formAction.FindStringSubmatch(page); m == nil || m[1] != "/c/framed/embed?lang=es#result" {
		t.Fatalf("embed form posts to %v", m)
	}
	if !strings.Contains(page, `class="embed"`) || strings.Contains(page, `class="brand"`) {
		t.Error("embed page is not in the minimal chrome")
	}
	token := csrfField.FindStringSubmatch(page)[1]
	idx := a.keys.Index("email", "ana@example.org")
	count := func() int64 {
		n, err := st.CountSubmissionsSince(context.Background(), "email_index", idx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	form := supporter("94110", "CA")
	// No token: nothing happens; the form comes back as typed.
	code, body := post("/c/framed/embed?lang=es", form)
	if code != 200 || !strings.Contains(body, "Todavía no se envió nada") || !strings.Contains(body, `value="3200 24th St"`) {
		t.Fatalf("review without token: %d %s", code, body)
	}
	// Another campaign's token (or one from another client) does not fit.
	other := newActionServer(t, storetest.SQLite(t), "framed", campaign.Live, allowEmbed("https://www.example.org"))
	_, otherPage := other.get(t, "/c/framed/embed")
	form.Set("_csrf", csrfField.FindStringSubmatch(otherPage)[1])
	if _, body := post("/c/framed/embed?lang=es", form); !strings.Contains(body, "Todavía no se envió nada") {
		t.Error("a token signed by another server was taken")
	}

	form.Set("_csrf", token)
	code, body = post("/c/framed/embed?lang=es", form)
	if code != 200 || !strings.Contains(body, "Revise sus cartas") {
		t.Fatalf("review: %d", code)
	}
	// In a cross-origin frame Chromium refuses autofocus (and logs an error):
	// the embedded page leaves it out and app.js moves the focus instead.
	if !strings.Contains(body, "data-focus") || strings.Contains(body, "autofocus") {
		t.Error("the embedded review asks for autofocus, which a cross-origin frame refuses")
	}
	if !strings.Contains(body, `action="/c/framed/embed/send?lang=es#result"`) || !strings.Contains(body, `formaction="/c/framed/embed?lang=es#result"`) {
		t.Fatal("the review's send and back buttons leave the embedded flow")
	}
	if !strings.Contains(body, `<form method="post" action="/c/framed/embed?lang=en" class="lang-form">`) {
		t.Error("the review's language switch leaves the embedded flow")
	}
	form.Set("reviewed", reviewedField.FindStringSubmatch(body)[1])

	// Sending with a missing token shows the review again; nothing is stored.
	noTok := url.Values{}
	for k, v := range form {
		noTok[k] = v
	}
	noTok.Del("_csrf")
	code, body = post("/c/framed/embed/send?lang=es", noTok)
	if code != 200 || !strings.Contains(body, "Todavía no se envió nada") || !strings.Contains(body, "Revise sus cartas") || count() != 0 {
		t.Fatalf("send without token: %d, %d submissions", code, count())
	}
	// A post another site made is refused outright.
	if code, _ := post("/c/framed/embed/send?lang=es", form, "Sec-Fetch-Site", "cross-site"); code != http.StatusForbidden || count() != 0 {
		t.Fatalf("cross-site send: %d, %d submissions", code, count())
	}

	code, body = post("/c/framed/embed/send?lang=es", form)
	if code != 200 || !strings.Contains(body, "Revise su correo") || count() != 1 {
		t.Fatalf("send: %d, %d submissions", code, count())
	}
	m := formAction.FindStringSubmatch(body)
	if m == nil || !strings.HasPrefix(m[1], "/c/framed/embed/sent?lang=es") {
		t.Fatalf("check-your-email resend form posts to %v", m)
	}
	if !strings.Contains(body, `href="/c/framed/embed/sent?t=`) || !strings.Contains(body, `href="/c/framed/embed?lang=es"`) {
		t.Error("the check-your-email page's links leave the iframe")
	}
	sent, _ := a.get(t, "/c/framed/embed/sent?"+url.Values{"t": {regexp.MustCompile(`name="t" value="([^"]+)"`).FindStringSubmatch(body)[1]}}.Encode())
	if sent.StatusCode != 200 || frameAncestors(sent.Header) != "https://www.example.org" {
		t.Errorf("check-your-email page again: %d %q", sent.StatusCode, frameAncestors(sent.Header))
	}
}

// TestEmbedOriginsEditorAndAPI: the allow-list is edited in the campaign
// form and the API, normalized, refused entry by entry with the field
// named (keeping what was typed, saving nothing), and the editor shows
// the snippet to paste once the campaign is saved.
func TestEmbedOriginsEditorAndAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{BaseURL: "https://act.example.org"})
		u := addUser(t, st, unique("embedder")+"@example.org", auth.Campaigner)
		c := browserClient(t)
		signIn(t, c, f.srv.URL, u.Email)
		base := f.srv.URL + "/admin/campaigns"
		code, page := getPage(t, c, base+"/new")
		if code != 200 || !strings.Contains(page, `name="embed_origins"`) || strings.Contains(page, `id="snippet"`) ||
			!strings.Contains(page, "once the campaign is saved") {
			t.Fatalf("new form: %d; the allow-list box, and no snippet before saving", code)
		}
		tok := csrfFrom(t, c, base+"/new")
		slug := unique("embedded")
		v := formValues(slug)
		v.Set("_csrf", tok)
		v.Set("action", "save")
		v.Set("embed_origins", "http://www.example.org\r\nwww.example.net")
		code, body, _ := postForm(t, c, base, v)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `&#34;http://www.example.org&#34; must use https`) ||
			!strings.Contains(body, `&#34;www.example.net&#34; is not an origin`) || !strings.Contains(body, "http://www.example.org\r\nwww.example.net</textarea>") &&
			!strings.Contains(body, "http://www.example.org\nwww.example.net</textarea>") {
			t.Fatalf("bad origins: %d %s", code, body)
		}
		if _, err := st.CampaignBySlug(context.Background(), slug); err == nil {
			t.Fatal("a refused campaign was saved")
		}
		v.Set("embed_origins", "HTTPS://WWW.Example.org/\nhttps://www.example.org\nhttp://localhost:3000")
		code, _, loc := postForm(t, c, base, v)
		if code != http.StatusSeeOther {
			t.Fatalf("save: %d", code)
		}
		saved, err := st.CampaignBySlug(context.Background(), slug)
		if err != nil || strings.Join(saved.EmbedOrigins, " ") != "https://www.example.org http://localhost:3000" {
			t.Fatalf("stored origins %q, %v", saved.EmbedOrigins, err)
		}
		_, page = getPage(t, c, f.srv.URL+loc)
		for _, want := range []string{`&lt;iframe src=&#34;https://act.example.org/c/` + slug + `/embed&#34;`, `data-outreach-embed allow=&#34;geolocation&#34;`,
			`&lt;script src=&#34;https://act.example.org/static/embed.js&#34; async&gt;&lt;/script&gt;`, "https://www.example.org\nhttp://localhost:3000</textarea>"} {
			if !strings.Contains(page, want) {
				t.Errorf("editor after save lacks %q", want)
			}
		}

		// The API: the list as stored, replaced by PUT, refused entry by entry.
		key := bearer(t, st, u)
		api := f.srv.URL + "/api/v1/campaigns/" + strconv.FormatInt(saved.ID, 10)
		code, body = do(t, c, http.MethodGet, api, key, "", "")
		if got := decode[struct {
			EmbedOrigins []string `json:"embed_origins"`
		}](t, body).EmbedOrigins; code != 200 || strings.Join(got, " ") != "https://www.example.org http://localhost:3000" {
			t.Fatalf("GET: %d %q", code, got)
		}
		code, body = do(t, c, http.MethodPut, api, key, "application/json", `{"embed_origins": ["https://ok.example", "http://127.0.0.1:8080", "ftp://x.example"]}`)
		if _, _, msg := refusalFor(t, body, "embed_origins"); code != 422 || !strings.Contains(msg, `"ftp://x.example"`) {
			t.Fatalf("PUT bad: %d %s", code, msg)
		}
		code, body = do(t, c, http.MethodPut, api, key, "application/json", `{"embed_origins": ["https://Ok.example:443"]}`)
		if got := decode[struct {
			EmbedOrigins []string `json:"embed_origins"`
		}](t, body).EmbedOrigins; code != 200 || strings.Join(got, " ") != "https://ok.example" {
			t.Fatalf("PUT: %d %q %s", code, got, body)
		}
		code, body = do(t, c, http.MethodPut, api, key, "application/json", `{"embed_origins": []}`)
		if code != 200 || !strings.Contains(body, `"embed_origins":[]`) {
			t.Fatalf("PUT empty: %d %s", code, body)
		}
	})
}
