// Package usstate is the one table of US states, the District of Columbia
// and the territories: postal code, Census FIPS code and name. The lookup,
// the geocoder, the congressional-data importer, the supporter form and the
// case-record fields all read it, so a territory is never known to one and
// unknown to another.
package usstate

import "slices"

// Kind says whether a place elects a member of Congress.
type Kind uint8

const (
	// State elects two senators and at least one representative.
	State Kind = iota + 1
	// District is the District of Columbia: a delegate, no senators.
	District
	// Territory elects a delegate or resident commissioner.
	Territory
	// Outlying has a FIPS code but no representation (the Minor Outlying
	// Islands); the geocoder may still answer with it.
	Outlying
)

// Place is one row of the table.
type Place struct {
	Code string // USPS, upper case
	FIPS string // two digits, ANSI/FIPS 5-2
	Name string
	Kind Kind
}

// places is in the order the supporter form lists them: the states and DC
// alphabetically by name, then the territories.
var places = [...]Place{
	{"AL", "01", "Alabama", State}, {"AK", "02", "Alaska", State}, {"AZ", "04", "Arizona", State},
	{"AR", "05", "Arkansas", State}, {"CA", "06", "California", State}, {"CO", "08", "Colorado", State},
	{"CT", "09", "Connecticut", State}, {"DE", "10", "Delaware", State}, {"DC", "11", "District of Columbia", District},
	{"FL", "12", "Florida", State}, {"GA", "13", "Georgia", State}, {"HI", "15", "Hawaii", State},
	{"ID", "16", "Idaho", State}, {"IL", "17", "Illinois", State}, {"IN", "18", "Indiana", State},
	{"IA", "19", "Iowa", State}, {"KS", "20", "Kansas", State}, {"KY", "21", "Kentucky", State},
	{"LA", "22", "Louisiana", State}, {"ME", "23", "Maine", State}, {"MD", "24", "Maryland", State},
	{"MA", "25", "Massachusetts", State}, {"MI", "26", "Michigan", State}, {"MN", "27", "Minnesota", State},
	{"MS", "28", "Mississippi", State}, {"MO", "29", "Missouri", State}, {"MT", "30", "Montana", State},
	{"NE", "31", "Nebraska", State}, {"NV", "32", "Nevada", State}, {"NH", "33", "New Hampshire", State},
	{"NJ", "34", "New Jersey", State}, {"NM", "35", "New Mexico", State}, {"NY", "36", "New York", State},
	{"NC", "37", "North Carolina", State}, {"ND", "38", "North Dakota", State}, {"OH", "39", "Ohio", State},
	{"OK", "40", "Oklahoma", State}, {"OR", "41", "Oregon", State}, {"PA", "42", "Pennsylvania", State},
	{"RI", "44", "Rhode Island", State}, {"SC", "45", "South Carolina", State}, {"SD", "46", "South Dakota", State},
	{"TN", "47", "Tennessee", State}, {"TX", "48", "Texas", State}, {"UT", "49", "Utah", State},
	{"VT", "50", "Vermont", State}, {"VA", "51", "Virginia", State}, {"WA", "53", "Washington", State},
	{"WV", "54", "West Virginia", State}, {"WI", "55", "Wisconsin", State}, {"WY", "56", "Wyoming", State},
	{"PR", "72", "Puerto Rico", Territory}, {"GU", "66", "Guam", Territory}, {"VI", "78", "U.S. Virgin Islands", Territory},
	{"AS", "60", "American Samoa", Territory}, {"MP", "69", "Northern Mariana Islands", Territory},
	{"UM", "74", "U.S. Minor Outlying Islands", Outlying},
}

// Lookup returns the place with this postal code (upper case).
func Lookup(code string) (Place, bool) {
	for _, p := range places {
		if p.Code == code {
			return p, true
		}
	}
	return Place{}, false
}

// ByFIPS returns the place with this two-digit FIPS code.
func ByFIPS(fips string) (Place, bool) {
	for _, p := range places {
		if p.FIPS == fips {
			return p, true
		}
	}
	return Place{}, false
}

// Represented reports whether code is a place that elects a member of
// Congress (a state, DC or a territory with a delegate).
func Represented(code string) bool {
	p, ok := Lookup(code)
	return ok && p.Kind != Outlying
}

// Name is the place's name, or the code itself when it is not one.
func Name(code string) string {
	if p, ok := Lookup(code); ok {
		return p.Name
	}
	return code
}

// Codes lists the represented places' codes in form order (states and DC by
// name, then the territories). The slice is the caller's.
func Codes() []string {
	out := make([]string, 0, len(places))
	for _, p := range places {
		if p.Kind != Outlying {
			out = append(out, p.Code)
		}
	}
	return out
}

// SortedCodes is Codes in code order ("AK", "AL", ...), as the case-record
// fields enumerate them.
func SortedCodes() []string {
	c := Codes()
	slices.Sort(c)
	return c
}

// Names maps every represented place's code to its name; a fresh map.
func Names() map[string]string {
	out := make(map[string]string, len(places))
	for _, p := range places {
		if p.Kind != Outlying {
			out[p.Code] = p.Name
		}
	}
	return out
}
