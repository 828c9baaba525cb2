package constituent

import (
	"strings"
	"testing"
	"unicode"
)

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"(415) 555-0142":   "415-555-0142",
		"+1 415.555.0142":  "415-555-0142",
		"14155550142":      "415-555-0142",
		"415-555-0142":     "415-555-0142",
		"":                 "",
		"555-0142":         "",
		"415-555-0142 x12": "",
		"+44 20 7946 0958": "",
		"015-555-0142":     "",
		"415-155-0142":     "",
		"4155550142\n":     "",
		"１２３４５６７８９０":       "",
	} {
		got, ok := NormalizePhone(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestNormalizePhoneFormCases(t *testing.T) {
	for in, want := range map[string]string{"4155550134": "415-555-0134", "1-415-555-0134": "415-555-0134", "(415) 555.0134": "415-555-0134"} {
		if got, ok := NormalizePhone(in); !ok || got != want {
			t.Errorf("%q = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "0155550134", "41555501345", "415-555-013x", "1155550134"} {
		if _, ok := NormalizePhone(in); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestPrefixes(t *testing.T) {
	for _, p := range []string{"Mr.", "Mrs.", "Ms.", "Mx.", "Dr."} {
		if !IsPrefix(p) {
			t.Errorf("prefix %q missing", p)
		}
	}
	for in, want := range map[string]string{"mr": "Mr.", " DR. ": "Dr.", "miss.": "Miss", "Mx": "Mx.", "Sir": "", "Mr..": ""} {
		got, _ := CanonicalPrefix(in)
		if got != want {
			t.Errorf("CanonicalPrefix(%q) = %q, want %q", in, got, want)
		}
	}
	for _, p := range Prefixes {
		if strings.IndexFunc(p, unicode.IsSpace) >= 0 {
			t.Errorf("prefix %q has spaces", p)
		}
	}
}
