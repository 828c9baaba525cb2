package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// Attack tests send each request "from" an address of their own, through
// a proxy the server trusts (X-Forwarded-For), so per-IP limits are real
// and no test shares 127.0.0.1's counters with another.

type fromIP struct {
	ip, lang string
}

func (f fromIP) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	if f.lang != "" {
		r.Header.Set("Accept-Language", f.lang)
	}
	return attackTransport.RoundTrip(r)
}

// attackTransport keeps connections for reuse between the waves of
// parallel requests.
var attackTransport = &http.Transport{MaxIdleConnsPerHost: 600, IdleConnTimeout: 30 * time.Second}

// clientFrom is a browser at ip sharing jar (its CSRF cookie and session).
func clientFrom(jar http.CookieJar, ip, lang string) *http.Client {
	return &http.Client{Jar: jar, Transport: fromIP{ip: ip, lang: lang},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func newJar(t testing.TB) http.CookieJar {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}

// attackServer is a staff server behind a trusted local proxy, with h
// running its password checks.
func attackServer(t *testing.T, st *store.Store, h *auth.Hasher) *staffFixture {
	_, loopback, _ := net.ParseCIDR("127.0.0.1/32")
	return staffServer(t, st, web.Deps{Hasher: h, TrustedProxies: []*net.IPNet{loopback}})
}

type answer struct {
	code             int
	body, retryAfter string
}

func post(c *http.Client, u string, form url.Values) (answer, error) {
	resp, err := c.PostForm(u, form)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{code: resp.StatusCode, body: string(b), retryAfter: resp.Header.Get("Retry-After")}, err
}

// parallel runs n requests at once (released together) and returns their
// answers.
func parallel(t *testing.T, n int, req func(i int) (answer, error)) []answer {
	t.Helper()
	out := make([]answer, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], errs[i] = req(i)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func statuses(as []answer) map[int]int {
	m := map[int]int{}
	for _, a := range as {
		m[a.code]++
	}
	return m
}

// TestSignInParallelAttack: 150 parallel wrong passwords for one account
// (each from its own address) check at most 5 passwords, and 100 parallel
// attempts from one address (at 100 accounts) at most 20: attempts are
// reserved before the hash is checked. Counting first and recording after
// the check let 102 and 94 through.
func TestSignInParallelAttack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := auth.NewHasher(4, time.Minute) // a long wait: every refusal here is the throttle's
		f := attackServer(t, st, h)
		email := "victim-" + strings.ReplaceAll(t.Name(), "/", "-") + "@example.org"
		addUser(t, st, email, auth.Admin)
		jar := newJar(t)
		tok := csrfFrom(t, clientFrom(jar, "192.0.2.1", ""), f.srv.URL+"/admin/login")

		as := parallel(t, 150, func(i int) (answer, error) {
			return post(clientFrom(jar, fmt.Sprintf("10.1.%d.%d", i/200, i%200+1), ""), f.srv.URL+"/admin/login",
				url.Values{"_csrf": {tok}, "email": {email}, "password": {fmt.Sprintf("wrong password %03d", i)}})
		})
		checked := h.Stats().Evaluations
		if checked > auth.MaxFailsPerAccount {
			t.Errorf("150 parallel wrong passwords for one account: %d checked, limit %d", checked, auth.MaxFailsPerAccount)
		}
		got := statuses(as)
		if int64(got[http.StatusUnauthorized]) != checked || got[http.StatusTooManyRequests] != 150-int(checked) {
			t.Errorf("answers %v for %d checks", got, checked)
		}
		for _, a := range as {
			if a.code == http.StatusTooManyRequests {
				if a.retryAfter != "900" || !strings.Contains(a.body, "Too many failed sign-in attempts") || !strings.Contains(a.body, `value="`+email+`"`) {
					t.Fatalf("throttled answer: Retry-After %q, body without the message or the typed email", a.retryAfter)
				}
				break
			}
		}
		// The right password is refused too now, without a check.
		a, err := post(clientFrom(jar, "192.0.2.99", ""), f.srv.URL+"/admin/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {testPassword}})
		if err != nil || a.code != http.StatusTooManyRequests || h.Stats().Evaluations != checked {
			t.Fatalf("the right password after the attack: %d %v (%d checks)", a.code, err, h.Stats().Evaluations)
		}

		// One address, 100 accounts (that do not exist: the dummy check
		// costs the same).
		before := h.Stats().Evaluations
		as = parallel(t, 100, func(i int) (answer, error) {
			return post(clientFrom(jar, "192.0.2.77", ""), f.srv.URL+"/admin/login",
				url.Values{"_csrf": {tok}, "email": {fmt.Sprintf("nobody%d@example.org", i)}, "password": {"wrong password here"}})
		})
		checked = h.Stats().Evaluations - before
		if checked > auth.MaxFailsPerIP {
			t.Errorf("100 parallel attempts from one address: %d checked, limit %d", checked, auth.MaxFailsPerIP)
		}
		if got := statuses(as); int64(got[http.StatusUnauthorized]) != checked || got[http.StatusTooManyRequests] != 100-int(checked) {
			t.Errorf("answers %v for %d checks", got, checked)
		}
	})
}

// TestSignInMemoryBounded: 500 parallel sign-ins, each from its own
// address (so no throttle stops them), never run more argon2id checks at
// once than the hasher's slots, and the heap stays within a generous
// bound (without the bound they would hold 500 x 19 MiB). Those that find
// every slot busy for the whole wait get 429 with Retry-After.
func TestSignInMemoryBounded(t *testing.T) {
	st := storetest.SQLite(t)
	h := auth.NewHasher(0, 0) // the defaults serve uses: 4 slots, 2 s wait
	f := attackServer(t, st, h)
	addUser(t, st, "staff0@example.org", auth.Admin)
	jar := newJar(t)
	tok := csrfFrom(t, clientFrom(jar, "192.0.2.1", ""), f.srv.URL+"/admin/login")

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	const n = 500
	as := parallel(t, n, func(i int) (answer, error) {
		return post(clientFrom(jar, fmt.Sprintf("10.2.%d.%d", i/200, i%200+1), ""), f.srv.URL+"/admin/login",
			url.Values{"_csrf": {tok}, "email": {fmt.Sprintf("staff%d@example.org", i)}, "password": {"a wrong password"}})
	})
	close(done)
	<-sampled

	s := h.Stats()
	t.Logf("500 parallel sign-ins: %d checked, %d busy, peak %d at once, heap peak %d MiB over %d MiB", s.Evaluations, s.Busy, s.Peak,
		(peak.Load()-min(base, peak.Load()))>>20, base>>20)
	if s.Peak > int64(h.Slots()) {
		t.Errorf("%d password checks ran at once, bound %d", s.Peak, h.Slots())
	}
	if s.Evaluations+s.Busy != n {
		t.Errorf("%d checked + %d busy != %d requests", s.Evaluations, s.Busy, n)
	}
	got := statuses(as)
	if int64(got[http.StatusUnauthorized]) != s.Evaluations || int64(got[http.StatusTooManyRequests]) != s.Busy {
		t.Errorf("answers %v for %+v", got, s)
	}
	for _, a := range as {
		if a.code == http.StatusTooManyRequests && (a.retryAfter != "5" || !strings.Contains(a.body, "Many sign-ins are being checked right now")) {
			t.Fatalf("busy answer: Retry-After %q", a.retryAfter)
		}
	}
	// 4 slots of 19 MiB are about 76 MiB; allow for garbage not yet
	// collected. 500 unbounded checks take several GiB.
	const bound = 400 << 20
	if grown := peak.Load() - min(base, peak.Load()); grown > bound {
		t.Errorf("heap grew by %d MiB during 500 parallel sign-ins (bound %d MiB)", grown>>20, bound>>20)
	}
}

// TestSignInBusyAnswer: with every hashing slot taken, sign-in and the
// account page answer 429 with Retry-After and a message in the reader's
// language, keep the typed email, and give the attempt back (it was never
// checked).
func TestSignInBusyAnswer(t *testing.T) {
	st := storetest.SQLite(t)
	h := auth.NewHasher(1, 50*time.Millisecond)
	f := attackServer(t, st, h)
	addUser(t, st, "busy@example.org", auth.Admin)
	jar := newJar(t)
	en := clientFrom(jar, "192.0.2.5", "en")
	signIn(t, en, f.srv.URL, "busy@example.org")
	accountTok := csrfFrom(t, en, f.srv.URL+"/admin/account")
	usersTok := csrfFrom(t, en, f.srv.URL+"/admin/users")
	later := newJar(t)
	tok := csrfFrom(t, clientFrom(later, "192.0.2.5", ""), f.srv.URL+"/admin/login")

	release, err := h.Hold(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, want string }{
		{"en", "Many sign-ins are being checked right now"},
		{"es", "En este momento se están comprobando muchos inicios de sesión"},
	} {
		c := clientFrom(newJar(t), "192.0.2.6", tc.lang)
		tok := csrfFrom(t, c, f.srv.URL+"/admin/login")
		a, err := post(c, f.srv.URL+"/admin/login", url.Values{"_csrf": {tok}, "email": {"busy@example.org"}, "password": {testPassword}})
		if err != nil || a.code != http.StatusTooManyRequests || a.retryAfter != "5" || !strings.Contains(a.body, tc.want) ||
			!strings.Contains(a.body, `value="busy@example.org"`) {
			t.Fatalf("%s sign-in while busy: %d Retry-After %q %v", tc.lang, a.code, a.retryAfter, err)
		}
	}
	a, err := post(en, f.srv.URL+"/admin/account/password", url.Values{"_csrf": {accountTok}, "current_password": {testPassword},
		"password": {"a brand new password"}, "password_confirm": {"a brand new password"}})
	if err != nil || a.code != http.StatusTooManyRequests || a.retryAfter != "5" || !strings.Contains(a.body, "Many sign-ins are being checked") {
		t.Fatalf("account page while busy: %d %q %v", a.code, a.retryAfter, err)
	}
	// New passwords are hashed in the slots too (an admin adding a user).
	a, err = post(en, f.srv.URL+"/admin/users", url.Values{"_csrf": {usersTok}, "email": {"new@example.org"}, "role": {"organizer"}})
	if err != nil || a.code != http.StatusTooManyRequests || a.retryAfter != "5" {
		t.Fatalf("adding a user while busy: %d %q %v", a.code, a.retryAfter, err)
	}
	if _, err := st.UserByEmail(context.Background(), "new@example.org"); err == nil {
		t.Fatal("a user was added without a password hash slot")
	}
	release()
	// Busy answers did not count as failures.
	for _, key := range []string{auth.ThrottleKey("acct", "busy@example.org"), auth.ThrottleKey("ip", "192.0.2.6")} {
		if n, err := st.LoginFailures(context.Background(), key, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Errorf("busy answers left %d attempts under %s (%v)", n, key[:5], err)
		}
	}
	if s := h.Stats(); s.Busy != 4 || s.Evaluations != 1 {
		t.Errorf("stats %+v: want 4 busy and only the first sign-in checked", s)
	}
	a, err = post(clientFrom(later, "192.0.2.5", ""), f.srv.URL+"/admin/login", url.Values{"_csrf": {tok}, "email": {"busy@example.org"}, "password": {testPassword}})
	if err != nil || a.code != http.StatusSeeOther {
		t.Fatalf("sign-in after the slots free up: %d %v", a.code, err)
	}
}

// TestAccountPasswordThrottled: the current-password check on the account
// page is throttled like sign-in: 30 parallel wrong current passwords check
// at most 5, after which even the right one is refused with 429.
func TestAccountPasswordThrottled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := auth.NewHasher(4, time.Minute)
		f := attackServer(t, st, h)
		email := "acct-" + strings.ReplaceAll(t.Name(), "/", "-") + "@example.org"
		acct := addUser(t, st, email, auth.Campaigner)
		jar := newJar(t)
		c := clientFrom(jar, "192.0.2.20", "")
		signIn(t, c, f.srv.URL, email)
		tok := csrfFrom(t, c, f.srv.URL+"/admin/account")
		before := h.Stats().Evaluations
		as := parallel(t, 30, func(i int) (answer, error) {
			return post(clientFrom(jar, fmt.Sprintf("10.3.0.%d", i+1), ""), f.srv.URL+"/admin/account/password", url.Values{"_csrf": {tok},
				"current_password": {fmt.Sprintf("guess number %03d", i)}, "password": {"a brand new password"}, "password_confirm": {"a brand new password"}})
		})
		checked := h.Stats().Evaluations - before
		if checked > auth.MaxFailsPerAccount {
			t.Errorf("30 parallel guesses of the current password: %d checked, limit %d", checked, auth.MaxFailsPerAccount)
		}
		if got := statuses(as); int64(got[http.StatusUnprocessableEntity]) != checked || got[http.StatusTooManyRequests] != 30-int(checked) {
			t.Errorf("answers %v for %d checks", got, checked)
		}
		a, err := post(c, f.srv.URL+"/admin/account/password", url.Values{"_csrf": {tok}, "current_password": {testPassword},
			"password": {"a brand new password"}, "password_confirm": {"a brand new password"}})
		if err != nil || a.code != http.StatusTooManyRequests || a.retryAfter != "900" || !strings.Contains(a.body, "Too many failed sign-in attempts") {
			t.Fatalf("the right current password after 30 guesses: %d %q %v", a.code, a.retryAfter, err)
		}
		u, err := st.UserByID(context.Background(), acct.ID)
		if err != nil || !auth.VerifyPassword(u.PasswordHash, testPassword) {
			t.Fatalf("the password changed under throttling: %v", err)
		}
	})
}

