package web_test

import (
	"context"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// routePath fills a route pattern of the table with values that reach the
// handler, as the role-matrix test does.
func routePath(p string) string {
	p = strings.NewReplacer(":id", "999999", "*", "x").Replace(p)
	return strings.NewReplacer(":slug", "nope", ":token", "nope", ":office", "nope", ":event", "999999", ":key", "nope").Replace(p)
}

// publicCacheable are the routes whose answers hold nothing personal and
// may be kept by a cache when nobody is signed in.
var publicCacheable = map[string]bool{
	"GET /static/*":                  true,
	"GET /brand.css":                 true, // the branding colour, nothing personal
	"GET /api/v1/representatives":    true,
	"GET /api/v1/openapi.json":       true,
	"GET /api/v1/stats/latest":       true,
	"GET /api/v1/stats/releases":     true,
	"GET /api/v1/stats/releases/:id": true,
}

// send is request for the headers only: the body is closed.
func send(t testing.TB, c *http.Client, method, u, token, contentType, body string) *http.Response {
	t.Helper()
	resp := request(t, c, method, u, token, contentType, body)
	resp.Body.Close()
	return resp
}

// request sends a request with an optional bearer token, content type and
// body; the caller closes the answer's body.
func request(t testing.TB, c *http.Client, method, u, token, contentType, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestNoStoreOnPrivateResponses walks the route table (the role-matrix
// test's list): every answer to a signed-in user (token or session), and
// every anonymous answer but those of publicCacheable routes, says
// Cache-Control: no-store. So do the supporter's review and confirmation
// pages, the outbox and the exports, which are among the routes.
func TestNoStoreOnPrivateResponses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		admin := addUser(t, st, unique("nostore")+"@example.org", auth.Admin)
		tok := bearer(t, st, admin)
		anon, session := browserClient(t), browserClient(t)
		signIn(t, session, f.srv.URL, admin.Email)
		routes := f.server.Routes()
		if len(routes) < 100 {
			t.Fatalf("only %d routes", len(routes))
		}
		noStore := func(who string, rt web.RouteInfo, resp *http.Response) {
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("%s %s %s: %d with Cache-Control %q, want no-store", who, rt.Method, rt.Path, resp.StatusCode, cc)
			}
		}
		for _, rt := range routes {
			if rt.Path == "/admin/logout" {
				continue
			}
			u := f.srv.URL + routePath(rt.Path)
			resp := send(t, anon, rt.Method, u, "", "application/x-www-form-urlencoded", "")
			if !publicCacheable[rt.Method+" "+rt.Path] {
				noStore("anonymous", rt, resp)
			}
			if rt.Path != "/static/*" {
				noStore("token", rt, send(t, anon, rt.Method, u, tok, "application/x-www-form-urlencoded", ""))
				if rt.Method == http.MethodGet {
					noStore("session", rt, send(t, session, rt.Method, u, "", "", ""))
				}
			}
		}
		// A public answer is no-store too when the caller is signed in.
		rt := web.RouteInfo{Method: http.MethodGet, Path: "/api/v1/representatives"}
		noStore("session", rt, send(t, session, http.MethodGet, f.srv.URL+"/api/v1/representatives?zip=94110", "", "", ""))
		noStore("token", rt, send(t, anon, http.MethodGet, f.srv.URL+"/api/v1/representatives?zip=94110", tok, "", ""))
		if resp := send(t, anon, http.MethodGet, f.srv.URL+"/api/v1/representatives?zip=94110", "", "", ""); !strings.HasPrefix(resp.Header.Get("Cache-Control"), "public") {
			t.Errorf("anonymous lookup: Cache-Control %q, want public", resp.Header.Get("Cache-Control"))
		}
	})
}

