package geocode

// abbrForFIPS maps two-digit state FIPS codes (ANSI/FIPS 5-2, as used in
// the Census STATE field) to USPS abbreviations: the 50 states, DC, and the
// territories that elect a delegate or resident commissioner, plus the
// Minor Outlying Islands.
var abbrForFIPS = map[string]string{
	"01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA",
	"08": "CO", "09": "CT", "10": "DE", "11": "DC", "12": "FL",
	"13": "GA", "15": "HI", "16": "ID", "17": "IL", "18": "IN",
	"19": "IA", "20": "KS", "21": "KY", "22": "LA", "23": "ME",
	"24": "MD", "25": "MA", "26": "MI", "27": "MN", "28": "MS",
	"29": "MO", "30": "MT", "31": "NE", "32": "NV", "33": "NH",
	"34": "NJ", "35": "NM", "36": "NY", "37": "NC", "38": "ND",
	"39": "OH", "40": "OK", "41": "OR", "42": "PA", "44": "RI",
	"45": "SC", "46": "SD", "47": "TN", "48": "TX", "49": "UT",
	"50": "VT", "51": "VA", "53": "WA", "54": "WV", "55": "WI",
	"56": "WY",
	"60": "AS", "66": "GU", "69": "MP", "72": "PR", "74": "UM", "78": "VI",
}

// fipsForAbbr is the inverse of abbrForFIPS.
var fipsForAbbr = func() map[string]string {
	m := make(map[string]string, len(abbrForFIPS))
	for f, a := range abbrForFIPS {
		m[a] = f
	}
	return m
}()

// StateAbbrFromFIPS returns the USPS abbreviation for a two-digit state
// FIPS code ("06" → "CA"), or "" if unknown.
func StateAbbrFromFIPS(fips string) string { return abbrForFIPS[fips] }

// StateFIPSFromAbbr returns the two-digit FIPS code for a USPS state
// abbreviation ("CA" → "06"), or "" if unknown. Input must be upper case.
func StateFIPSFromAbbr(abbr string) string { return fipsForAbbr[abbr] }
