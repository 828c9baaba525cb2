package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// clock is a controllable time source for session expiry tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func staffServer(t *testing.T, st *store.Store, deps web.Deps) *staffFixture {
	t.Helper()
	deps.Store = st
	return &staffFixture{fixture: newServer(t, deps), store: st}
}

// TestRouteRoleMatrix walks the whole route table and checks every role,
// and anonymous callers, against every route: deny by default.
func TestRouteRoleMatrix(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	tokens := map[auth.Role]string{}
	for _, r := range auth.Roles {
		u := addUser(t, st, string(r)+"@example.org", r)
		tokens[r] = bearer(t, st, u)
	}
	c := browserClient(t)
	routes := f.server.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, rt := range routes {
		path := strings.NewReplacer(":id", "999999", "*", "x").Replace(rt.Path)
		if strings.Contains(path, ":") {
			path = strings.NewReplacer(":slug", "nope", ":token", "nope", ":office", "nope").Replace(path)
		}
		if rt.Path == "/admin/logout" {
			continue // would end the session under test; covered below
		}
		u := f.srv.URL + path
		if rt.Perm == "" {
			code, _ := do(t, c, rt.Method, u, "", "application/x-www-form-urlencoded", "")
			unsafe := rt.Method != http.MethodGet && rt.Method != http.MethodHead
			if code == 401 || (code == 403 && !unsafe) || code >= 500 && code != 501 && code != 503 {
				t.Errorf("public %s %s: anonymous got %d", rt.Method, rt.Path, code)
			}
			continue
		}
		code, _ := do(t, c, rt.Method, u, "", "application/x-www-form-urlencoded", "")
		// A form post without a session also lacks a CSRF token: 403 is a refusal too.
		if code != 401 && code != 303 && !(code == 403 && rt.Method != http.MethodGet) {
			t.Errorf("%s %s: anonymous got %d, want 401, 403 or a redirect to sign-in", rt.Method, rt.Path, code)
		}
		for _, role := range auth.Roles {
			code, body := do(t, c, rt.Method, u, tokens[role], "application/x-www-form-urlencoded", "")
			allowed := role.Can(rt.Perm)
			switch {
			case allowed && (code == 401 || code == 403):
				t.Errorf("%s %s: %s should be allowed (%s), got %d", rt.Method, rt.Path, role, rt.Perm, code)
			case !allowed && code != 403:
				t.Errorf("%s %s: %s should be refused (%s), got %d", rt.Method, rt.Path, role, rt.Perm, code)
			case code >= 500:
				t.Errorf("%s %s as %s: %d %s", rt.Method, rt.Path, role, code, body)
			}
		}
	}
}

func TestSignInSessionAndSignOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{SecureCookies: false})
		addUser(t, st, "ana-"+strings.ReplaceAll(t.Name(), "/", "-")+"@example.org", auth.Campaigner)
		email := "ana-" + strings.ReplaceAll(t.Name(), "/", "-") + "@example.org"
		c := browserClient(t)

		// not signed in: redirected to the sign-in page, with next=
		resp, err := c.Get(f.srv.URL + "/admin/users")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login?next=") {
			t.Fatalf("anonymous /admin/users: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}

		// wrong password: same message as an unknown account, email kept
		tok := csrfFrom(t, c, f.srv.URL+"/admin/login")
		code, body, _ := postForm(t, c, f.srv.URL+"/admin/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {"wrong password!!"}})
		if code != 401 || !strings.Contains(body, "email or password is not right") || !strings.Contains(body, `value="`+email+`"`) {
			t.Fatalf("wrong password: %d", code)
		}
		code, body2, _ := postForm(t, c, f.srv.URL+"/admin/login", url.Values{"_csrf": {tok}, "email": {"nobody@example.org"}, "password": {"wrong password!!"}})
		if code != 401 || !strings.Contains(body2, "email or password is not right") {
			t.Fatalf("unknown account: %d", code)
		}

		signIn(t, c, f.srv.URL, email)
		u, _ := url.Parse(f.srv.URL)
		var first string
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "outreach_session" {
				first = ck.Value
			}
		}
		if first == "" {
			t.Fatal("no session cookie")
		}
		// the cookie's attributes
		tok = csrfFrom(t, c, f.srv.URL+"/admin")
		resp, err = c.PostForm(f.srv.URL+"/admin/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {testPassword}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var set *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "outreach_session" {
				set = ck
			}
		}
		if set == nil || !set.HttpOnly || set.SameSite != http.SameSiteLaxMode || set.Value == first {
			t.Fatalf("session cookie at second sign-in: %+v (must be HttpOnly, SameSite=Lax, and a new value)", set)
		}
		second := set.Value

		// the first session was ended by the second sign-in (rotation)
		if code, _ := getWithCookie(t, f.srv.URL+"/admin", first); code != http.StatusSeeOther {
			t.Errorf("old session still valid after a new sign-in: %d", code)
		}
		if code, _ := getWithCookie(t, f.srv.URL+"/admin", second); code != 200 {
			t.Fatalf("session does not work: %d", code)
		}

		// sign out: the session is gone, even if someone replays the cookie
		tok = csrfFrom(t, c, f.srv.URL+"/admin")
		code, _, loc := postForm(t, c, f.srv.URL+"/admin/logout", url.Values{"_csrf": {tok}})
		if code != http.StatusSeeOther || loc != "/admin/login" {
			t.Fatalf("logout: %d %s", code, loc)
		}
		if code, _ := getWithCookie(t, f.srv.URL+"/admin", second); code != http.StatusSeeOther {
			t.Errorf("session valid after logout: %d", code)
		}
	})
}

