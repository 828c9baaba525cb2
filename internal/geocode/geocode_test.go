package geocode

import (
	"context"
	"errors"
	"fmt"
	"github.com/outreach-org/outreach/internal/usstate"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCensus is an httptest server that answers like the Census geocoder
// with a fixed status and body, and records the requests it saw.
type fakeCensus struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newFakeCensus(t *testing.T, status int, body []byte) *fakeCensus {
	t.Helper()
	f := &fakeCensus{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reqs = append(f.reqs, r.Clone(context.Background()))
		f.mu.Unlock()
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeCensus) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

func (f *fakeCensus) onlyRequest(t *testing.T) *http.Request {
	t.Helper()
	rs := f.requests()
	if len(rs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(rs))
	}
	return rs[0]
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func clientFor(f *fakeCensus, cfg Config) *Client {
	cfg.BaseURL = f.URL + "/geocoder"
	return New(cfg, nil)
}

// wantQuery checks that q has exactly the given keys and values.
func wantQuery(t *testing.T, q url.Values, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("query %q = %q, want %q", k, got, v)
		}
	}
	for k := range q {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected query parameter %q=%q", k, q.Get(k))
		}
	}
}

// noPII fails if any part of the address appears in the error text.
func noPII(t *testing.T, err error, a Address) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, s := range []string{a.Street, a.City, a.ZIP, url.QueryEscape(a.Street)} {
		if len(s) >= 3 && strings.Contains(msg, s) {
			t.Errorf("error text contains address part %q: %s", s, msg)
		}
	}
}