// TestSetupCodeOfEveryReplica: two processes starting on one empty
// database each print a setup code, and the first one's still works (it
// used to be overwritten). Setup codes are throttled per address like
// passwords, reserved before the comparison.
func TestSetupCodeOfEveryReplica(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			st := storetest.Unmigrated(t, d)
			if _, err := st.Migrate(context.Background(), slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			a := attackServer(t, st, nil)
			b := attackServer(t, st, nil)
			codeA, err := a.server.EnsureSetupCode(context.Background())
			if err != nil || codeA == "" {
				t.Fatal(codeA, err)
			}
			codeB, err := b.server.EnsureSetupCode(context.Background())
			if err != nil || codeB == "" || codeB == codeA {
				t.Fatal(codeB, err)
			}

			jar := newJar(t)
			tok := csrfFrom(t, clientFrom(jar, "192.0.2.30", ""), b.srv.URL+"/admin/setup")
			form := func(code string) url.Values {
				return url.Values{"_csrf": {tok}, "code": {code}, "email": {"first@example.org"}, "name": {"First"},
					"password": {testPassword}, "password_confirm": {testPassword}}
			}
			as := parallel(t, 30, func(i int) (answer, error) {
				return post(clientFrom(jar, "192.0.2.30", ""), b.srv.URL+"/admin/setup", form(fmt.Sprintf("setup-guess%03d", i)))
			})
			if got := statuses(as); got[http.StatusUnprocessableEntity] > auth.MaxFailsPerAccount || got[http.StatusTooManyRequests] < 30-auth.MaxFailsPerAccount {
				t.Errorf("30 parallel setup-code guesses from one address: %v, at most %d may be compared", got, auth.MaxFailsPerAccount)
			}
			if a, _ := post(clientFrom(jar, "192.0.2.30", ""), b.srv.URL+"/admin/setup", form(codeA)); a.code != http.StatusTooManyRequests || a.retryAfter == "" {
				t.Errorf("the right code from the throttled address: %d", a.code)
			}
			// Server A's code, sent to server B from another address.
			ans, err := post(clientFrom(jar, "192.0.2.31", ""), b.srv.URL+"/admin/setup", form(codeA))
			if err != nil || ans.code != http.StatusSeeOther {
				t.Fatalf("the first replica's setup code after the second started: %d %v", ans.code, err)
			}
			if n, _ := st.CountUsers(context.Background()); n != 1 {
				t.Fatalf("%d users", n)
			}
			if again, _ := a.server.EnsureSetupCode(context.Background()); again != "" {
				t.Error("a setup code was issued with an admin present")
			}
		})
	}
}
