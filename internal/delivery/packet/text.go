package packet

import (
	"github.com/outreach-org/outreach/internal/congress"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/outreach-org/outreach/internal/delivery"
)

// The PDF uses fpdf's core fonts (Helvetica, Times), which are encoded in
// Windows-1252. Every string goes through sanitize, which leaves only runes
// that cp1252 can encode, and then through fpdf's cp1252 translator
// (Fpdf.UnicodeTranslatorFromDescriptor("")), which turns them into the
// single bytes the fonts index.
//
// sanitize:
//   - keeps ASCII, Latin-1 (Hernández, Núñez, Gómez, García, Peña, Müller,
//     François) and the 27 cp1252 extras (Š, Ž, Œ, €, curly quotes, dashes,
//     ellipsis, bullet);
//   - composes a letter followed by a combining accent (NFD input, as some
//     keyboards send it) into its precomposed Latin-1 form, and drops an
//     accent that has no such form;
//   - writes Latin Extended-A letters (Polish, Czech, Hungarian, Romanian,
//     Turkish, ...) as their base letter: "Łukasz Wałęsa" → "Lukasz Walesa",
//     which an office can still read and match, rather than "?ukasz Wa??sa";
//   - replaces every other character (Chinese, Cyrillic, emoji, ...) with
//     '?', one per visible symbol: variation selectors, skin-tone modifiers,
//     zero-width joiners and flag pairs do not add more;
//   - drops control characters and zero-width characters, maps the Unicode
//     spaces and hyphens to ' ' and '-', and in single-line fields turns line
//     breaks and tabs into spaces.
//
// So nothing outside cp1252 ever reaches fpdf, and no user text can contain
// the control character in totalPagesAlias.

// cp1252Extra are the runes above U+00FF that cp1252 encodes (0x80-0x9F).
var cp1252Extra = map[rune]bool{
	'€': true, '‚': true, 'ƒ': true, '„': true, '…': true, '†': true, '‡': true,
	'ˆ': true, '‰': true, 'Š': true, '‹': true, 'Œ': true, 'Ž': true, '‘': true,
	'’': true, '“': true, '”': true, '•': true, '–': true, '—': true, '˜': true,
	'™': true, 'š': true, '›': true, 'œ': true, 'ž': true, 'Ÿ': true,
}

func inCP1252(r rune) bool {
	return (r >= 0x20 && r < 0x7f) || (r >= 0xa0 && r <= 0xff) || cp1252Extra[r]
}

// compose maps a combining mark to the base letters it combines with and
// the precomposed cp1252 results, position by position.
var compose = map[rune][2]string{
	0x0300: {"AEIOUaeiou", "ÀÈÌÒÙàèìòù"},     // grave
	0x0301: {"AEIOUYaeiouy", "ÁÉÍÓÚÝáéíóúý"}, // acute
	0x0302: {"AEIOUaeiou", "ÂÊÎÔÛâêîôû"},     // circumflex
	0x0303: {"ANOano", "ÃÑÕãñõ"},             // tilde
	0x0308: {"AEIOUYaeiouy", "ÄËÏÖÜŸäëïöüÿ"}, // diaeresis
	0x030A: {"Aa", "Åå"},                     // ring above
	0x030C: {"SZsz", "ŠŽšž"},                 // caron
	0x0327: {"Cc", "Çç"},                     // cedilla
}

// latinExtA holds the base letter of U+0100..U+017F, in order. Œ, œ, Š, š,
// Ÿ, Ž, ž are in cp1252 and never looked up here.
const latinExtA = "" +
	"AaAaAaCcCcCcCcDd" + // 0100 Ā ā Ă ă Ą ą Ć ć Ĉ ĉ Ċ ċ Č č Ď ď
	"DdEeEeEeEeEeGgGg" + // 0110 Đ đ Ē ē Ĕ ĕ Ė ė Ę ę Ě ě Ĝ ĝ Ğ ğ
	"GgGgHhHhIiIiIiIi" + // 0120 Ġ ġ Ģ ģ Ĥ ĥ Ħ ħ Ĩ ĩ Ī ī Ĭ ĭ Į į
	"IiJjJjKkkLlLlLlL" + // 0130 İ ı Ĳ ĳ Ĵ ĵ Ķ ķ ĸ Ĺ ĺ Ļ ļ Ľ ľ Ŀ (Ĳ ĳ: see below)
	"lLlNnNnNnnNnOoOo" + // 0140 ŀ Ł ł Ń ń Ņ ņ Ň ň ŉ Ŋ ŋ Ō ō Ŏ ŏ
	"OoOoRrRrRrSsSsSs" + // 0150 Ő ő Œ œ Ŕ ŕ Ŗ ŗ Ř ř Ś ś Ŝ ŝ Ş ş
	"SsTtTtTtUuUuUuUu" + // 0160 Š š Ţ ţ Ť ť Ŧ ŧ Ũ ũ Ū ū Ŭ ŭ Ů ů
	"UuUuWwYyYZzZzZzs" //  0170 Ű ű Ų ų Ŵ ŵ Ŷ ŷ Ÿ Ź ź Ż ż Ž ž ſ

// fold returns the cp1252 replacement for a Latin letter outside cp1252,
// or "" if there is none.
func fold(r rune) string {
	switch {
	case r == 'Ĳ':
		return "IJ"
	case r == 'ĳ':
		return "ij"
	case r >= 0x0100 && r <= 0x017f:
		return latinExtA[r-0x100 : r-0x100+1]
	case r == 'Ș', r == 'Ş':
		return "S"
	case r == 'ș', r == 'ş':
		return "s"
	case r == 'Ț', r == 'Ţ':
		return "T"
	case r == 'ț', r == 'ţ':
		return "t"
	}
	return ""
}