// TestHTTPSHeadersFollowBaseURL: HSTS and Secure cookies come from
// OUTREACH_BASE_URL (SecureCookies), never from a client's
// X-Forwarded-Proto; over https every cookie the server sets (language,
// CSRF, session, flash notice) is Secure.
func TestHTTPSHeadersFollowBaseURL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		plain := staffServer(t, st, web.Deps{})
		resp := send(t, browserClient(t), http.MethodGet, plain.srv.URL+"/?lang=es", "", "", "")
		resp2, _ := plain.get(t, "/admin/login", "X-Forwarded-Proto", "https")
		for _, r := range []*http.Response{resp, resp2} {
			if h := r.Header.Get("Strict-Transport-Security"); h != "" {
				t.Errorf("http site sent HSTS %q (X-Forwarded-Proto must not turn it on)", h)
			}
		}

		f := staffServer(t, st, web.Deps{SecureCookies: true})
		admin := addUser(t, st, unique("https")+"@example.org", auth.Admin)
		var seen []*http.Response
		// The client's cookie jar would not send Secure cookies over the
		// test's plain http: carry them by hand.
		jar := map[string]string{}
		call := func(method, path string, form url.Values) *http.Response {
			t.Helper()
			req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(form.Encode()))
			if form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for k, v := range jar {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			for _, ck := range resp.Cookies() {
				jar[ck.Name] = ck.Value
			}
			seen = append(seen, resp)
			return resp
		}
		call(http.MethodGet, "/?lang=es", nil) // the language cookie
		call(http.MethodGet, "/admin/login", nil)
		tok := jar["_csrf"]
		if tok == "" {
			t.Fatal("no CSRF cookie on the sign-in page")
		}
		if r := call(http.MethodPost, "/admin/login", url.Values{"_csrf": {tok}, "email": {admin.Email}, "password": {testPassword}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d", r.StatusCode)
		}
		// saving an account leaves a flash notice for the next page
		me := "/admin/users/" + strconv.FormatInt(admin.ID, 10)
		if r := call(http.MethodPost, me, url.Values{"_csrf": {tok}, "name": {"Ana"}, "role": {"admin"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save account: %d", r.StatusCode)
		}
		call(http.MethodGet, me, nil)
		names := map[string]bool{}
		for _, r := range seen {
			if h := r.Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
				t.Errorf("%s %s over an https base URL: no HSTS", r.Request.Method, r.Request.URL.Path)
			}
			for _, ck := range r.Cookies() {
				names[ck.Name] = true
				if !ck.Secure {
					t.Errorf("%s %s: cookie %s is not Secure", r.Request.Method, r.Request.URL.Path, ck.Name)
				}
			}
		}
		for _, n := range []string{"lang", "_csrf", "__Host-outreach_session", "flash"} {
			if !names[n] {
				t.Errorf("the walk never set cookie %s (saw %v)", n, names)
			}
		}
	})
}

// TestJSONAPIRefusesOtherBodies: a body that is not JSON (text/plain, which
// a cross-site form can send without a preflight, a form, no type at all)
// is refused with 415 by every API route that takes a body, before it
// changes anything; the case import still takes text/csv, and provider
// webhooks keep their own types.
func TestJSONAPIRefusesOtherBodies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		tok := bearer(t, st, addUser(t, st, unique("json")+"@example.org", auth.Admin))
		c := browserClient(t)
		api := f.srv.URL + "/api/v1/campaigns"
		code, body := do(t, c, http.MethodPost, api, tok, "application/json", campaignBody(unique("json"), nil))
		if code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, body)
		}
		id := strconv.FormatInt(decode[apiCampaign](t, body).ID, 10)
		changed := campaignBody(unique("json"), map[string]any{"title": "Changed by a text/plain body"})
		for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
			code, body := do(t, c, http.MethodPut, api+"/"+id, tok, ct, changed)
			if code != http.StatusUnsupportedMediaType || !strings.Contains(body, "application/json") {
				t.Errorf("PUT campaign as %q: %d %s, want 415 naming application/json", ct, code, body)
			}
		}
		_, body = do(t, c, http.MethodGet, api+"/"+id, tok, "", "")
		if decode[apiCampaign](t, body).Title == "Changed by a text/plain body" {
			t.Fatal("a refused body changed the campaign")
		}
		if code, body := do(t, c, http.MethodPut, api+"/"+id, tok, "application/json; charset=utf-8", changed); code != 200 {
			t.Errorf("PUT campaign as JSON: %d %s", code, body)
		}

		n := 0
		for _, rt := range f.server.Routes() {
			if !strings.HasPrefix(rt.Path, "/api/") || rt.Method == http.MethodGet {
				continue
			}
			n++
			code, body := do(t, c, rt.Method, f.srv.URL+routePath(rt.Path), tok, "text/plain", `{"x": 1}`)
			if code != http.StatusUnsupportedMediaType {
				t.Errorf("%s %s with text/plain: %d %s, want 415", rt.Method, rt.Path, code, body)
			}
		}
		if n < 10 {
			t.Fatalf("only %d API routes take a body", n)
		}
		csv := "state,year\n"
		if code, body := do(t, c, http.MethodPost, f.srv.URL+"/api/v1/cases", tok, "text/csv", csv); code == http.StatusUnsupportedMediaType {
			t.Errorf("CSV import refused as %d %s", code, body)
		}
		if code, _ := do(t, c, http.MethodPost, f.srv.URL+"/webhooks/sendgrid/events", "", "application/json", "[]"); code == http.StatusUnsupportedMediaType {
			t.Error("the SendGrid event webhook answered 415")
		}
		if code, _ := do(t, c, http.MethodPost, f.srv.URL+"/webhooks/sendgrid/inbound", "", "multipart/form-data; boundary=x", "--x--\r\n"); code == http.StatusUnsupportedMediaType {
			t.Error("the inbound webhook answered 415")
		}
	})
}