func TestLookupOneLineWithDistrict(t *testing.T) {
	f := newFakeCensus(t, http.StatusOK, fixture(t, "oneline_ca11.json"))
	c := clientFor(f, Config{})
	a := Address{Street: "1 Dr Carlton B Goodlett Pl, San Francisco, CA 94102"}

	m, err := c.Lookup(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	want := Match{
		MatchedAddress: "1 DR CARLTON B GOODLETT PL, SAN FRANCISCO, CA, 94102",
		Lat:            37.779273454393,
		Lon:            -122.41917229227,
		StateFIPS:      "06",
		StateAbbr:      "CA",
		District:       11,
		HasDistrict:    true,
		Candidates:     1,
	}
	if m != want {
		t.Errorf("got  %+v\nwant %+v", m, want)
	}

	r := f.onlyRequest(t)
	if r.URL.Path != "/geocoder/geographies/onelineaddress" {
		t.Errorf("path = %q", r.URL.Path)
	}
	wantQuery(t, r.URL.Query(), map[string]string{
		"address":   a.Street,
		"benchmark": "Public_AR_Current",
		"vintage":   "Current_Current",
		"layers":    "54",
		"format":    "json",
	})
}

func TestLookupStructuredAtLarge(t *testing.T) {
	f := newFakeCensus(t, http.StatusOK, fixture(t, "address_ak_atlarge.json"))
	c := clientFor(f, Config{})
	a := Address{Street: " 120 4th  St ", City: "Juneau", State: "AK", ZIP: "99801"}

	m, err := c.Lookup(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if !m.HasDistrict || m.District != 0 {
		t.Errorf("district = %d (has %v), want at-large 0", m.District, m.HasDistrict)
	}
	if m.StateFIPS != "02" || m.StateAbbr != "AK" {
		t.Errorf("state = %q/%q, want 02/AK", m.StateFIPS, m.StateAbbr)
	}
	if m.Lat != 58.301942108727 || m.Lon != -134.41031596573 {
		t.Errorf("coordinates = %v,%v", m.Lat, m.Lon)
	}
	if m.MatchedAddress != "120 4TH ST, JUNEAU, AK, 99801" || m.Candidates != 1 {
		t.Errorf("match = %+v", m)
	}

	r := f.onlyRequest(t)
	if r.URL.Path != "/geocoder/geographies/address" {
		t.Errorf("path = %q", r.URL.Path)
	}
	wantQuery(t, r.URL.Query(), map[string]string{
		"street":    "120 4th St", // whitespace normalised
		"city":      "Juneau",
		"state":     "AK",
		"zip":       "99801",
		"benchmark": "Public_AR_Current",
		"vintage":   "Current_Current",
		"layers":    "54",
		"format":    "json",
	})
}

func TestLookupEndpointChoice(t *testing.T) {
	common := map[string]string{
		"benchmark": "Public_AR_2025",
		"vintage":   "Census2020_Public_AR_2025",
		"layers":    "all",
		"format":    "json",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name string
		a    Address
		path string
		q    map[string]string
	}{
		{"street+zip", Address{Street: "120 4th St", ZIP: "99801"},
			"/geocoder/geographies/address", with(map[string]string{"street": "120 4th St", "zip": "99801"})},
		{"street+city+state", Address{Street: "120 4th St", City: "Juneau", State: "AK"},
			"/geocoder/geographies/address", with(map[string]string{"street": "120 4th St", "city": "Juneau", "state": "AK"})},
		{"street+city only", Address{Street: "120 4th St", City: "Juneau"},
			"/geocoder/geographies/onelineaddress", with(map[string]string{"address": "120 4th St, Juneau"})},
		{"street+state only", Address{Street: "120 4th St", State: "AK"},
			"/geocoder/geographies/onelineaddress", with(map[string]string{"address": "120 4th St, AK"})},
		{"whole line in street", Address{Street: "120 4th St, Juneau, AK 99801"},
			"/geocoder/geographies/onelineaddress", with(map[string]string{"address": "120 4th St, Juneau, AK 99801"})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCensus(t, http.StatusOK, fixture(t, "address_ak_atlarge.json"))
			c := clientFor(f, Config{Benchmark: "Public_AR_2025", Vintage: "Census2020_Public_AR_2025", Layers: "all"})
			if _, err := c.Lookup(context.Background(), tc.a); err != nil {
				t.Fatal(err)
			}
			r := f.onlyRequest(t)
			if r.URL.Path != tc.path {
				t.Errorf("path = %q, want %q", r.URL.Path, tc.path)
			}
			wantQuery(t, r.URL.Query(), tc.q)
		})
	}
}

func TestLookupNoMatch(t *testing.T) {
	f := newFakeCensus(t, http.StatusOK, fixture(t, "no_match.json"))
	a := Address{Street: "99999 Nowhere Rd", City: "Springfield", State: "IL"}
	_, err := clientFor(f, Config{}).Lookup(context.Background(), a)
	if !errors.Is(err, ErrNoMatch) {
		t.Fatalf("err = %v, want ErrNoMatch", err)
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalidAddress) {
		t.Errorf("err = %v matches the wrong kind", err)
	}
	if UserMessage(err) != ErrNoMatch.Error() {
		t.Errorf("UserMessage = %q", UserMessage(err))
	}
	noPII(t, err, a)
}

func TestLookupBadRequest(t *testing.T) {
	a := Address{Street: "Main St", City: "Springfield", State: "IL"}

	t.Run("address rejected", func(t *testing.T) {
		f := newFakeCensus(t, http.StatusBadRequest, fixture(t, "error_400_address.json"))
		_, err := clientFor(f, Config{}).Lookup(context.Background(), a)
		if !errors.Is(err, ErrInvalidAddress) || !errors.Is(err, ErrNoMatch) {
			t.Fatalf("err = %v, want ErrInvalidAddress (and ErrNoMatch)", err)
		}
		if errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v should not be ErrUnavailable", err)
		}
		if UserMessage(err) != ErrInvalidAddress.Error() {
			t.Errorf("UserMessage = %q", UserMessage(err))
		}
		noPII(t, err, a)
	})

	t.Run("configuration rejected", func(t *testing.T) {
		f := newFakeCensus(t, http.StatusBadRequest, fixture(t, "error_400_benchmark.json"))
		_, err := clientFor(f, Config{Benchmark: "Nope"}).Lookup(context.Background(), a)
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNoMatch) {
			t.Fatalf("err = %v, want ErrUnavailable only", err)
		}
		noPII(t, err, a)
	})

	t.Run("undocumented 400 body", func(t *testing.T) {
		f := newFakeCensus(t, http.StatusBadRequest, []byte("<html><body>Bad Request</body></html>"))
		_, err := clientFor(f, Config{}).Lookup(context.Background(), a)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	})
}

