package geocode

import "github.com/outreach-org/outreach/internal/usstate"

// StateAbbrFromFIPS returns the USPS abbreviation for a two-digit state
// FIPS code ("06" → "CA"), or "" if unknown. The Minor Outlying Islands
// are known (the Census answers with them) though they elect no one.
func StateAbbrFromFIPS(fips string) string {
	p, _ := usstate.ByFIPS(fips)
	return p.Code
}

// StateFIPSFromAbbr returns the two-digit FIPS code for a USPS state
// abbreviation ("CA" → "06"), or "" if unknown. Input must be upper case.
func StateFIPSFromAbbr(abbr string) string {
	p, _ := usstate.Lookup(abbr)
	return p.FIPS
}