func getWithCookie(t *testing.T, u, session string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.AddCookie(&http.Cookie{Name: "outreach_session", Value: session})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func TestSecureCookieOverHTTPS(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{SecureCookies: true})
	addUser(t, st, "s@example.org", auth.Admin)
	c := browserClient(t)
	tok := csrfFrom(t, c, f.srv.URL+"/admin/login")
	resp, err := c.PostForm(f.srv.URL+"/admin/login", url.Values{"_csrf": {tok}, "email": {"s@example.org"}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	found := false
	for _, ck := range resp.Cookies() {
		if ck.Name == "outreach_session" {
			t.Error("over https the session cookie must carry the __Host- prefix")
		}
		if ck.Name == "__Host-outreach_session" {
			found = true
			if !ck.Secure || ck.Path != "/" || ck.Domain != "" {
				t.Errorf("__Host- cookie must be Secure, Path=/ and host-only: %+v", ck)
			}
		}
	}
	if !found {
		t.Error("no session cookie over https")
	}
}

func TestSessionTimeouts(t *testing.T) {
	st := storetest.SQLite(t)
	clk := &clock{now: time.Now()}
	f := staffServer(t, st, web.Deps{Now: clk.Now, SessionIdle: 2 * time.Hour, SessionMax: 12 * time.Hour})
	addUser(t, st, "t@example.org", auth.Organizer)

	c := browserClient(t)
	signIn(t, c, f.srv.URL, "t@example.org")
	clk.Add(3 * time.Hour) // idle too long
	if code, _ := status(t, c, f.srv.URL+"/admin"); code != http.StatusSeeOther {
		t.Errorf("idle session still valid: %d", code)
	}

	c = browserClient(t)
	signIn(t, c, f.srv.URL, "t@example.org")
	for i := 0; i < 11; i++ { // active every 90 minutes
		clk.Add(90 * time.Minute)
		if code, _ := status(t, c, f.srv.URL+"/admin"); code != 200 && i < 7 {
			t.Fatalf("active session ended early at step %d: %d", i, code)
		}
	}
	if code, _ := status(t, c, f.srv.URL+"/admin"); code != http.StatusSeeOther {
		t.Errorf("session older than the absolute limit still valid: %d", code)
	}
}

func status(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func TestSignInThrottling(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		// The package shares one PostgreSQL database: forget this test's
		// failures afterwards so other tests from 127.0.0.1 may sign in.
		t.Cleanup(func() { _ = st.ClearLoginFailures(context.Background(), auth.ThrottleKey("ip", "127.0.0.1")) })
		email := "th-" + strings.ReplaceAll(t.Name(), "/", "-") + "@example.org"
		addUser(t, st, email, auth.Admin)
		c := browserClient(t)
		tok := csrfFrom(t, c, f.srv.URL+"/admin/login")
		for i := 0; i < auth.MaxFailsPerAccount; i++ {
			code, _, _ := postForm(t, c, f.srv.URL+"/admin/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {"not the password"}})
			if code != 401 {
				t.Fatalf("attempt %d: %d", i, code)
			}
		}
		code, body, _ := postForm(t, c, f.srv.URL+"/admin/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {testPassword}})
		if code != http.StatusTooManyRequests || !strings.Contains(strings.ToLower(body), "too many failed sign-in attempts") {
			t.Fatalf("after %d failures the right password: %d", auth.MaxFailsPerAccount, code)
		}
		// per IP: many accounts from one address
		for i := 0; i < auth.MaxFailsPerIP; i++ {
			postForm(t, c, f.srv.URL+"/admin/login", url.Values{"_csrf": {tok}, "email": {"x" + string(rune('a'+i)) + "@example.org"}, "password": {"not the password"}})
		}
		other := "ip-" + strings.ReplaceAll(t.Name(), "/", "-") + "@example.org"
		addUser(t, st, other, auth.Admin)
		code, _, _ = postForm(t, c, f.srv.URL+"/admin/login", url.Values{"_csrf": {tok}, "email": {other}, "password": {testPassword}})
		if code != http.StatusTooManyRequests {
			t.Fatalf("per-IP throttle: %d", code)
		}
		// nothing personal in the throttle table
		n, err := st.LoginFailures(context.Background(), auth.ThrottleKey("acct", email), time.Now().Add(-time.Hour))
		if err != nil || n < int64(auth.MaxFailsPerAccount) {
			t.Errorf("failures counted: %d %v", n, err)
		}
	})
}

func TestCSRF(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	addUser(t, st, "admin@example.org", auth.Admin)
	c := browserClient(t)
	signIn(t, c, f.srv.URL, "admin@example.org")

	form := url.Values{"email": {"new@example.org"}, "role": {"organizer"}}
	// no token
	code, body, _ := postForm(t, c, f.srv.URL+"/admin/users", form)
	if code != 403 || !strings.Contains(body, "form expired") {
		t.Errorf("POST without CSRF token: %d", code)
	}
	// a forged token
	form.Set("_csrf", "forged-token-value")
	if code, _, _ := postForm(t, c, f.srv.URL+"/admin/users", form); code != 403 {
		t.Errorf("POST with a forged token: %d", code)
	}
	// a cross-site browser request is refused by Sec-Fetch-Site
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/admin/users", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("cross-site POST: %d", resp.StatusCode)
	}
	if u, err := st.UserByEmail(context.Background(), "new@example.org"); err == nil {
		t.Fatalf("a refused request created user %d", u.ID)
	}
	// the real token in the form, and in the header
	form.Set("_csrf", csrfFrom(t, c, f.srv.URL+"/admin/users"))
	if code, _, _ := postForm(t, c, f.srv.URL+"/admin/users", form); code != http.StatusCreated {
		t.Errorf("POST with the form token: %d", code)
	}
	req, _ = http.NewRequest(http.MethodPost, f.srv.URL+"/admin/tokens", strings.NewReader("name=header+token"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", csrfFrom(t, c, f.srv.URL+"/admin/tokens"))
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("POST with the header token: %d", resp.StatusCode)
	}
}

func TestFirstRunSetup(t *testing.T) {
	storetest.EachEmpty(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		code, err := f.server.EnsureSetupCode(context.Background())
		if err != nil || !strings.HasPrefix(code, auth.SetupPrefix) {
			t.Fatalf("setup code %q %v", code, err)
		}
		c := browserClient(t)
		if code, loc := status(t, c, f.srv.URL+"/admin/login"); code != http.StatusSeeOther || loc != "/admin/setup" {
			t.Fatalf("login with no accounts: %d %s", code, loc)
		}
		tok := csrfFrom(t, c, f.srv.URL+"/admin/setup")
		form := url.Values{"_csrf": {tok}, "code": {"setup-wrong"}, "email": {"first@example.org"}, "name": {"First"},
			"password": {testPassword}, "password_confirm": {testPassword}}
		st1, body, _ := postForm(t, c, f.srv.URL+"/admin/setup", form)
		if st1 != 422 || !strings.Contains(body, "setup code is not right") || !strings.Contains(body, `value="first@example.org"`) {
			t.Fatalf("wrong code: %d", st1)
		}
		if n, _ := st.CountUsers(context.Background()); n != 0 {
			t.Fatal("a refused setup created an account")
		}
		form.Set("code", code)
		form.Set("password_confirm", "something else entirely")
		if st2, body, _ := postForm(t, c, f.srv.URL+"/admin/setup", form); st2 != 422 || !strings.Contains(body, "not the same") {
			t.Fatalf("mismatched passwords: %d", st2)
		}
		form.Set("password_confirm", testPassword)
		st3, _, loc := postForm(t, c, f.srv.URL+"/admin/setup", form)
		if st3 != http.StatusSeeOther || loc != "/admin" {
			t.Fatalf("setup: %d %s", st3, loc)
		}
		if code, _ := status(t, c, f.srv.URL+"/admin/users"); code != 200 {
			t.Errorf("first admin cannot open users: %d", code)
		}
		// setup is closed now
		if code, loc := status(t, browserClient(t), f.srv.URL+"/admin/setup"); code != http.StatusSeeOther || loc != "/admin/login" {
			t.Errorf("setup after the first admin: %d %s", code, loc)
		}
		if again, _ := f.server.EnsureSetupCode(context.Background()); again != "" {
			t.Error("a setup code was issued with an account present")
		}
	})
}

func TestTokensAndAPIAuth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := staffServer(t, st, web.Deps{})
		email := "tok-" + strings.ReplaceAll(t.Name(), "/", "-") + "@example.org"
		addUser(t, st, email, auth.Organizer)
		c := browserClient(t)
		signIn(t, c, f.srv.URL, email)
		tok := csrfFrom(t, c, f.srv.URL+"/admin/tokens")
		code, body, _ := postForm(t, c, f.srv.URL+"/admin/tokens", url.Values{"_csrf": {tok}, "name": {"reporting"}})
		if code != http.StatusCreated {
			t.Fatalf("create token: %d", code)
		}
		i := strings.Index(body, auth.TokenPrefix)
		if i < 0 {
			t.Fatal("the new token is not shown")
		}
		secret := body[i : i+len(auth.TokenPrefix)+43]
		// shown once only
		if _, again := status(t, c, f.srv.URL+"/admin/tokens"); strings.Contains(again, secret) {
			t.Error("token shown again")
		}
		anon := &http.Client{}
		if code, body := do(t, anon, "GET", f.srv.URL+"/api/v1/me", secret, "", ""); code != 200 || !strings.Contains(body, `"role":"organizer"`) {
			t.Fatalf("/api/v1/me with token: %d %s", code, body)
		}
		if code, _ := do(t, anon, "GET", f.srv.URL+"/api/v1/audit", secret, "", ""); code != 403 {
			t.Errorf("organizer reading the audit API: %d", code)
		}
		if code, body := do(t, anon, "GET", f.srv.URL+"/api/v1/me", "otk_forged", "", ""); code != 401 || !strings.Contains(body, `"error"`) {
			t.Errorf("forged token: %d %s", code, body)
		}
		if code, _ := do(t, anon, "GET", f.srv.URL+"/api/v1/me", "", "", ""); code != 401 {
			t.Errorf("no token: %d", code)
		}
		toks, err := st.Tokens(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		for _, tk := range toks {
			if tk.Name == "reporting" && tk.RevokedAt == nil {
				id = tk.ID
			}
		}
		tok = csrfFrom(t, c, f.srv.URL+"/admin/tokens")
		// Unconfirmed: a page that says what stops working; the token still works.
		if code, body, _ := postForm(t, c, f.srv.URL+"/admin/tokens/"+itoa(id)+"/revoke", url.Values{"_csrf": {tok}}); code != http.StatusOK ||
			!strings.Contains(body, "Revoke this API token?") || !strings.Contains(body, "What will be lost") {
			t.Fatalf("unconfirmed revoke: %d", code)
		}
		if code, _ := do(t, anon, "GET", f.srv.URL+"/api/v1/me", secret, "", ""); code != 200 {
			t.Fatalf("token stopped working before the revocation was confirmed: %d", code)
		}
		if code, _, _ := postForm(t, c, f.srv.URL+"/admin/tokens/"+itoa(id)+"/revoke", url.Values{"_csrf": {tok}, "confirm": {"yes"}}); code != http.StatusSeeOther {
			t.Fatalf("revoke: %d", code)
		}
		if code, _ := do(t, anon, "GET", f.srv.URL+"/api/v1/me", secret, "", ""); code != 401 {
			t.Errorf("revoked token still works: %d", code)
		}
	})
}

