// Package geocode resolves a supporter's street address to coordinates and a
// congressional district through the US Census Bureau geocoder.
//
// The service is online and optional: callers decide whether it is
// configured at all, and every failure of the service maps to ErrUnavailable
// so the product can fall back to letting the person choose from a list.
//
// # Wire format (as researched; nothing here is copied code)
//
// Requests are GETs with the geoLookup return type:
//
//	{BaseURL}/geographies/onelineaddress?address=…&benchmark=…&vintage=…&layers=…&format=json
//	{BaseURL}/geographies/address?street=…&city=…&state=…&zip=…&benchmark=…&vintage=…&layers=…&format=json
//
// What the sources say:
//
//   - Official API description (parameters returntype/searchtype, benchmark,
//     vintage; "structure number and street name (required)", city/state/ZIP
//     optional): https://geocoding.geo.census.gov/geocoder/Geocoding_Services_API.html
//   - The structured search needs street + ZIP, or street + city + state; the
//     service answers HTTP 400 otherwise ("Specify House number and Street name
//     along with City and State and/or ZIP Code").
//   - A recorded live response of geographies/address is in the public test
//     fixtures of github.com/fitnr/censusgeocode
//     (tests/fixtures/address-geographies.yaml): {"result":{"input":{…},
//     "addressMatches":[{"matchedAddress":…,"coordinates":{"x":lon,"y":lat},
//     "tigerLine":{…},"addressComponents":{…,"state":"DC","zip":…},
//     "geographies":{"States":[{"STATE":"11","STUSAB":"DC","GEOID":"11",…}],
//     "Counties":[…],…}}]}}. Each geography layer is an array of records whose
//     codes are strings and whose areas/ids (AREALAND, OID, OBJECTID) are
//     JSON numbers. An onelineaddress example of the same shape:
//     https://apis.io/examples/united-states-census-bureau/census-data-api-geocodeAddress-example/
//   - No match is HTTP 200 with "addressMatches": [] (not an error).
//   - Rejected input is HTTP 400 with a body like
//     {"errors":["Address cannot be empty and cannot exceed 100 characters"],"status":"400"};
//     a bad benchmark/vintage is also a 400 whose message names the benchmark
//     or vintage.
//   - The `layers` parameter selects which geoLookup layers are returned (ids
//     or names of the vintage's TIGERweb map service); without it the
//     congressional districts are not in the default set. In
//     TIGERweb/tigerWMS_Current the congressional-district layer is id 54,
//     currently named "119th Congressional Districts":
//     https://tigerweb.geo.census.gov/arcgis/rest/services/TIGERweb/tigerWMS_Current/MapServer/54
//     Its records carry STATE ("06"), CD119 ("11"), GEOID ("0611"),
//     BASENAME ("11"), NAME ("Congressional District 11"), CDSESSN ("119"),
//     LSADC, MTFCC "G5200", centroid strings and numeric areas. The layer and
//     field names follow the Congress (the 118th used "118th Congressional
//     Districts"/CD118), so this package matches any layer whose name ends in
//     "Congressional Districts" and any field named CD<digits>, preferring the
//     highest Congress. "00" is an at-large seat and "98" the DC delegate
//     district; both become District 0.
//
// Privacy: nothing in this package logs, and no error string ever contains
// any part of the address (transport errors carry the request URL, so they
// are unwrapped and checked before being returned).
package geocode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults applied by New when the corresponding Config field is empty.
const (
	DefaultBaseURL   = "https://geocoding.geo.census.gov/geocoder"
	DefaultBenchmark = "Public_AR_Current"
	DefaultVintage   = "Current_Current"
	DefaultTimeout   = 5 * time.Second
	// DefaultLayers asks only for the congressional-district layer (id 54 of
	// TIGERweb/tigerWMS_Current, "119th Congressional Districts"). The state
	// is read from that layer's STATE field, so no States layer is needed.
	// Set Config.Layers to "all" if the layer id ever moves; the parser finds
	// the district layer by name, not by id.
	DefaultLayers = "54"
)