func isCombining(r rune) bool {
	return (r >= 0x0300 && r <= 0x036f) || (r >= 0x1ab0 && r <= 0x1aff) ||
		(r >= 0x1dc0 && r <= 0x1dff) || (r >= 0x20d0 && r <= 0x20ff) || (r >= 0xfe20 && r <= 0xfe2f)
}

// isInvisible reports format characters that only modify their
// neighbours: zero-width space/joiners, direction marks, the BOM,
// variation selectors, emoji skin tones and tag characters.
func isInvisible(r rune) bool {
	return (r >= 0x200b && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) ||
		(r >= 0x2060 && r <= 0x206f) || r == 0xfeff || r == 0x00ad ||
		(r >= 0xfe00 && r <= 0xfe0f) || (r >= 0x1f3fb && r <= 0x1f3ff) ||
		(r >= 0xe0000 && r <= 0xe007f) || (r >= 0xe0100 && r <= 0xe01ef)
}

func isRegionalIndicator(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

// sanitize returns s with only cp1252-encodable runes (see above). With
// multiline, '\n' is kept (CR LF and CR become '\n', U+2028/U+2029 too);
// without it every line break and tab becomes a space and runs of spaces
// collapse.
func sanitize(s string, multiline bool) string {
	if multiline && plainASCII(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	var last rune // last rune written, for composing accents
	lastPos := -1 // its byte offset in b
	joined := false
	prevRI := false
	put := func(r rune) {
		lastPos = len(b)
		last = r
		b = utf8.AppendRune(b, r)
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			put('?')
			continue
		}
		// A zero-width joiner glues the next symbol to the previous one: one '?'.
		if r == 0x200d {
			joined = last == '?'
			continue
		}
		wasJoined := joined
		joined = false
		ri := isRegionalIndicator(r)
		pairedRI := ri && prevRI
		prevRI = ri && !pairedRI
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue
			}
			r = '\n'
			fallthrough
		case r == '\n' || r == 0x2028 || r == 0x2029 || r == 0x85:
			if multiline {
				put('\n')
				if r == 0x2029 {
					put('\n')
				}
			} else {
				put(' ')
			}
		case r == '\t':
			if multiline {
				b = append(b, "    "...)
				last, lastPos = ' ', len(b)-1
			} else {
				put(' ')
			}
		case inCP1252(r):
			put(r)
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			// control characters: dropped
		case isCombining(r):
			if c, ok := compose[r]; ok && lastPos >= 0 {
				// c[0] is ASCII, so its byte index is the rune index into c[1].
				if k := strings.IndexRune(c[0], last); k >= 0 {
					b = b[:lastPos]
					put([]rune(c[1])[k])
				}
			}
			// otherwise dropped: the base letter stays readable
		case isInvisible(r):
		case r == 0x2010 || r == 0x2011 || r == 0x2012 || r == 0x2212 || r == 0x2043:
			put('-')
		case (r >= 0x2000 && r <= 0x200a) || r == 0x202f || r == 0x205f || r == 0x3000:
			put(' ')
		case fold(r) != "":
			for _, f := range fold(r) {
				put(f)
			}
		case wasJoined || pairedRI:
			// second half of an emoji sequence or a flag: already a '?'
		default:
			put('?')
		}
	}
	out := string(b)
	if !multiline {
		out = strings.Join(strings.Fields(out), " ")
	}
	return out
}

// metaText prepares a string for the PDF's document information (title,
// author), which fpdf writes as UTF-16 with its own converter: that one
// only knows the Basic Multilingual Plane and panics on truncated UTF-8.
// So: valid UTF-8, runes beyond U+FFFF (emoji) as '?', no control
// characters, single spaces.
func metaText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError || r > 0xffff:
			return '?'
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			return ' '
		case r >= 0xd800 && r <= 0xdfff:
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	return strings.Join(strings.Fields(s), " ")
}

// plainASCII reports whether s is printable ASCII and '\n' only: most
// letter bodies, which sanitize returns unchanged.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n') || c >= 0x7f {
			return false
		}
	}
	return true
}

// nonStates elect a delegate or resident commissioner and no senators.
var nonStates = map[string]bool{"DC": true, "PR": true, "GU": true, "VI": true, "AS": true, "MP": true}

func stateName(code string) string {
	return congress.StateName(strings.ToUpper(strings.TrimSpace(code)))
}

// officeLabel is the seat: "California, District 11", "Senate, California",
// "Alaska, At-large", "District of Columbia".
func officeLabel(o delivery.Office) string {
	state := stateName(o.State)
	switch {
	case strings.EqualFold(o.Chamber, "senate") || (o.Chamber == "" && o.District == nil && o.Title == "Senator"):
		return "Senate, " + state
	case nonStates[strings.ToUpper(strings.TrimSpace(o.State))]:
		return state
	case o.District == nil || *o.District == 0:
		return state + ", At-large"
	default:
		return state + ", District " + strconv.Itoa(*o.District)
	}
}

// officeName is "Representative Nancy Pelosi".
func officeName(o delivery.Office) string {
	return joinNonEmpty(" ", o.Title, o.Name)
}

// fullName is the constituent's name as signed: "Dr. María José Hernández Jr.".
func fullName(c delivery.Constituent) string {
	return joinNonEmpty(" ", c.Prefix, c.FirstName, c.MiddleName, c.LastName, c.Suffix)
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// cityLine is "San Francisco, CA 94110" (ZIP omitted when zip is false).
func cityLine(c delivery.Constituent, zip bool) string {
	st := strings.ToUpper(strings.TrimSpace(c.State))
	if zip {
		st = joinNonEmpty(" ", st, c.ZIP)
	}
	return joinNonEmpty(", ", c.City, st)
}
