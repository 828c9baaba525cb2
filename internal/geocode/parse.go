package geocode

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type apiResponse struct {
	Result *struct {
		AddressMatches json.RawMessage `json:"addressMatches"`
	} `json:"result"`
	Errors []string `json:"errors"`
}

type apiMatch struct {
	MatchedAddress string `json:"matchedAddress"`
	Coordinates    *struct {
		X *float64 `json:"x"`
		Y *float64 `json:"y"`
	} `json:"coordinates"`
	AddressComponents struct {
		State string `json:"state"`
	} `json:"addressComponents"`
	// Layers are decoded one by one so an odd layer we do not use cannot
	// spoil the whole answer.
	Geographies map[string]json.RawMessage `json:"geographies"`
}

// record is one geography record; values are strings or numbers.
type record map[string]json.RawMessage

func (r record) str(key string) string {
	raw, ok := r[key]
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String()
	}
	return ""
}

func parseResponse(body []byte) (Match, error) {
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return Match{}, unavailable(errors.New("malformed JSON in response body"))
	}
	if r.Result == nil {
		if len(r.Errors) > 0 {
			return Match{}, classifyBadRequest(body)
		}
		return Match{}, unavailable(errors.New("response has no result object"))
	}
	if len(r.Result.AddressMatches) == 0 || string(r.Result.AddressMatches) == "null" {
		return Match{}, unavailable(errors.New("response has no result.addressMatches"))
	}
	var matches []apiMatch
	if err := json.Unmarshal(r.Result.AddressMatches, &matches); err != nil {
		return Match{}, unavailable(errors.New("malformed result.addressMatches"))
	}
	if len(matches) == 0 {
		return Match{}, noMatch(nil)
	}

	first := matches[0]
	if first.Coordinates == nil || first.Coordinates.X == nil || first.Coordinates.Y == nil {
		return Match{}, unavailable(errors.New("address match without coordinates"))
	}
	lon, lat := *first.Coordinates.X, *first.Coordinates.Y
	if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return Match{}, unavailable(errors.New("address match with out-of-range coordinates"))
	}

	m := Match{
		MatchedAddress: strings.TrimSpace(first.MatchedAddress),
		Lat:            lat,
		Lon:            lon,
		Candidates:     len(matches),
	}

	cd, cdOK := pickDistrict(first.Geographies)
	if cdOK {
		m.District, m.HasDistrict = cd.district, cd.valid
		m.StateFIPS = cd.stateFIPS
	}

	states := firstRecord(first.Geographies, "States")
	if m.StateFIPS == "" && states != nil {
		m.StateFIPS = fipsOf(states.str("STATE"), states.str("GEOID"))
	}
	if m.StateFIPS == "" {
		m.StateFIPS = StateFIPSFromAbbr(strings.ToUpper(first.AddressComponents.State))
	}
	m.StateAbbr = StateAbbrFromFIPS(m.StateFIPS)
	if m.StateAbbr == "" && states != nil && m.StateFIPS != "" {
		if s := strings.ToUpper(states.str("STUSAB")); len(s) == 2 {
			m.StateAbbr = s
		}
	}
	return m, nil
}

func firstRecord(geos map[string]json.RawMessage, layer string) record {
	raw, ok := geos[layer]
	if !ok {
		return nil
	}
	var recs []record
	if json.Unmarshal(raw, &recs) != nil || len(recs) == 0 {
		return nil
	}
	return recs[0]
}

type districtInfo struct {
	congress  int
	district  int
	valid     bool // district value was a usable number
	stateFIPS string
}

var (
	cdFieldRe  = regexp.MustCompile(`^CD(\d+)$`)
	ordinalRe  = regexp.MustCompile(`^\s*(\d+)(?:st|nd|rd|th)\b`)
	digitsOnly = regexp.MustCompile(`^\d{1,3}$`)
)

// pickDistrict finds every layer named "… Congressional Districts", reads
// the first record of each, and keeps the one for the highest Congress.
// ok is false when no such layer (with a record) is present.
func pickDistrict(geos map[string]json.RawMessage) (districtInfo, bool) {
	keys := make([]string, 0, len(geos))
	for k := range geos {
		if strings.HasSuffix(strings.ToLower(strings.TrimSpace(k)), "congressional districts") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // deterministic tie-breaks

	var best districtInfo
	found := false
	for _, k := range keys {
		var recs []record
		if json.Unmarshal(geos[k], &recs) != nil || len(recs) == 0 {
			continue
		}
		d := readDistrict(k, recs[0])
		if !found || better(d, best) {
			best, found = d, true
		}
	}
	return best, found
}

// better prefers the higher Congress (an older Congress's district would be
// stale), then a usable district value.
func better(a, b districtInfo) bool {
	if a.congress != b.congress {
		return a.congress > b.congress
	}
	return a.valid && !b.valid
}

func readDistrict(layer string, rec record) districtInfo {
	d := districtInfo{stateFIPS: fipsOf(rec.str("STATE"), rec.str("GEOID"))}

	// The CD<n> field; if several, the highest n.
	field, value := "", ""
	for name := range rec {
		sm := cdFieldRe.FindStringSubmatch(name)
		if sm == nil {
			continue
		}
		n, _ := strconv.Atoi(sm[1])
		if field == "" || n > d.congress {
			field, d.congress, value = name, n, rec.str(name)
		}
	}
	if field == "" {
		// No CD<n> field: the Congress from the layer name or CDSESSN, the
		// district from the last two digits of the four-digit GEOID.
		if sm := ordinalRe.FindStringSubmatch(layer); sm != nil {
			d.congress, _ = strconv.Atoi(sm[1])
		} else if n, err := strconv.Atoi(rec.str("CDSESSN")); err == nil {
			d.congress = n
		}
		if g := rec.str("GEOID"); len(g) == 4 {
			value = g[2:]
		}
	}
	d.district, d.valid = parseDistrict(value)
	return d
}

// parseDistrict maps the Census district code to a number: "00" (at-large)
// and "98" (delegate district) are 0; "ZZ" (no district defined) and other
// non-numbers are not usable.
func parseDistrict(v string) (int, bool) {
	if !digitsOnly.MatchString(v) {
		return 0, false
	}
	n, _ := strconv.Atoi(v)
	switch {
	case n == 0 || n == 98:
		return 0, true
	case n >= 1 && n <= 97:
		return n, true
	}
	return 0, false
}

// fipsOf returns a two-digit state FIPS from a STATE field or the start of
// a GEOID.
func fipsOf(state, geoid string) string {
	if len(state) == 2 && digitsOnly.MatchString(state) {
		return state
	}
	if len(geoid) >= 2 && digitsOnly.MatchString(geoid[:2]) {
		return geoid[:2]
	}
	return ""
}