func TestUserAdministration(t *testing.T) {
	st := storetest.SQLite(t)
	f := staffServer(t, st, web.Deps{})
	admin := addUser(t, st, "boss@example.org", auth.Admin)
	c := browserClient(t)
	signIn(t, c, f.srv.URL, "boss@example.org")

	tok := csrfFrom(t, c, f.srv.URL+"/admin/users")
	code, body, _ := postForm(t, c, f.srv.URL+"/admin/users", url.Values{"_csrf": {tok}, "email": {"not an email"}, "name": {"Bea"}, "role": {"organizer"}})
	if code != 422 || !strings.Contains(body, `value="not an email"`) || !strings.Contains(body, `value="Bea"`) {
		t.Errorf("bad email: %d, typed values must be kept", code)
	}
	code, _, _ = postForm(t, c, f.srv.URL+"/admin/users", url.Values{"_csrf": {tok}, "email": {"boss@example.org"}, "role": {"organizer"}})
	if code != http.StatusConflict {
		t.Errorf("duplicate email: %d", code)
	}
	// the last admin cannot demote themself
	code, body, _ = postForm(t, c, f.srv.URL+"/admin/users/"+itoa(admin.ID), url.Values{"_csrf": {tok}, "role": {"organizer"}})
	if code != 422 || !strings.Contains(body, "last active admin") {
		t.Errorf("demoting the last admin: %d", code)
	}
	// disabling a user ends their sessions
	bob := addUser(t, st, "bob@example.org", auth.Campaigner)
	cb := browserClient(t)
	signIn(t, cb, f.srv.URL, "bob@example.org")
	code, _, _ = postForm(t, c, f.srv.URL+"/admin/users/"+itoa(bob.ID), url.Values{"_csrf": {tok}, "role": {"campaigner"}, "disabled": {"on"}})
	if code != http.StatusSeeOther {
		t.Fatalf("disable: %d", code)
	}
	if code, _ := status(t, cb, f.srv.URL+"/admin"); code != http.StatusSeeOther {
		t.Errorf("disabled user still signed in: %d", code)
	}
	// the audit log recorded it all, without personal data
	entries, err := st.AuditLog(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, e := range entries {
		actions[e.Action] = true
		if strings.Contains(e.Detail, "@") {
			t.Errorf("audit detail holds an email: %+v", e)
		}
	}
	for _, a := range []string{"session.login", "user.update"} {
		if !actions[a] {
			t.Errorf("audit log lacks %s", a)
		}
	}
	if code, body := status(t, c, f.srv.URL+"/admin/audit"); code != 200 {
		t.Errorf("audit page: %d %s", code, body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
