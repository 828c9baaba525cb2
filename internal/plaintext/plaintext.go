// Package plaintext finds characters that change how text is shown
// without being seen: bidirectional overrides, embeddings and isolates,
// zero-width spaces and other format characters. A name or address
// holding one can display as something other than what it says (a
// right-to-left override shows "Main St 123" for "321 tS niaM"), to staff
// and to the offices that receive a letter, so forms refuse them.
package plaintext

import (
	"fmt"
	"unicode"
)

// names are the invisible characters people paste most often, named in
// messages so that staff can find them.
var names = map[rune]string{
	0x00AD: "SOFT HYPHEN",
	0x061C: "ARABIC LETTER MARK",
	0x180E: "MONGOLIAN VOWEL SEPARATOR",
	0x200B: "ZERO WIDTH SPACE",
	0x200E: "LEFT-TO-RIGHT MARK",
	0x200F: "RIGHT-TO-LEFT MARK",
	0x202A: "LEFT-TO-RIGHT EMBEDDING",
	0x202B: "RIGHT-TO-LEFT EMBEDDING",
	0x202C: "POP DIRECTIONAL FORMATTING",
	0x202D: "LEFT-TO-RIGHT OVERRIDE",
	0x202E: "RIGHT-TO-LEFT OVERRIDE",
	0x2060: "WORD JOINER",
	0x2066: "LEFT-TO-RIGHT ISOLATE",
	0x2067: "RIGHT-TO-LEFT ISOLATE",
	0x2068: "FIRST STRONG ISOLATE",
	0x2069: "POP DIRECTIONAL ISOLATE",
	0xFEFF: "ZERO WIDTH NO-BREAK SPACE",
	0x3164: "HANGUL FILLER",
	0x115F: "HANGUL CHOSEONG FILLER",
	0x1160: "HANGUL JUNGSEONG FILLER",
	0xFFA0: "HALFWIDTH HANGUL FILLER",
	0x034F: "COMBINING GRAPHEME JOINER",
}

// IsInvisible reports whether r is an invisible formatting character: any
// format character (Unicode category Cf: the bidirectional controls
// U+202A–U+202E and U+2066–U+2069, U+200E/U+200F, zero-width spaces, the
// byte-order mark, soft hyphens, tag characters...) and the blank "filler"
// letters, except the zero-width non-joiner and joiner (U+200C, U+200D),
// which Persian, Indic scripts and emoji need.
func IsInvisible(r rune) bool {
	if r == 0x200C || r == 0x200D {
		return false
	}
	if unicode.Is(unicode.Cf, r) {
		return true
	}
	_, named := names[r]
	return named
}

// Find returns the first invisible formatting character of s.
func Find(s string) (rune, bool) {
	for _, r := range s {
		if IsInvisible(r) {
			return r, true
		}
	}
	return 0, false
}

// Name describes r for a message: "U+202E RIGHT-TO-LEFT OVERRIDE".
func Name(r rune) string {
	if n, ok := names[r]; ok {
		return fmt.Sprintf("U+%04X %s", r, n)
	}
	return fmt.Sprintf("U+%04X", r)
}