// cuttable opens a migrated store and returns a function that makes its
// database unreachable: SQLite's connections are closed; PostgreSQL is
// reached through a TCP proxy that cut closes, with every connection.
func cuttable(t *testing.T, dialect store.Dialect) (*store.Store, func()) {
	t.Helper()
	if dialect == store.SQLite {
		st := storetest.SQLite(t)
		return st, func() { st.Close() }
	}
	storetest.Postgres(t) // migrates the package's database
	u, err := url.Parse(storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr
	st, err := store.Open(context.Background(), store.Options{DatabaseURL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, p.cut
}

// proxy forwards TCP connections to target until cut.
type proxy struct {
	addr  string
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String(), ln: ln}
	t.Cleanup(p.cut)
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	return p
}

func (p *proxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDatabaseOutageAnswers503: while the database does not answer,
// staff pages, the API, the public campaign page and /readyz answer 503
// with Retry-After (not 500), in the visitor's language.
func TestDatabaseOutageAnswers503(t *testing.T) {
	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			st, cut := cuttable(t, dialect)
			f := staffServer(t, st, web.Deps{})
			admin := addUser(t, st, unique("outage")+"@example.org", auth.Admin)
			tok := bearer(t, st, admin)
			session := browserClient(t)
			signIn(t, session, f.srv.URL, admin.Email)
			anon := browserClient(t)
			type probe struct {
				name string
				c    *http.Client
				path string
				tok  string
				lang string
			}
			probes := []probe{
				{"API with a token", anon, "/api/v1/campaigns", tok, ""},
				{"staff page", session, "/admin/campaigns", "", ""},
				{"public campaign page", anon, "/c/" + unique("nope") + "/responsiveness", "", ""},
				{"public campaign page in Spanish", anon, "/c/" + unique("nope") + "/responsiveness", "", "es"},
				{"readiness", anon, "/readyz", "", ""},
			}
			for _, p := range probes {
				if resp := send(t, p.c, http.MethodGet, f.srv.URL+p.path, p.tok, "", ""); resp.StatusCode >= 500 {
					t.Fatalf("%s before the outage: %d", p.name, resp.StatusCode)
				}
			}
			cut()
			time.Sleep(1100 * time.Millisecond) // the last health check is remembered for a second
			for _, p := range probes {
				req, _ := http.NewRequest(http.MethodGet, f.srv.URL+p.path, nil)
				if p.tok != "" {
					req.Header.Set("Authorization", "Bearer "+p.tok)
				}
				if p.lang != "" {
					req.Header.Set("Accept-Language", p.lang)
				}
				resp, err := p.c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
					t.Errorf("%s during the outage: %d Retry-After %q %.200s", p.name, resp.StatusCode, resp.Header.Get("Retry-After"), b)
				}
				want := "briefly unavailable"
				if p.lang == "es" {
					want = "no está disponible"
				}
				if p.path != "/readyz" && !strings.Contains(html.UnescapeString(string(b)), want) {
					t.Errorf("%s during the outage: no %q in %.300s", p.name, want, b)
				}
			}
		})
	}
}