func TestLookupServerErrors(t *testing.T) {
	a := Address{Street: "120 4th St", ZIP: "99801"}
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusNotFound} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := newFakeCensus(t, status, []byte("<html><body><h1>Error</h1></body></html>"))
			_, err := clientFor(f, Config{}).Lookup(context.Background(), a)
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if errors.Is(err, ErrNoMatch) {
				t.Errorf("err = %v should not be ErrNoMatch", err)
			}
			if UserMessage(err) != ErrUnavailable.Error() {
				t.Errorf("UserMessage = %q", UserMessage(err))
			}
			noPII(t, err, a)
		})
	}
}

// slowServer never answers until the client goes away.
func slowServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestLookupTimeout(t *testing.T) {
	srv := slowServer(t)
	a := Address{Street: "120 4th St", City: "Juneau", State: "AK", ZIP: "99801"}
	cfg := Config{BaseURL: srv.URL, Timeout: 100 * time.Millisecond}

	clients := map[string]*Client{
		"own client":                   New(cfg, nil),
		"caller client (no timeout)":   New(cfg, &http.Client{}),
		"caller client (long timeout)": New(cfg, &http.Client{Timeout: time.Minute}),
	}
	for name, c := range clients {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := c.Lookup(context.Background(), a)
			elapsed := time.Since(start)
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if elapsed > 2*time.Second {
				t.Errorf("lookup took %v; timeout not honoured", elapsed)
			}
			noPII(t, err, a)
		})
	}
}

func TestLookupCallerContext(t *testing.T) {
	srv := slowServer(t)
	a := Address{Street: "120 4th St", ZIP: "99801"}
	c := New(Config{BaseURL: srv.URL}, nil) // 5s default timeout

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Lookup(ctx, a)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrUnavailable wrapping context.DeadlineExceeded", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("caller deadline not honoured")
	}
	noPII(t, err, a)

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = c.Lookup(ctx, a)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrUnavailable wrapping context.Canceled", err)
	}
}

func TestLookupMalformed(t *testing.T) {
	full := fixture(t, "oneline_ca11.json")
	cases := map[string][]byte{
		"truncated JSON":           full[:len(full)/2],
		"HTML with 200":            []byte("<!DOCTYPE html><html><body>Service Unavailable</body></html>"),
		"empty body":               nil,
		"no result":                []byte(`{"status":"ok"}`),
		"no addressMatches":        []byte(`{"result":{"input":{}}}`),
		"addressMatches null":      []byte(`{"result":{"addressMatches":null}}`),
		"addressMatches object":    []byte(`{"result":{"addressMatches":{"matchedAddress":"X"}}}`),
		"match without coords":     []byte(`{"result":{"addressMatches":[{"matchedAddress":"X","geographies":{}}]}}`),
		"coordinates out of range": []byte(`{"result":{"addressMatches":[{"matchedAddress":"X","coordinates":{"x":37.7,"y":-122.4}}]}}`),
	}
	a := Address{Street: "1 Dr Carlton B Goodlett Pl", City: "San Francisco", State: "CA"}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeCensus(t, http.StatusOK, body)
			_, err := clientFor(f, Config{}).Lookup(context.Background(), a)
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			noPII(t, err, a)
		})
	}
}