const (
	// maxBodyBytes bounds how much of a response is read.
	maxBodyBytes = 1 << 20
	// maxAddressLen is the service's own limit on the address/street
	// parameter; longer input is rejected locally instead of with a 400.
	maxAddressLen = 100
	// maxPartLen bounds city/state/ZIP so no unbounded input reaches the URL.
	maxPartLen = 100
)

// Config configures a Client. The zero value means "all defaults".
type Config struct {
	// BaseURL of the geocoder, without the return type; default
	// https://geocoding.geo.census.gov/geocoder.
	BaseURL string
	// Benchmark (locator version); default "Public_AR_Current".
	Benchmark string
	// Vintage (geography version for the geoLookup); default "Current_Current".
	Vintage string
	// Timeout for one lookup, applied as a context deadline on every request
	// and as the timeout of the client New builds; default 5s.
	Timeout time.Duration
	// Layers is the comma-separated list of geoLookup layers to request (ids
	// or names, or "all"); default DefaultLayers.
	Layers string
}

// Client looks addresses up in the Census geocoder. It is safe for
// concurrent use.
type Client struct {
	baseURL   string
	benchmark string
	vintage   string
	layers    string
	timeout   time.Duration
	http      *http.Client
}

// New returns a Client for cfg. A nil httpClient gets a dedicated client with
// cfg.Timeout; a supplied one is used as is (its own timeout still applies,
// and every lookup is additionally bounded by cfg.Timeout).
func New(cfg Config, httpClient *http.Client) *Client {
	c := &Client{
		baseURL:   strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/"),
		benchmark: strings.TrimSpace(cfg.Benchmark),
		vintage:   strings.TrimSpace(cfg.Vintage),
		layers:    strings.TrimSpace(cfg.Layers),
		timeout:   cfg.Timeout,
		http:      httpClient,
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	if c.benchmark == "" {
		c.benchmark = DefaultBenchmark
	}
	if c.vintage == "" {
		c.vintage = DefaultVintage
	}
	if c.layers == "" {
		c.layers = DefaultLayers
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: c.timeout}
	}
	return c
}

// Address is what the supporter typed. Street may also hold a whole
// one-line address.
type Address struct {
	Street, City, State, ZIP string
}

// Match is the geocoder's answer for the first address match.
type Match struct {
	// MatchedAddress is the service's normalised form of the address.
	MatchedAddress string
	// Lat and Lon of the interpolated point (the service's y and x).
	Lat, Lon float64
	// StateFIPS is the two-digit state code, e.g. "06"; empty if unknown.
	StateFIPS string
	// StateAbbr is the USPS abbreviation derived from StateFIPS, e.g. "CA".
	StateAbbr string
	// District is the congressional district number; 0 for at-large seats
	// and delegate districts. Only meaningful when HasDistrict is true.
	District int
	// HasDistrict is false when the response lacked a usable
	// congressional-district layer; callers then fall back to Lat/Lon.
	HasDistrict bool
	// Candidates is the number of address matches the service returned.
	Candidates int
}

// Lookup geocodes a. It uses the structured geographies/address search when
// Street plus either City and State or ZIP are given, and the
// geographies/onelineaddress search otherwise.
//
// Errors: ErrInvalidAddress (which also matches ErrNoMatch) for input the
// service cannot search, ErrNoMatch when it finds nothing, ErrUnavailable
// for anything that is the service's (or the network's) fault.
func (c *Client) Lookup(ctx context.Context, a Address) (Match, error) {
	a = a.trimmed()
	endpoint, query, err := c.buildRequest(a)
	if err != nil {
		return Match{}, err
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+query.Encode(), nil)
	if err != nil {
		// The error text would contain the URL, hence the address.
		return Match{}, unavailable(errors.New("cannot build request (check BaseURL)"))
	}
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return Match{}, c.scrub(a, unavailable(transportCause(err)))
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return Match{}, c.scrub(a, unavailable(fmt.Errorf("reading response: %w", transportCause(err))))
	}
	if len(body) > maxBodyBytes {
		return Match{}, unavailable(fmt.Errorf("response body exceeds %d bytes", maxBodyBytes))
	}

	switch {
	case resp.StatusCode == http.StatusOK:
		m, err := parseResponse(body)
		if err != nil {
			return Match{}, c.scrub(a, err)
		}
		return m, nil
	case resp.StatusCode == http.StatusBadRequest:
		return Match{}, classifyBadRequest(body)
	default:
		return Match{}, unavailable(fmt.Errorf("census geocoder answered HTTP %d", resp.StatusCode))
	}
}

