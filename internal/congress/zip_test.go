package congress

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseZIP(t *testing.T) {
	for in, want := range map[string]int{
		"94110":        94110,
		" 94110 ":      94110,
		"\t94110\n":    94110,
		"94110-1234":   94110,
		"941101234":    94110,
		"00501":        501,
		"00000":        0,
		"99999-9999":   99999,
		" 02861-0000 ": 2861,
	} {
		got, err := ParseZIP(in)
		if err != nil || got != want {
			t.Errorf("ParseZIP(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", " ", "abcde", "9411", "941100", "94110-12", "94110-", "94110-12345", "9411O",
		"94110 1234", "94110_1234", "-94110", "+9411", "9411-01234", "94110--123",
		"９４１１０", "94110\x00", "94 110", "0x123",
	} {
		if got, err := ParseZIP(in); !errors.Is(err, ErrInvalidZIP) || got != 0 {
			t.Errorf("ParseZIP(%q) = %d, %v; want ErrInvalidZIP", in, got, err)
		}
	}
}

func FuzzParseZIP(f *testing.F) {
	for _, s := range []string{"94110", " 94110 ", "94110-1234", "941101234", "", "94110-12", "abcde", "9411", "941100", "\t00501\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		z, err := ParseZIP(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidZIP) || z != 0 {
				t.Fatalf("ParseZIP(%q) = %d, %v", s, z, err)
			}
			return
		}
		trimmed := strings.TrimFunc(s, func(r rune) bool { return r < 0x80 && isBlank(byte(r)) })
		digits := strings.Replace(trimmed, "-", "", 1)
		if len(digits) != 5 && len(digits) != 9 || !allDigits(digits) {
			t.Fatalf("ParseZIP(%q) accepted %q, which is not 5 or 9 digits", s, digits)
		}
		if len(trimmed) == 10 && trimmed[5] != '-' {
			t.Fatalf("ParseZIP(%q) accepted a misplaced dash", s)
		}
		if z < 0 || z > 99999 || fmt.Sprintf("%05d", z) != digits[:5] {
			t.Fatalf("ParseZIP(%q) = %d, does not round-trip to %q", s, z, digits[:5])
		}
		// Round trip: the canonical forms parse to the same ZIP.
		for _, c := range []string{fmt.Sprintf("%05d", z), digits, digits[:5] + "-" + digitsOr(digits[5:], "0000")} {
			if z2, err := ParseZIP(c); err != nil || z2 != z {
				t.Fatalf("ParseZIP(%q) = %d, %v; want %d", c, z2, err, z)
			}
		}
	})
}

func digitsOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
