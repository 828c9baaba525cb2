package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/geocode"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

var (
	dirOnce sync.Once
	dir     *congress.Directory
	dirErr  error
)

func directory(t testing.TB) *congress.Directory {
	t.Helper()
	dirOnce.Do(func() { dir, dirErr = congress.LoadEmbedded() })
	if dirErr != nil {
		t.Fatal(dirErr)
	}
	return dir
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	srv    *httptest.Server
	server *web.Server
	logs   *syncBuffer
}

func newServer(t *testing.T, deps web.Deps) *fixture {
	t.Helper()
	logs := &syncBuffer{}
	deps.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	deps.Congress = directory(t)
	if deps.DB == nil && deps.Store == nil {
		deps.DB = storetest.SQLite(t)
	}
	s, err := web.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &fixture{srv: ts, server: s, logs: logs}
}

func (f *fixture) get(t *testing.T, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

type apiAnswer struct {
	DataAsOf     string `json:"data_as_of"`
	ResolvedBy   string `json:"resolved_by"`
	Split        bool   `json:"split"`
	NeedsAddress bool   `json:"needs_address"`
	States       []string
	Districts    []struct {
		State    string `json:"state"`
		District int    `json:"district"`
	} `json:"districts"`
	Members []struct {
		BioguideID string `json:"bioguide_id"`
		Name       string `json:"name"`
		Chamber    string `json:"chamber"`
		State      string `json:"state"`
		District   *int   `json:"district"`
		Party      string `json:"party"`
		Phone      string `json:"phone"`
		URL        string `json:"url"`
		Title      string `json:"title"`
	} `json:"members"`
	Vacancies []struct {
		Chamber  string `json:"chamber"`
		State    string `json:"state"`
		District *int   `json:"district"`
	} `json:"vacancies"`
	Error string `json:"error"`
}

func (f *fixture) api(t *testing.T, query string) (int, apiAnswer, string) {
	t.Helper()
	resp, body := f.get(t, "/api/v1/representatives?"+query)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: content type %q", query, ct)
	}
	var a apiAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("%s: %v in %s", query, err, body)
	}
	return resp.StatusCode, a, body
}

func chambers(a apiAnswer) (house, senate int) {
	for _, m := range a.Members {
		if m.Chamber == "house" {
			house++
		} else {
			senate++
		}
	}
	return
}

