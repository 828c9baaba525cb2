package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestCachedPagesHoldNoStaff: public pages rendered once and served to
// many (the campaign page) never carry the signed-in staff member who
// happened to load them first.
func TestCachedPagesHoldNoStaff(t *testing.T) {
	st := storetest.SQLite(t)
	slug := unique("cache")
	a := newActionServer(t, st, slug, campaign.Live)
	email := unique("staff") + "@example.org"
	addUser(t, st, email, auth.Admin)
	staff := browserClient(t)
	signIn(t, staff, a.srv.URL, email)
	for _, path := range []string{"/c/" + slug, "/stats", "/?q=94110"} {
		if code, _ := getPage(t, staff, a.srv.URL+path); code != 200 {
			t.Fatalf("%s as staff: %d", path, code)
		}
		anon := browserClient(t)
		code, page := getPage(t, anon, a.srv.URL+path)
		if code != 200 || strings.Contains(page, email) || strings.Contains(page, "/admin/logout") {
			t.Errorf("%s: an anonymous visitor got the page rendered for the staff member (%d)", path, code)
		}
	}
}

// TestStatsPageShowsANewReleaseAtOnce: /stats is rendered once per
// release, so a new release is on the page at the next request.
func TestStatsPageShowsANewReleaseAtOnce(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, unique("rel"), campaign.Live) // publishes the demonstration release
	c := browserClient(t)
	for _, lang := range []string{"en", "es"} {
		if _, page := getPage(t, c, a.srv.URL+"/stats?lang="+lang); !strings.Contains(page, "1, publi") {
			t.Fatalf("/stats?lang=%s does not show release 1", lang)
		}
	}
	// The demonstration records give way to real ones, and staff publish.
	if _, err := st.DeleteSyntheticCases(t.Context(), store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateCases(t.Context(), slices.Values(someCases(3000, 3)), store.ImportOptions{}, store.Audit{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	tok := bearer(t, st, addUser(t, st, unique("pub")+"@example.org", auth.Admin))
	code, body := do(t, c, "POST", a.srv.URL+"/api/v1/stats/releases", tok, "application/json", `{}`)
	var rel struct {
		ID int64 `json:"release_id"`
	}
	if err := json.Unmarshal([]byte(body), &rel); err != nil || code != 201 {
		t.Fatalf("publish: %d %s", code, body)
	}
	want := fmt.Sprintf("%d, publi", rel.ID)
	for _, lang := range []string{"en", "es"} {
		if _, page := getPage(t, c, a.srv.URL+"/stats?lang="+lang); !strings.Contains(page, want) {
			t.Errorf("/stats?lang=%s still shows the old release after release %d", lang, rel.ID)
		}
	}
}

// TestWarm: before a server takes traffic, Warm opens the database pool
// and renders the pages served to many, in both languages.
func TestWarm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newActionServer(t, st, unique("warm"), campaign.Live)
		pages, err := a.server.Warm(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		live := 0
		camps, _ := st.Campaigns(t.Context())
		for _, c := range camps {
			if c.Status == campaign.Live {
				live++
			}
		}
		// /stats, a lookup and every live campaign, in English and Spanish.
		if want := 2 * (2 + live); pages != want {
			t.Errorf("warmed %d pages, want %d\n%s", pages, want, a.logs.String())
		}
		stats := st.DB().Stats()
		if stats.OpenConnections != stats.MaxOpenConnections {
			t.Errorf("%d of %d database connections open after warming", stats.OpenConnections, stats.MaxOpenConnections)
		}
	})
}

// TestStaffPagesSayEnglish: staff pages are written in English, so they
// say lang="en" even to a visitor whose language is Spanish.
func TestStaffPagesSayEnglish(t *testing.T) {
	st := storetest.SQLite(t)
	a := newActionServer(t, st, unique("lang"), campaign.Live)
	email := unique("es-staff") + "@example.org"
	addUser(t, st, email, auth.Admin)
	c := browserClient(t)
	if code, _ := getPage(t, c, a.srv.URL+"/?lang=es"); code != 200 { // the Spanish cookie
		t.Fatalf("lookup: %d", code)
	}
	signIn(t, c, a.srv.URL, email)
	for _, path := range []string{"/admin", "/admin/campaigns", "/admin/cases"} {
		if code, page := getPage(t, c, a.srv.URL+path); code != 200 || !strings.Contains(page, `<html lang="en">`) {
			t.Errorf("%s: %d, not marked English", path, code)
		}
	}
	if _, page := getPage(t, c, a.srv.URL+"/stats"); !strings.Contains(page, `<html lang="es">`) {
		t.Error("the public page lost the visitor's Spanish")
	}
}

// TestCachedPagesCarryTheirLength: a kept page is sent with its
// Content-Length (the bytes after the visitor's CSRF token is put in),
// not chunked, which is what lets /stats run near the hello-world
// ceiling of the Performance table.
func TestCachedPagesCarryTheirLength(t *testing.T) {
	st := storetest.SQLite(t)
	slug := unique("len")
	a := newActionServer(t, st, slug, campaign.Live)
	c := browserClient(t)
	for _, path := range []string{"/c/" + slug, "/stats", "/?q=94110", "/stats?lang=es", "/c/" + slug + "?lang=es"} {
		for range 2 { // rendered, then kept
			resp, err := c.Get(a.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
			}
			if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) != 0 {
				t.Errorf("%s: Content-Length %d, transfer encoding %v, body %d bytes", path, resp.ContentLength, resp.TransferEncoding, len(body))
			}
		}
	}
}