// TestReadyzFailsWhenDataDirNotWritable: /readyz writes to the data
// directory; a full disk (the probe file pointed at /dev/full, which
// answers every write with ENOSPC) or a missing directory is 503.
func TestReadyzFailsWhenDataDirNotWritable(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		dir := t.TempDir()
		f := staffServer(t, st, web.Deps{DataDir: dir})
		ready := func() (int, string) {
			resp, body := f.get(t, "/readyz")
			return resp.StatusCode, body + " Retry-After=" + resp.Header.Get("Retry-After")
		}
		if code, body := ready(); code != 200 {
			t.Fatalf("writable data dir: %d %s", code, body)
		}
		probe := filepath.Join(dir, ".readyz-probe")
		os.Remove(probe)
		if err := os.Symlink("/dev/full", probe); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond)
		if code, body := ready(); code != 503 || !strings.Contains(body, "data directory is not writable") || strings.HasSuffix(body, "Retry-After=") {
			t.Errorf("full disk: %d %s", code, body)
		}
		os.Remove(probe)
		time.Sleep(1100 * time.Millisecond)
		if code, body := ready(); code != 200 {
			t.Errorf("after the disk was freed: %d %s", code, body)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond)
		if code, body := ready(); code != 503 {
			t.Errorf("data dir gone: %d %s", code, body)
		}
	})
}

// TestChunkedBodyOverLimitIs413: a body without Content-Length (chunked)
// that grows past OUTREACH_BODY_LIMIT is 413 on every kind of route, as a
// declared one is, and changes nothing.
func TestChunkedBodyOverLimitIs413(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{BodyLimit: "4K"})
		tok := bearer(t, st, addUser(t, st, unique("chunk")+"@example.org", auth.Admin))
		bigSlug, smallSlug := unique("big"), unique("small")
		big := campaignBody(bigSlug, map[string]any{"summary_en": strings.Repeat("a", 8<<10)})
		small := campaignBody(smallSlug, nil)
		post := func(path, ct, body string, chunked bool) int {
			var r io.Reader = strings.NewReader(body)
			if chunked {
				r = io.MultiReader(r) // hides the length: sent chunked
			}
			req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, r)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", ct)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		for _, chunked := range []bool{false, true} {
			if code := post("/api/v1/campaigns", "application/json", big, chunked); code != http.StatusRequestEntityTooLarge {
				t.Errorf("API, chunked=%v: %d, want 413", chunked, code)
			}
			if code := post("/admin/campaigns", "application/x-www-form-urlencoded", "title="+strings.Repeat("a", 8<<10), chunked); code != http.StatusRequestEntityTooLarge {
				t.Errorf("form, chunked=%v: %d, want 413", chunked, code)
			}
		}
		if code := post("/api/v1/campaigns", "application/json", small, true); code != http.StatusCreated {
			t.Errorf("a chunked body under the limit: %d, want 201", code)
		}
		_, body := do(t, browserClient(t), http.MethodGet, f.srv.URL+"/api/v1/campaigns", tok, "", "")
		slugs := map[string]bool{}
		for _, cp := range decode[struct{ Campaigns []apiCampaign }](t, body).Campaigns {
			slugs[cp.Slug] = true
		}
		if slugs[bigSlug] || !slugs[smallSlug] {
			t.Errorf("campaigns after the refused bodies: %v, want the small one and not the big one", slugs)
		}
	})
}

