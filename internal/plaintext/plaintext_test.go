package plaintext

import "testing"

func TestFind(t *testing.T) {
	refused := []rune{0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200B, 0x200E, 0x200F,
		0x061C, 0x2060, 0xFEFF, 0x00AD, 0x3164, 0xE0041}
	for _, r := range refused {
		if got, ok := Find("Main " + string(r) + "St"); !ok || got != r {
			t.Errorf("%s not found", Name(r))
		}
	}
	kept := []string{"García", "Nguyễn", "O'Brien-Smith", "محمد", "שלום", "می\u200cخواهم" /* ZWNJ */, "👩‍👧" /* ZWJ */, "Straße 12, Apt. 3", "東京"}
	for _, s := range kept {
		if r, ok := Find(s); ok {
			t.Errorf("%q: %s refused", s, Name(r))
		}
	}
	if Name(0x202E) != "U+202E RIGHT-TO-LEFT OVERRIDE" || Name(0xE0041) != "U+E0041" {
		t.Errorf("names: %s, %s", Name(0x202E), Name(0xE0041))
	}
}