func TestAPIRepresentatives(t *testing.T) {
	f := newServer(t, web.Deps{})
	d := directory(t)

	t.Run("single district", func(t *testing.T) {
		code, a, body := f.api(t, "zip=94110")
		if code != 200 || a.Split || len(a.Districts) != 1 || a.Districts[0].State != "CA" || a.Districts[0].District != 11 {
			t.Fatalf("code %d body %s", code, body)
		}
		if a.DataAsOf != d.AsOf() || a.DataAsOf == "" {
			t.Errorf("data_as_of = %q, want %q", a.DataAsOf, d.AsOf())
		}
		h, s := chambers(a)
		if h != 1 || s != 2 {
			t.Fatalf("house %d senate %d: %s", h, s, body)
		}
		if a.Members[0].Name != "Nancy Pelosi" || *a.Members[0].District != 11 {
			t.Errorf("representative = %+v", a.Members[0])
		}
		for _, m := range a.Members[1:] {
			if m.District != nil {
				t.Errorf("senator %s has district %d, want null", m.Name, *m.District)
			}
		}
		if !strings.Contains(body, `"district":null`) {
			t.Error("senators' district must be JSON null")
		}
	})
	t.Run("zip+4 and blanks", func(t *testing.T) {
		for _, q := range []string{"zip=94110-1234", "zip=941101234", "zip=+94110+"} {
			if code, a, _ := f.api(t, q); code != 200 || a.Districts[0].District != 11 {
				t.Errorf("%s: code %d %+v", q, code, a.Districts)
			}
		}
	})
	t.Run("split", func(t *testing.T) {
		code, a, body := f.api(t, "zip=91001")
		if code != 200 || !a.Split || len(a.Districts) != 5 {
			t.Fatalf("code %d body %s", code, body)
		}
		h, s := chambers(a)
		if h+len(a.Vacancies) != 5 || s != 2 {
			t.Errorf("house %d vacancies %d senate %d", h, len(a.Vacancies), s)
		}
		// settling it with a chosen district
		code, a, body = f.api(t, "zip=91001&district=CA-28")
		if code != 200 || a.Split || len(a.Districts) != 1 || a.Districts[0].District != 28 || a.ResolvedBy != "district" {
			t.Fatalf("choice: code %d body %s", code, body)
		}
		code, a, _ = f.api(t, "zip=91001&district=CA-12")
		if code != 400 || !strings.Contains(a.Error, "Choose one of the districts") {
			t.Errorf("non-candidate district: %d %q", code, a.Error)
		}
	})
	t.Run("cross-state", func(t *testing.T) {
		code, a, body := f.api(t, "zip=57717")
		if code != 200 {
			t.Fatalf("code %d", code)
		}
		if strings.Join(a.States, ",") != "MT,SD,WY" {
			t.Errorf("states = %v", a.States)
		}
		if _, s := chambers(a); s != 6 {
			t.Errorf("want six senators for three states, got %d: %s", s, body)
		}
	})
	t.Run("at-large", func(t *testing.T) {
		code, a, body := f.api(t, "zip=99501")
		if code != 200 || len(a.Districts) != 1 || a.Districts[0].State != "AK" || a.Districts[0].District != 0 {
			t.Fatalf("code %d body %s", code, body)
		}
		if h, s := chambers(a); h != 1 || s != 2 {
			t.Errorf("house %d senate %d", h, s)
		}
	})
	t.Run("territories", func(t *testing.T) {
		for zip, want := range map[string]string{"20001": "DC", "00802": "VI", "96910": "GU", "96799": "AS", "96950": "MP", "00901": "PR"} {
			code, a, body := f.api(t, "zip="+zip)
			if code != 200 {
				t.Fatalf("%s: code %d", zip, code)
			}
			h, s := chambers(a)
			if h != 1 || s != 0 || a.Members[0].State != want || len(a.Vacancies) != 0 {
				t.Errorf("%s: house %d senate %d vacancies %d: %s", zip, h, s, len(a.Vacancies), body)
			}
		}
		_, a, _ := f.api(t, "zip=20001")
		if a.Members[0].Title != "Delegate" {
			t.Errorf("DC title = %q", a.Members[0].Title)
		}
		_, a, _ = f.api(t, "zip=00901")
		if a.Members[0].Title != "Resident Commissioner" {
			t.Errorf("PR title = %q", a.Members[0].Title)
		}
	})
	t.Run("vacancy", func(t *testing.T) {
		code, a, body := f.api(t, "zip=94544")
		if code != 200 {
			t.Fatalf("code %d", code)
		}
		h, s := chambers(a)
		if h != 0 || s != 2 || len(a.Vacancies) != 1 || a.Vacancies[0].State != "CA" || *a.Vacancies[0].District != 14 || a.Vacancies[0].Chamber != "house" {
			t.Errorf("house %d senate %d: %s", h, s, body)
		}
	})
	t.Run("po box", func(t *testing.T) {
		code, a, body := f.api(t, "zip=12345")
		if code != 200 || !a.NeedsAddress || len(a.Districts) != 0 {
			t.Fatalf("code %d body %s", code, body)
		}
		if h, s := chambers(a); h != 0 || s != 2 || a.Members[0].State != "NY" {
			t.Errorf("want NY's senators only: %s", body)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for _, q := range []string{"zip=", "zip=abcde", "zip=1234", "zip=123456", "zip=94110-12", "", "zip=9411O", "lat=91&lon=0", "lat=abc&lon=1"} {
			code, a, body := f.api(t, q)
			if code != 400 || a.Error == "" || strings.Contains(strings.ToLower(a.Error), "internal") {
				t.Errorf("%q: code %d body %s", q, code, body)
			}
		}
	})
	t.Run("nobody lives there", func(t *testing.T) {
		for _, zip := range []string{"00000", "09001", "96201", "34001"} {
			code, a, body := f.api(t, "zip="+zip)
			if code != 404 || a.Error == "" {
				t.Errorf("%s: code %d body %s", zip, code, body)
			}
		}
		_, a, _ := f.api(t, "zip=09001")
		if !strings.Contains(a.Error, "Military") {
			t.Errorf("military message = %q", a.Error)
		}
	})
	t.Run("coordinates", func(t *testing.T) {
		code, a, body := f.api(t, "lat=37.7599&lon=-122.4148")
		if code != 200 || a.ResolvedBy != "point" || len(a.Districts) != 1 || a.Districts[0].District != 11 {
			t.Fatalf("code %d body %s", code, body)
		}
		code, _, _ = f.api(t, "lat=0&lon=-30")
		if code != 404 {
			t.Errorf("mid-Atlantic point: code %d, want 404", code)
		}
	})
	t.Run("address without geocoder", func(t *testing.T) {
		code, a, body := f.api(t, "address="+url.QueryEscape("3200 24th St, San Francisco, CA 94110"))
		if code != 200 || a.ResolvedBy != "zip" || a.Districts[0].District != 11 {
			t.Fatalf("code %d body %s", code, body)
		}
		code, a, _ = f.api(t, "address="+url.QueryEscape("3200 24th Street San Francisco"))
		if code != 422 || !strings.Contains(a.Error, "ZIP") {
			t.Errorf("no ZIP, no geocoder: code %d %q", code, a.Error)
		}
	})
}

// censusFake speaks the Census geocoder's wire format from the fixtures the
// geocode package's tests use.
func censusFake(t *testing.T, fixture string, status int) *httptest.Server {
	t.Helper()
	body, err := os.ReadFile("../geocode/testdata/" + fixture)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/geographies/") || r.URL.Query().Get("format") != "json" {
			http.Error(w, "bad request", 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestAPIAddressWithGeocoder(t *testing.T) {
	ents, err := os.ReadDir("../geocode/testdata")
	if err != nil {
		t.Fatal(err)
	}
	var match, none string
	for _, e := range ents {
		n := e.Name()
		switch {
		case strings.Contains(n, "ca11") || (match == "" && strings.Contains(n, "oneline")):
			match = n
		case strings.Contains(n, "nomatch") || strings.Contains(n, "no_match") || strings.Contains(n, "no-match"):
			none = n
		}
	}
	if match == "" || none == "" {
		t.Fatalf("fixtures not found in ../geocode/testdata: %v", ents)
	}
	gc := geocode.New(geocode.Config{BaseURL: censusFake(t, match, 200).URL}, nil)
	f := newServer(t, web.Deps{Geocoder: gc})
	code, a, body := f.api(t, "address="+url.QueryEscape("3200 24th St, San Francisco, CA 94110"))
	if code != 200 || a.ResolvedBy != "address" || len(a.Districts) != 1 || a.Districts[0].State != "CA" {
		t.Fatalf("code %d body %s", code, body)
	}

	gc = geocode.New(geocode.Config{BaseURL: censusFake(t, none, 200).URL}, nil)
	f = newServer(t, web.Deps{Geocoder: gc})
	code, a, _ = f.api(t, "address="+url.QueryEscape("1 Nowhere Lane, Faketown"))
	if code != 404 || !strings.Contains(a.Error, "could not find that street address") {
		t.Errorf("no match: code %d %q", code, a.Error)
	}

	gc = geocode.New(geocode.Config{BaseURL: censusFake(t, match, 503).URL}, nil)
	f = newServer(t, web.Deps{Geocoder: gc})
	code, a, _ = f.api(t, "address="+url.QueryEscape("1 Main St, Springfield"))
	if code != 503 || !strings.Contains(a.Error, "not answering") {
		t.Errorf("geocoder down: code %d %q", code, a.Error)
	}
	// down, but the address carries a ZIP: answered offline
	code, a, _ = f.api(t, "address="+url.QueryEscape("3200 24th St, San Francisco, CA 94110"))
	if code != 200 || a.Districts[0].District != 11 {
		t.Errorf("geocoder down with ZIP: code %d %+v", code, a.Districts)
	}
}

func TestLookupPage(t *testing.T) {
	f := newServer(t, web.Deps{})

	resp, body := f.get(t, "/")
	if resp.StatusCode != 200 || !strings.Contains(body, `<label for="q">`) || !strings.Contains(body, `lang="en"`) {
		t.Fatalf("home: %d", resp.StatusCode)
	}
	_, body = f.get(t, "/?q=94110")
	for _, want := range []string{"Nancy Pelosi", "Alex Padilla", `href="tel:&#43;12022254965"`, "California district 11", "2026-06-15"} {
		if !strings.Contains(body, want) {
			t.Errorf("results page lacks %q", want)
		}
	}
	if n := strings.Count(body, `class="member"`); n != 3 {
		t.Errorf("%d members on the page, want 3", n)
	}

	// Spanish, by Accept-Language and by choice (remembered in a cookie)
	_, body = f.get(t, "/?q=94110", "Accept-Language", "es-MX,es;q=0.9")
	if !strings.Contains(body, `lang="es"`) || !strings.Contains(body, "Senado") || !strings.Contains(body, "Demócrata") {
		t.Error("Accept-Language: es did not give a Spanish page")
	}
	resp, body = f.get(t, "/?lang=es")
	if !strings.Contains(body, "Encuentre a sus miembros del Congreso") {
		t.Error("?lang=es did not give a Spanish page")
	}
	var langCookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "lang" {
			langCookie = c
		}
	}
	if langCookie == nil || langCookie.Value != "es" {
		t.Fatal("language choice not remembered")
	}
	_, body = f.get(t, "/", "Cookie", "lang=es", "Accept-Language", "en")
	if !strings.Contains(body, `lang="es"`) {
		t.Error("cookie should beat Accept-Language")
	}

	// bad input: clear message, typed value kept, right status
	resp, body = f.get(t, "/?q="+url.QueryEscape("9411<b>x"))
	if resp.StatusCode != 400 || !strings.Contains(body, "Enter a 5-digit ZIP code") || !strings.Contains(body, `value="9411&lt;b&gt;x"`) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("invalid ZIP page: %d", resp.StatusCode)
	}
	resp, body = f.get(t, "/?q=00000")
	if resp.StatusCode != 404 || !strings.Contains(body, "00000") {
		t.Errorf("unknown ZIP page: %d", resp.StatusCode)
	}

	// split: candidates to choose from, and the choice
	_, body = f.get(t, "/?q=91001")
	if !strings.Contains(body, "split between 5 congressional districts") || strings.Count(body, `type="radio"`) != 5 {
		t.Error("split ZIP page lacks the district chooser")
	}
	_, body = f.get(t, "/?q=91001&district=CA-28")
	if strings.Count(body, `class="member"`) != 3 || strings.Contains(body, `type="radio"`) {
		t.Error("choosing a district should show three members")
	}

	// vacancy and PO box
	_, body = f.get(t, "/?q=94544")
	if !strings.Contains(body, "is vacant") {
		t.Error("vacant seat not explained")
	}
	_, body = f.get(t, "/?q=12345")
	if !strings.Contains(body, "PO boxes") {
		t.Error("PO-box ZIP not explained")
	}
}

func TestHeadersErrorsAndLogs(t *testing.T) {
	f := newServer(t, web.Deps{})
	resp, _ := f.get(t, "/?q=94110")
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
		"X-Frame-Options":         "DENY",
	} {
		if got := resp.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", h, got, want)
		}
	}
	resp, body := f.get(t, "/no/such/page")
	if resp.StatusCode != 404 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "could not find that page") {
		t.Errorf("HTML 404: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, body = f.get(t, "/api/v1/nothing")
	if resp.StatusCode != 404 || !strings.HasPrefix(body, `{"error":`) {
		t.Errorf("JSON 404: %d %s", resp.StatusCode, body)
	}
	resp, _ = f.get(t, "/static/style.css")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("static css: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, _ = f.get(t, "/static/../go.mod")
	if resp.StatusCode != 404 {
		t.Errorf("path traversal: %d", resp.StatusCode)
	}

	// body limit
	big := strings.NewReader(strings.Repeat("x", 2<<20))
	r, err := http.Post(f.srv.URL+"/api/v1/representatives", "text/plain", big)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB body: %d, want 413", r.StatusCode)
	}

	// the request log names routes, never the ZIP or address looked up
	f.get(t, "/api/v1/representatives?address="+url.QueryEscape("742 Evergreen Terrace 97403"))
	logs := f.logs.String()
	if !strings.Contains(logs, "route=/api/v1/representatives") {
		t.Errorf("request not logged: %s", logs)
	}
	for _, secret := range []string{"94110", "Evergreen", "97403"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains looked-up data %q", secret)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newServer(t, web.Deps{DB: s})
		if resp, _ := f.get(t, "/healthz"); resp.StatusCode != 200 {
			t.Errorf("healthz %d", resp.StatusCode)
		}
		if resp, _ := f.get(t, "/readyz"); resp.StatusCode != 200 {
			t.Errorf("readyz %d", resp.StatusCode)
		}
	})
	f := newServer(t, web.Deps{DB: downDB{}})
	if resp, body := f.get(t, "/readyz"); resp.StatusCode != 503 || !strings.Contains(body, "not reachable") {
		t.Errorf("readyz with the database down: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.get(t, "/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz must not depend on the database")
	}
}

type downDB struct{}

func (downDB) Ping(context.Context) error { return context.DeadlineExceeded }

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
