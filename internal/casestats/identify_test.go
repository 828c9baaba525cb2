package casestats

import (
	"strings"
	"testing"
)

func TestLooksIdentifying(t *testing.T) {
	cases := []struct{ in, kind string }{
		// A-numbers in every spelling
		{"A123456789", "an A-number"},
		{"A-123-456-789", "an A-number"},
		{"A# 12345678", "an A-number"},
		{"a 123 456 789", "an A-number"},
		{"A12345678", "an A-number"},
		{"a-12345678", "an A-number"},
		{"A.123.456.789", "an A-number"},
		{"A 0123 4567 8", "an A-number"},
		{"A-number 123456789", "an A-number"},
		{"A No. 123456789", "an A-number"},
		{"his number is A 123-456-789", "an A-number"},
		// SSNs
		{"123-45-6789", "a Social Security number"},
		{"123 45 6789", "a Social Security number"},
		// bare 8- or 9-digit numbers and other long numbers
		{"12345678", "an identification number"},
		{"123456789", "an identification number"},
		{"123 456 789", "an identification number"},
		{"1234567", "a long number"},
		{"12345678901234", "a long number"},
		// dates
		{"2018-06-14", "a date"},
		{"6/14/2018", "a date"},
		{"06-14-18", "a date"},
		{"14.06.2018", "a date"},
		{"June 14, 2018", "a date"},
		{"14 Jun 2018", "a date"},
		{"14 de junio de 2018", "a date"},
		{"13-Oct", "a date"},
		{"Oct-13", "a date"},
		{"2018-06", "a date"},
		{"6/14", "a date"},
		// emails
		{"maria.lopez@example.org", "an email address"},
		{"x@y.co", "an email address"},
		// phones
		{"(555) 123-4567", "a phone number"},
		{"+1 555 123 4567", "a phone number"},
		{"555.123.4567", "a phone number"},
		{"555-123-4567", "a phone number"},
		{"5551234567", "a phone number"},
		{"+502 5555 1234", "a phone number"},
		// other identifiers
		{"G12345678", "a document number"},
		{"123 Main St", "an address"},
		{"78520", "a ZIP code"},
		{"78520-1234", "a ZIP code"},
		{"7 years", "an exact age"},
		{"age 7", "an exact age"},
		{"K'iche'", "a language name"},
		{"Q'anjob'al", "a language name"},
		{"Mam", "a language name"},
		// names and free text
		{"Maria Lopez", "a name"},
		{"María José García-López", "a name"},
		{"LOPEZ, MARIA", "a name"},
		{"O'Brien Smith", "a name"},
		{"was told to sign", "free text"},
		{"mother says they took him", "free text"},
		{strings.Repeat("x", 300), "free text"},
	}
	for _, c := range cases {
		kind, ok := LooksIdentifying(c.in)
		if !ok || kind != c.kind {
			t.Errorf("LooksIdentifying(%q) = %q, %v; want %q", c.in, kind, ok, c.kind)
		}
	}
}

func TestLooksIdentifyingNearMisses(t *testing.T) {
	near := []string{"2018-Q2", "14-17", "0-4", "10-13", "5-9", "2030-Q4", "TX", "yes", "unknown",
		"deported_without_child", "not_screened", "orr_shelter", "", "   ", "maybe", "Maria", "notes", "a", "A1"}
	for _, s := range near {
		if kind, ok := LooksIdentifying(s); ok {
			t.Errorf("LooksIdentifying(%q) = %q; want no match", s, kind)
		}
	}
	// Every allowed value and every field name must pass.
	for _, f := range Fields {
		if kind, ok := LooksIdentifying(f); ok {
			t.Errorf("field name %q looks like %s", f, kind)
		}
		for _, v := range AllowedValues(f) {
			if kind, ok := LooksIdentifying(v); ok {
				t.Errorf("allowed value %q of %s looks like %s", v, f, kind)
			}
		}
	}
}
