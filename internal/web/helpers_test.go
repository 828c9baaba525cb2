package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
)

// staffFixture is a server with a real store, for tests of staff features.
type staffFixture struct {
	*fixture
	store *store.Store
}

// testPassword is long enough for the policy.
const testPassword = "correct horse battery staple"

// addUser creates a staff account directly in the store.
func addUser(t testing.TB, st *store.Store, email string, role auth.Role) auth.User {
	t.Helper()
	hash, err := auth.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	email, err = auth.NormalizeEmail(email)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(context.Background(), auth.User{Email: email, Role: role, PasswordHash: hash}, store.Audit{Action: "test.user"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// bearer issues an API token for u and returns the secret.
func bearer(t testing.TB, st *store.Store, u auth.User) string {
	t.Helper()
	secret, prefix, hash, err := auth.NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateToken(context.Background(), u.ID, "test", prefix, hash, store.Audit{Action: "test.token"}); err != nil {
		t.Fatal(err)
	}
	return secret
}

// browserClient is an HTTP client with a cookie jar that does not follow
// redirects, so tests see them.
func browserClient(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrfFrom fetches a page and returns the CSRF token of its first form.
func csrfFrom(t testing.TB, c *http.Client, pageURL string) string {
	t.Helper()
	resp, err := c.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no _csrf field on %s (status %d)", pageURL, resp.StatusCode)
	}
	return string(m[1])
}

// postForm posts a form with the CSRF token and returns status, body and
// the Location header.
func postForm(t testing.TB, c *http.Client, u string, form url.Values) (int, string, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// signIn logs c in as email through the real login form.
func signIn(t testing.TB, c *http.Client, base, email string) {
	t.Helper()
	tok := csrfFrom(t, c, base+"/admin/login")
	code, body, loc := postForm(t, c, base+"/admin/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {testPassword}})
	if code != http.StatusSeeOther || loc != "/admin" {
		t.Fatalf("sign in as %s: %d %s %s", email, code, loc, body)
	}
}

// do sends a request with an optional bearer token and body.
func do(t testing.TB, c *http.Client, method, u, token, contentType, body string) (int, string) {
	t.Helper()
	code, b, _ := doCT(t, c, method, u, token, contentType, body)
	return code, b
}
