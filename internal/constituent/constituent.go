// Package constituent holds the rules for how a supporter may be written
// to Congress: the honorifics CWC accepts and the phone number format it
// takes. The supporter form (internal/action) checks input with them, so
// it accepts exactly what the CWC adapter will send; both use this leaf
// package, so the form does not compile against a delivery adapter.
package constituent

import "strings"

// Prefixes are the values a CWC Constituent/Prefix may take, in the order
// a form should offer them.
//
// Mr., Mrs., Miss, Ms. and Dr. are the enumeration public CWC clients
// transcribe from the Senate schema (climatechangemakers/climate-changemakers-act
// model/Prefix.kt, and a TypeScript client noting "the Senate validates the
// prefix against exactly these five values; the House historically does not
// validate prefixes"). Mx. is added because the project reference
// (cwc.md) lists it and supporters must not be forced into a gendered
// prefix; if the Senate refuses it, the CWC adapter reports a permanent
// error and the delivery worker falls back to the campaign's next channel.
// cwc.md also mentions military and clergy titles, but no public source
// shows which spellings CWC accepts, so none are listed here.
var Prefixes = []string{"Mr.", "Mrs.", "Miss", "Ms.", "Mx.", "Dr."}

// IsPrefix reports whether s is one of Prefixes (see CanonicalPrefix for
// the lenient spelling rules).
func IsPrefix(s string) bool { _, ok := CanonicalPrefix(s); return ok }

// CanonicalPrefix returns the Prefixes entry s stands for, ignoring case,
// surrounding space and a missing or extra final period ("mr" → "Mr.").
func CanonicalPrefix(s string) (string, bool) {
	k := prefixKey(s)
	for _, p := range Prefixes {
		if prefixKey(p) == k {
			return p, true
		}
	}
	return "", false
}

func prefixKey(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// NormalizePhone returns a US phone number as xxx-xxx-xxxx, CWC's format.
// It accepts any punctuation and a leading +1/1; anything that is not a
// ten-digit NANP number (area code and exchange not starting with 0 or 1)
// is refused.
func NormalizePhone(s string) (string, bool) {
	digits := make([]byte, 0, 11)
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case strings.ContainsRune(" ()-.+/", r):
		default:
			return "", false // letters, "ext", ...: not a plain number
		}
	}
	if len(digits) == 11 && digits[0] == '1' {
		digits = digits[1:]
	}
	if len(digits) != 10 || digits[0] < '2' || digits[3] < '2' {
		return "", false
	}
	d := string(digits)
	return d[:3] + "-" + d[3:6] + "-" + d[6:], true
}