func TestLookupOversizedBody(t *testing.T) {
	big := []byte(`{"result":{"addressMatches":[],"pad":"` + strings.Repeat("x", maxBodyBytes) + `"}}`)
	f := newFakeCensus(t, http.StatusOK, big)
	_, err := clientFor(f, Config{}).Lookup(context.Background(), Address{Street: "1 Main St", ZIP: "99801"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestLookupWithoutDistrictLayer(t *testing.T) {
	f := newFakeCensus(t, http.StatusOK, fixture(t, "address_dc_no_district_layer.json"))
	m, err := clientFor(f, Config{}).Lookup(context.Background(),
		Address{Street: "1600 Pennsylvania Ave NW", City: "Washington", State: "DC", ZIP: "20500"})
	if err != nil {
		t.Fatal(err)
	}
	if m.HasDistrict || m.District != 0 {
		t.Errorf("HasDistrict = %v, District = %d; want false, 0", m.HasDistrict, m.District)
	}
	if m.Lat != 38.898718965362 || m.Lon != -77.03518753691 {
		t.Errorf("coordinates = %v,%v", m.Lat, m.Lon)
	}
	if m.StateFIPS != "11" || m.StateAbbr != "DC" {
		t.Errorf("state = %q/%q, want 11/DC (from the States layer)", m.StateFIPS, m.StateAbbr)
	}
}

func TestLookupMultipleMatches(t *testing.T) {
	f := newFakeCensus(t, http.StatusOK, fixture(t, "oneline_ny_two_matches.json"))
	m, err := clientFor(f, Config{}).Lookup(context.Background(), Address{Street: "1 Broadway, New York, NY"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Candidates != 2 {
		t.Errorf("Candidates = %d, want 2", m.Candidates)
	}
	if m.MatchedAddress != "1 BROADWAY, NEW YORK, NY, 10004" || m.Lon != -74.013809914924 {
		t.Errorf("did not take the first match: %+v", m)
	}
	if !m.HasDistrict || m.District != 10 || m.StateAbbr != "NY" || m.StateFIPS != "36" {
		t.Errorf("district/state = %+v", m)
	}
}

// matchBody wraps one address match with the given geographies object in
// the response envelope.
func matchBody(geographies string) []byte {
	return []byte(`{"result":{"input":{"address":{"address":"x"}},"addressMatches":[{` +
		`"matchedAddress":"M","coordinates":{"x":-77.0,"y":38.9},` +
		`"addressComponents":{"state":"DC","zip":"20500"},` +
		`"geographies":` + geographies + `}]}}`)
}

func TestDistrictLayerVariants(t *testing.T) {
	cases := []struct {
		name        string
		geographies string
		district    int
		has         bool
		fips, abbr  string
	}{
		{
			name:        "DC delegate 98 is 0",
			geographies: `{"119th Congressional Districts":[{"STATE":"11","CD119":"98","GEOID":"1198","BASENAME":"Delegate District (at Large)","NAME":"Delegate District (at Large)","CDSESSN":"119","LSADC":"C4","AREALAND":158316181}]}`,
			district:    0, has: true, fips: "11", abbr: "DC",
		},
		{
			name: "newest Congress wins",
			geographies: `{"118th Congressional Districts":[{"STATE":"37","CD118":"13","GEOID":"3713"}],` +
				`"119th Congressional Districts":[{"STATE":"37","CD119":"04","GEOID":"3704"}],` +
				`"States":[{"STATE":"37","STUSAB":"NC"}]}`,
			district: 4, has: true, fips: "37", abbr: "NC",
		},
		{
			name:        "future Congress handled generically",
			geographies: `{"120th Congressional Districts":[{"STATE":"48","CD120":"07","GEOID":"4807","CDSESSN":"120"}]}`,
			district:    7, has: true, fips: "48", abbr: "TX",
		},
		{
			name:        "unnumbered layer name",
			geographies: `{"Congressional Districts":[{"STATE":"20","CD118":"2","BASENAME":"2"}]}`,
			district:    2, has: true, fips: "20", abbr: "KS",
		},
		{
			name:        "no CD field falls back to GEOID",
			geographies: `{"119th Congressional Districts":[{"STATE":"06","GEOID":"0611","CDSESSN":"119"}]}`,
			district:    11, has: true, fips: "06", abbr: "CA",
		},
		{
			name:        "ZZ (no district defined) is not a district",
			geographies: `{"119th Congressional Districts":[{"STATE":"09","CD119":"ZZ","GEOID":"09ZZ"}]}`,
			district:    0, has: false, fips: "09", abbr: "CT",
		},
		{
			name: "newest Congress wins even without a usable district",
			geographies: `{"118th Congressional Districts":[{"STATE":"09","CD118":"03"}],` +
				`"119th Congressional Districts":[{"STATE":"09","CD119":"ZZ"}]}`,
			district: 0, has: false, fips: "09", abbr: "CT",
		},
		{
			name:        "empty district layer",
			geographies: `{"119th Congressional Districts":[],"States":[{"STATE":"55","STUSAB":"WI"}]}`,
			district:    0, has: false, fips: "55", abbr: "WI",
		},
		{
			name:        "no geographies: state from addressComponents",
			geographies: `{}`,
			district:    0, has: false, fips: "11", abbr: "DC",
		},
		{
			name:        "odd unrelated layer is ignored",
			geographies: `{"Urban Areas":"not-an-array","119th Congressional Districts":[{"STATE":"11","CD119":"98"}]}`,
			district:    0, has: true, fips: "11", abbr: "DC",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCensus(t, http.StatusOK, matchBody(tc.geographies))
			m, err := clientFor(f, Config{}).Lookup(context.Background(), Address{Street: "x st"})
			if err != nil {
				t.Fatal(err)
			}
			if m.District != tc.district || m.HasDistrict != tc.has || m.StateFIPS != tc.fips || m.StateAbbr != tc.abbr {
				t.Errorf("got district=%d has=%v state=%q/%q; want %d %v %q/%q",
					m.District, m.HasDistrict, m.StateFIPS, m.StateAbbr, tc.district, tc.has, tc.fips, tc.abbr)
			}
			if m.Lat != 38.9 || m.Lon != -77.0 {
				t.Errorf("coordinates = %v,%v", m.Lat, m.Lon)
			}
		})
	}
}

func TestLookupRejectsUnsearchableInputLocally(t *testing.T) {
	f := newFakeCensus(t, http.StatusOK, fixture(t, "oneline_ca11.json"))
	c := clientFor(f, Config{})
	long := strings.Repeat("9", 40) + " " + strings.Repeat("Long ", 15) + "St"
	cases := map[string]Address{
		"empty":             {},
		"blank":             {Street: "   ", City: " "},
		"no street":         {City: "Juneau", State: "AK", ZIP: "99801"},
		"street too long":   {Street: long, ZIP: "99801"},
		"one line too long": {Street: long},
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.Lookup(context.Background(), a)
			if !errors.Is(err, ErrInvalidAddress) || !errors.Is(err, ErrNoMatch) {
				t.Fatalf("err = %v, want ErrInvalidAddress", err)
			}
			noPII(t, err, a)
		})
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("server saw %d requests for input that cannot be searched", n)
	}
}

func TestErrorsNeverContainTheAddress(t *testing.T) {
	a := Address{Street: "4321 Secretive Lane", City: "Privateville", State: "OR", ZIP: "97201"}

	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		base := srv.URL
		srv.Close()
		_, err := New(Config{BaseURL: base, Timeout: time.Second}, nil).Lookup(context.Background(), a)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		noPII(t, err, a)
	})

	t.Run("transport that embeds the URL", func(t *testing.T) {
		sentinel := errors.New("boom")
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return nil, fmt.Errorf("proxy refused %s: %w", r.URL.String(), sentinel)
		})}
		_, err := New(Config{BaseURL: "http://census.invalid/geocoder"}, hc).Lookup(context.Background(), a)
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, sentinel) {
			t.Fatalf("err = %v, want ErrUnavailable wrapping the transport error", err)
		}
		noPII(t, err, a)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewDefaults(t *testing.T) {
	c := New(Config{BaseURL: "https://example.test/geocoder/"}, nil)
	if c.baseURL != "https://example.test/geocoder" || c.benchmark != DefaultBenchmark ||
		c.vintage != DefaultVintage || c.layers != DefaultLayers || c.timeout != DefaultTimeout {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.http == nil || c.http.Timeout != DefaultTimeout {
		t.Errorf("own client should have the configured timeout")
	}
	if New(Config{}, nil).baseURL != DefaultBaseURL {
		t.Errorf("default BaseURL not applied")
	}
	hc := &http.Client{}
	if New(Config{}, hc).http != hc {
		t.Errorf("caller's client not used")
	}
}

func TestStateTable(t *testing.T) {
	for _, abbr := range append(usstate.Codes(), "UM") {
		fips := StateFIPSFromAbbr(abbr)
		if fips == "" || StateAbbrFromFIPS(fips) != abbr {
			t.Errorf("table not invertible at %s/%s", fips, abbr)
		}
	}
	for fips, abbr := range map[string]string{"06": "CA", "02": "AK", "11": "DC", "72": "PR", "56": "WY", "03": ""} {
		if got := StateAbbrFromFIPS(fips); got != abbr {
			t.Errorf("StateAbbrFromFIPS(%q) = %q, want %q", fips, got, abbr)
		}
	}
}