// TestInvisibleCharactersRefused: a bidirectional override, an isolate, a
// zero-width space (or any other invisible formatting character) in a
// supporter's name, address or paragraph, or in a staff form (campaign
// fields, a staff member's name), is refused with a message that says
// what it is, the typed input is kept, and nothing is stored.
func TestInvisibleCharactersRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		slug := unique("bidi")
		a := newActionServer(t, st, slug, campaign.Live)
		c := browserClient(t)
		cases := []struct{ field, value string }{
			{"first_name", "Ana\u202e"},
			{"last_name", "Garc\u200bía"},
			{"email", "ana\u200b@example.org"},
			{"address1", "\u202e3200 24th St"},
			{"address2", "Apt \u2066B\u2069"},
			{"city", "San Francisco\u200f"},
			{"note", "My cousin \u202dwas separated\u202c from her son."},
		}
		for _, path := range []string{"/c/" + slug, "/c/" + slug + "/send"} {
			for _, tc := range cases {
				v := supporter("94110", "CA")
				v.Set(tc.field, tc.value)
				code, body := a.post(t, c, path, v)
				page := html.UnescapeString(body)
				if code != http.StatusUnprocessableEntity || !strings.Contains(page, "invisible formatting character") {
					t.Errorf("%s with %q in %s: %d, want 422 naming the invisible character", path, tc.value, tc.field, code)
					continue
				}
				if !strings.Contains(page, tc.value) {
					t.Errorf("%s: what was typed in %s is not kept", path, tc.field)
				}
			}
		}
		v := supporter("94110", "CA")
		v.Set("city", "San Francisco\u200f")
		v.Set("lang", "es")
		if _, body := a.post(t, c, "/c/"+slug+"?lang=es", v); !strings.Contains(html.UnescapeString(body), "carácter de formato invisible") {
			t.Error("the Spanish page does not explain the invisible character")
		}
		if n, _ := st.CountSubmissionsSince(context.Background(), "email_index", a.keys.Index("email", "ana@example.org"), time.Time{}); n != 0 {
			t.Errorf("refused input stored %d submissions", n)
		}
		// ZWNJ and ZWJ, which Persian, Indic scripts and emoji need, pass.
		v = supporter("94110", "CA")
		v.Set("note", "می\u200cخواهم 👩‍👧")
		if code, body := a.post(t, c, "/c/"+slug, v); code != http.StatusOK {
			t.Errorf("ZWNJ/ZWJ in the paragraph: %d %.300s", code, body)
		}

		// staff forms
		admin := addUser(t, st, unique("bidi-admin")+"@example.org", auth.Admin)
		tok := bearer(t, st, admin)
		code, body := do(t, c, http.MethodPost, a.srv.URL+"/api/v1/campaigns", tok, "application/json",
			campaignBody(unique("bidi"), map[string]any{"title": "Reunite \u202efamilies"}))
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("campaign title with U+202E: %d %s", code, body)
		}
		if _, _, msg := refusalFor(t, body, "title"); !strings.Contains(msg, "U+202E RIGHT-TO-LEFT OVERRIDE") {
			t.Errorf("campaign title message: %q", msg)
		}
		staff := browserClient(t)
		signIn(t, staff, a.srv.URL, admin.Email)
		tokCSRF := csrfFrom(t, staff, a.srv.URL+"/admin/users")
		code, body, _ = postForm(t, staff, a.srv.URL+"/admin/users", url.Values{"_csrf": {tokCSRF}, "email": {unique("bidi-new") + "@example.org"},
			"name": {"Bo \u2066Smith"}, "role": {"organizer"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), "U+2066 LEFT-TO-RIGHT ISOLATE") || !strings.Contains(html.UnescapeString(body), "Bo \u2066Smith") {
			t.Errorf("staff name with U+2066: %d", code)
		}
		me := "/admin/users/" + strconv.FormatInt(admin.ID, 10)
		code, body, _ = postForm(t, staff, a.srv.URL+me, url.Values{"_csrf": {tokCSRF}, "name": {"Ana\u200b"}, "role": {"admin"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), "U+200B ZERO WIDTH SPACE") {
			t.Errorf("renaming a staff member with U+200B: %d", code)
		}
	})
}

