package web

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/geocode"
)

// lookupInput is what a person or an API client asked for.
type lookupInput struct {
	Query    string // ZIP or street address
	District string // a chosen candidate district, like "CA-11"
	Lat, Lon string
}

// resolution is the answer plus how it was found.
type resolution struct {
	Result  *congress.Result
	By      string // "zip", "address", "point" or "district"
	UsedZIP bool   // an address was answered from its ZIP (geocoder off or down)
}

// trailingZIP finds the last ZIP code in a street address.
var trailingZIP = regexp.MustCompile(`\b(\d{5})(?:-\d{4})?\b`)

// resolve answers a lookup: coordinates offline, a ZIP from the embedded
// crosswalk, a street address through the geocoder when it is configured
// (falling back to the address's own ZIP when it is not, or is down).
func (s *Server) resolve(ctx context.Context, in lookupInput) (resolution, error) {
	dir := s.deps.Congress
	if in.Lat != "" || in.Lon != "" {
		lat, err1 := strconv.ParseFloat(strings.TrimSpace(in.Lat), 64)
		lon, err2 := strconv.ParseFloat(strings.TrimSpace(in.Lon), 64)
		if err1 != nil || err2 != nil {
			return resolution{}, congress.ErrInvalidPoint
		}
		r, err := dir.LookupPoint(lat, lon)
		return resolution{Result: r, By: "point"}, err
	}
	q := strings.TrimSpace(in.Query)
	if q == "" {
		return resolution{}, errEmptyQuery
	}
	if len(q) > 200 {
		return resolution{}, congress.ErrInvalidZIP
	}
	if looksLikeZIP(q) {
		r, err := dir.LookupZIP(q)
		if err != nil {
			return resolution{}, zipErr(err, q)
		}
		if in.District != "" {
			return s.choose(r, in.District)
		}
		return resolution{Result: r, By: "zip"}, nil
	}
	if s.deps.Geocoder != nil {
		m, err := s.deps.Geocoder.Lookup(ctx, geocode.Address{Street: q})
		switch {
		case err == nil:
			var r *congress.Result
			if m.HasDistrict {
				r, err = dir.ForDistrict(congress.District{State: m.StateAbbr, Number: m.District})
			} else {
				r, err = dir.LookupPoint(m.Lat, m.Lon)
			}
			return resolution{Result: r, By: "address"}, err
		case errors.Is(err, geocode.ErrUnavailable):
			// Fall through to the ZIP in the address, if there is one.
			if zip := lastZIP(q); zip != "" {
				r, zerr := dir.LookupZIP(zip)
				if zerr == nil {
					return resolution{Result: r, By: "zip", UsedZIP: true}, nil
				}
			}
			return resolution{}, err
		default:
			return resolution{}, err
		}
	}
	if zip := lastZIP(q); zip != "" {
		r, err := dir.LookupZIP(zip)
		if err != nil {
			return resolution{}, zipErr(err, zip)
		}
		if in.District != "" {
			res, err := s.choose(r, in.District)
			res.UsedZIP = true
			return res, err
		}
		return resolution{Result: r, By: "zip", UsedZIP: true}, nil
	}
	if strings.ContainsAny(q, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.Contains(q, " ") {
		return resolution{}, errGeocoderOff
	}
	return resolution{}, congress.ErrInvalidZIP
}

// choose narrows a split answer to the district the supporter picked,
// which must be one of the ZIP's candidates.
func (s *Server) choose(r *congress.Result, choice string) (resolution, error) {
	d, ok := parseDistrict(choice)
	if !ok {
		return resolution{}, errDistrictChoice
	}
	cands := r.Districts
	if r.NeedsAddress {
		cands = s.stateDistricts(r.States)
	}
	for _, c := range cands {
		if c == d {
			nr, err := s.deps.Congress.ForDistrict(d)
			return resolution{Result: nr, By: "district"}, err
		}
	}
	return resolution{}, errDistrictChoice
}

// stateDistricts lists every House district of the states: the choice a
// PO-box ZIP (which names its state, not its district) leaves.
func (s *Server) stateDistricts(states []string) []congress.District {
	var out []congress.District
	for _, d := range s.deps.Congress.Districts() {
		for _, st := range states {
			if d.State == st {
				out = append(out, d)
			}
		}
	}
	return out
}

// parseDistrict reads "CA-11" or "AK-0".
func parseDistrict(s string) (congress.District, bool) {
	st, num, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok || len(st) != 2 {
		return congress.District{}, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 99 {
		return congress.District{}, false
	}
	return congress.District{State: strings.ToUpper(st), Number: n}, true
}

func districtValue(d congress.District) string { return d.State + "-" + strconv.Itoa(d.Number) }

// looksLikeZIP is true for input made only of digits, blanks and dashes:
// that is a (maybe malformed) ZIP, not an address.
func looksLikeZIP(q string) bool {
	for i := 0; i < len(q); i++ {
		c := q[i]
		if (c < '0' || c > '9') && c != '-' && c != ' ' {
			return false
		}
	}
	return true
}

func lastZIP(q string) string {
	m := trailingZIP.FindAllStringSubmatch(q, -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][1]
}

func zipErr(err error, zip string) error {
	if errors.Is(err, congress.ErrUnknownZIP) {
		z, perr := congress.ParseZIP(zip)
		if perr == nil {
			return withArgs(err, strconv.Itoa(100000 + z)[1:])
		}
	}
	return err
}