func (a Address) trimmed() Address {
	return Address{
		Street: strings.Join(strings.Fields(a.Street), " "),
		City:   strings.Join(strings.Fields(a.City), " "),
		State:  strings.TrimSpace(a.State),
		ZIP:    strings.TrimSpace(a.ZIP),
	}
}

// buildRequest picks the endpoint and builds the query. Input the service
// would certainly reject is refused here without a network call.
func (c *Client) buildRequest(a Address) (string, url.Values, error) {
	if a.Street == "" {
		return "", nil, invalidAddress(errors.New("no street address given"))
	}
	if utf8.RuneCountInString(a.City) > maxPartLen ||
		utf8.RuneCountInString(a.State) > maxPartLen ||
		utf8.RuneCountInString(a.ZIP) > maxPartLen {
		return "", nil, invalidAddress(errors.New("address part too long"))
	}

	q := url.Values{}
	var endpoint string
	if a.ZIP != "" || (a.City != "" && a.State != "") {
		if utf8.RuneCountInString(a.Street) > maxAddressLen {
			return "", nil, invalidAddress(fmt.Errorf("street longer than %d characters", maxAddressLen))
		}
		endpoint = c.baseURL + "/geographies/address"
		q.Set("street", a.Street)
		if a.City != "" {
			q.Set("city", a.City)
		}
		if a.State != "" {
			q.Set("state", a.State)
		}
		if a.ZIP != "" {
			q.Set("zip", a.ZIP)
		}
	} else {
		line := a.oneLine()
		if utf8.RuneCountInString(line) > maxAddressLen {
			return "", nil, invalidAddress(fmt.Errorf("address longer than %d characters", maxAddressLen))
		}
		endpoint = c.baseURL + "/geographies/onelineaddress"
		q.Set("address", line)
	}
	q.Set("benchmark", c.benchmark)
	q.Set("vintage", c.vintage)
	q.Set("layers", c.layers)
	q.Set("format", "json")
	return endpoint, q, nil
}

// oneLine renders "street, city, state zip", skipping empty parts.
func (a Address) oneLine() string {
	parts := make([]string, 0, 3)
	for _, p := range []string{a.Street, a.City, strings.TrimSpace(a.State + " " + a.ZIP)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// transportCause strips the *url.Error wrapper, whose message includes the
// request URL and therefore the address.
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request failed: %w", ue.Op, ue.Err)
	}
	return err
}

// scrub is the last line of defence against an address reaching an error
// string (e.g. from a custom RoundTripper that embeds the URL): if any
// address part shows up in the message, the cause's text is redacted while
// errors.Is/As keep working.
func (c *Client) scrub(a Address, err error) error {
	var le *lookupError
	if !errors.As(err, &le) || le.cause == nil {
		return err
	}
	msg := le.cause.Error()
	for _, s := range []string{a.Street, a.City, a.ZIP, a.oneLine()} {
		if len(s) < 3 {
			continue
		}
		if strings.Contains(msg, s) ||
			strings.Contains(msg, url.QueryEscape(s)) ||
			strings.Contains(msg, url.PathEscape(s)) {
			le.cause = redacted{le.cause}
			break
		}
	}
	return err
}

type redacted struct{ err error }

func (r redacted) Error() string { return "transport error (details redacted)" }
func (r redacted) Unwrap() error { return r.err }
