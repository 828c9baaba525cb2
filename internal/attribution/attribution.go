// Package attribution says which link brought a supporter: the source
// code of a campaign link (?source=, or the utm_source of links made for
// analytics tools) and its utm_medium and utm_campaign. The values are
// kept on the submission and on the supporter list, shown in exports and
// grouped by on the dashboards, so they must never carry personal data:
// each is normalised to a short lowercase token, and a value that is not
// one (an address, a phone number, a long id, markup) is dropped whole
// rather than trimmed into something that still identifies a person.
package attribution

import "strings"

// MaxLen is the longest token kept.
const MaxLen = 40

// maxDigits is the most digits a token may hold: a date (20261205) is
// fine, a phone number or an account number is not.
const maxDigits = 8

// Params are the query parameters read, in the order they are carried
// from page to page.
var Params = []string{"source", "utm_source", "utm_medium", "utm_campaign"}

// Attribution is where a supporter came from. Source is the code the
// dashboards group by: ?source=, or utm_source when the link has none.
type Attribution struct {
	Source, UTMSource, UTMMedium, UTMCampaign string
}

// Token normalises one value: trimmed and lowercased, runs of spaces and
// '+' become '-'. It answers "" for an empty value and for one that is
// longer than MaxLen, holds a character other than a-z, 0-9, '.', '_'
// and '-', or more than maxDigits digits.
func Token(raw string) string {
	s := strings.ToLower(strings.TrimSpace(raw))
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '+' || r == '\t' }), "-")
	s = strings.Trim(s, "-.")
	if s == "" || len(s) > MaxLen {
		return ""
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r >= 'a' && r <= 'z', r == '.', r == '_', r == '-':
		default:
			return ""
		}
	}
	if digits > maxDigits {
		return ""
	}
	return s
}

// From reads the attribution of a request: get answers a parameter's
// value (the query string or the form).
func From(get func(name string) string) Attribution {
	a := Attribution{Source: Token(get("source")), UTMSource: Token(get("utm_source")),
		UTMMedium: Token(get("utm_medium")), UTMCampaign: Token(get("utm_campaign"))}
	if a.Source == "" {
		a.Source = a.UTMSource
	}
	return a
}

// Field is one parameter to carry to the next page.
type Field struct{ Name, Value string }

// Fields are a's parameters that are set, for hidden form fields and
// links: carried to the next step, they come back the same.
func (a Attribution) Fields() []Field {
	var out []Field
	for i, v := range []string{a.Source, a.UTMSource, a.UTMMedium, a.UTMCampaign} {
		if v != "" {
			out = append(out, Field{Params[i], v})
		}
	}
	return out
}