// TestLookupRateLimit: member lookups (the API and the lookup page) are
// limited per client IP per minute (OUTREACH_LOOKUP_LIMIT); every limited
// answer carries RateLimit-Policy and RateLimit, and over the limit it is
// 429 with Retry-After until the minute ends. A client cannot escape by
// sending X-Forwarded-For unless it comes through a trusted proxy; an
// IPv6 /64 is one client.
func TestLookupRateLimit(t *testing.T) {
	clk := &clock{now: time.Date(2026, 6, 1, 12, 0, 10, 0, time.UTC)}
	f := newServer(t, web.Deps{LookupLimit: 5, Now: clk.Now})
	lookup := func(path string, header ...string) (*http.Response, string) {
		t.Helper()
		return f.get(t, path, header...)
	}
	for i := 0; i < 5; i++ {
		resp, body := lookup("/api/v1/representatives?zip=94110")
		if resp.StatusCode != 200 {
			t.Fatalf("lookup %d: %d %s", i+1, resp.StatusCode, body)
		}
		if p := resp.Header.Get("RateLimit-Policy"); p != `"lookup";q=5;w=60` {
			t.Errorf("RateLimit-Policy %q", p)
		}
		if rl, want := resp.Header.Get("RateLimit"), `"lookup";r=`+strconv.Itoa(4-i)+";t=50"; rl != want {
			t.Errorf("lookup %d: RateLimit %q, want %q", i+1, rl, want)
		}
	}
	resp, body := lookup("/api/v1/representatives?zip=94110")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "50" || !strings.Contains(body, `"error"`) {
		t.Errorf("over the limit: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if rl := resp.Header.Get("RateLimit"); rl != `"lookup";r=0;t=50` {
		t.Errorf("over the limit: RateLimit %q", rl)
	}
	// the lookup page counts too, and explains in the visitor's language
	resp, body = lookup("/?q=94110", "Accept-Language", "es")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Demasiadas solicitudes") {
		t.Errorf("lookup page over the limit: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, _ := lookup("/"); resp.StatusCode != 200 {
		t.Errorf("the empty lookup page: %d (it looks nothing up)", resp.StatusCode)
	}
	// without a trusted proxy, X-Forwarded-For is not believed
	if resp, _ := lookup("/api/v1/representatives?zip=94110", "X-Forwarded-For", "203.0.113.9"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a made-up X-Forwarded-For escaped the limit: %d", resp.StatusCode)
	}
	clk.Add(50 * time.Second)
	if resp, body := lookup("/api/v1/representatives?zip=94110"); resp.StatusCode != 200 || resp.Header.Get("RateLimit") != `"lookup";r=4;t=60` {
		t.Errorf("next minute: %d %q %s", resp.StatusCode, resp.Header.Get("RateLimit"), body)
	}

	// behind a trusted proxy, each client has its own count; a /64 is one client
	_, lo, _ := net.ParseCIDR("127.0.0.1/32")
	p := newServer(t, web.Deps{LookupLimit: 2, Now: clk.Now, TrustedProxies: []*net.IPNet{lo}})
	codes := func(xff string, n int) []int {
		var out []int
		for i := 0; i < n; i++ {
			resp, _ := p.get(t, "/api/v1/representatives?zip=94110", "X-Forwarded-For", xff)
			out = append(out, resp.StatusCode)
		}
		return out
	}
	if got := codes("203.0.113.9", 3); got[1] != 200 || got[2] != 429 {
		t.Errorf("client A: %v", got)
	}
	if got := codes("198.51.100.4", 2); got[1] != 200 {
		t.Errorf("client B was limited by client A: %v", got)
	}
	codes("2001:db8:1:2::1", 2)
	if got := codes("2001:db8:1:2:ffff::9", 1); got[0] != 429 {
		t.Errorf("another address of the same /64: %v, want 429", got)
	}

	// OUTREACH_LOOKUP_LIMIT=0: no limit, no headers
	free := newServer(t, web.Deps{})
	for i := 0; i < 20; i++ {
		resp, _ := free.get(t, "/api/v1/representatives?zip=94110")
		if resp.StatusCode != 200 || resp.Header.Get("RateLimit") != "" {
			t.Fatalf("no limit: %d %q", resp.StatusCode, resp.Header.Get("RateLimit"))
		}
	}
}
