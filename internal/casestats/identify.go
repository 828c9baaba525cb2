package casestats

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Patterns for identifying data. They run only on values that are not
// allowed values, so they cost nothing on the import fast path.
var (
	reEmail = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[^\s@]+`)
	// "A" + 8 or 9 digits, with optional "#", "-", ":", ".", "No." or
	// "number" after the A and spaces, dashes or dots between digits.
	reANumber = regexp.MustCompile(`(?i)(?:^|[^\pL\pN])a\s*(?:[-#:.]\s*)?(?:(?:no|n[º°]|num|number|n[úu]mero)\.?\s*[-#:.]?\s*)?\d(?:[\s.-]?\d){7,8}(?:$|[^\pN])`)
	reSSN     = regexp.MustCompile(`(?:^|[^\pN])\d{3}[- ]\d{2}[- ]\d{4}(?:$|[^\pN])`)
	reDateISO = regexp.MustCompile(`(?:^|[^\pN])(?:1[89]|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])(?:$|[^\pN])`)
	reDateUS  = regexp.MustCompile(`(?:^|[^\pN])\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?:$|[^\pN])`)
	// month-year or month/day alone: 2018-06, 06/2018, 6/14
	reDateShort = regexp.MustCompile(`^(?:(?:1[89]|20)\d{2}[-/](?:0?[1-9]|1[0-2])|(?:0?[1-9]|1[0-2])[-/](?:1[89]|20)\d{2}|\d{1,2}/\d{1,2})$`)
	reMonth     = regexp.MustCompile(`(?i)(?:^|[^\pL])(?:jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september|oct|october|nov|november|dec|december|ene|enero|febrero|marzo|abr|abril|mayo|junio|julio|ago|agosto|septiembre|setiembre|octubre|noviembre|dic|diciembre)\.?(?:$|[^\pL])`)
	reDigits    = regexp.MustCompile(`\d`)
	rePhone     = []*regexp.Regexp{
		regexp.MustCompile(`\(\s*\d{3}\s*\)\s*\d{3}[\s.-]?\d{4}`),
		regexp.MustCompile(`(?:^|[^\pN])\d{3}[\s.-]\d{3}[\s.-]\d{4}(?:$|[^\pN])`),
		regexp.MustCompile(`\+\s?\d(?:[\s().-]{0,2}\d){6,14}`),
		regexp.MustCompile(`(?:^|[^\pN])1?\d{10}(?:$|[^\pN])`),
	}
	// passport, FIN, booking and similar numbers: letters then 6-9 digits
	reDocNumber = regexp.MustCompile(`(?i)(?:^|[^\pL\pN])[a-z]{1,3}[-#]?\d{6,9}(?:$|[^\pN])`)
	reAddress   = regexp.MustCompile(`(?i)\d+\s+(?:[\pL.'-]+\s+){0,4}(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|way|ct|court|hwy|highway|calle|avenida|apt|suite|ste)\.?(?:$|[^\pL])|(?:p\.?\s*o\.?\s*box|apartado)\s*\d`)
	reAge       = regexp.MustCompile(`(?i)(?:^|[^\pL\pN])\d{1,2}\s*(?:y/?o|yrs?|years?|a[ñn]os?|months?|meses|mos?)(?:$|[^\pL])|(?:^|[^\pL])(?:age|aged|edad)\s*:?\s*\d{1,2}(?:$|[^\pN])`)
	reZIP       = regexp.MustCompile(`^\d{5}(?:-\d{4})?$`)
	reLongNum   = regexp.MustCompile(`\d(?:[\s.-]?\d){6,}`)
)

// Languages whose names must not be stored (the spoken language of a rare
// language community identifies a person). Compared without accents,
// apostrophes or case.
var languageNames = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Fields(`spanish espanol english ingles portuguese portugues
		kiche quiche mam qeqchi kekchi kaqchikel cakchiquel qanjobal kanjobal akateko
		awakateko ixil chuj popti jakalteko tzutujil poqomchi poqomam achi sipakapense
		chorti garifuna mixteco mixtec zapoteco zapotec nahuatl triqui trique tzotzil tzeltal
		mazateco mazatec otomi chinanteco mixe tojolabal chol lenca miskito pech
		creole kreyol haitian french frances arabic hindi punjabi gujarati bengali nepali
		tigrinya amharic somali russian romanian romani turkish chinese mandarin cantonese
		vietnamese lingala swahili wolof fula pulaar quechua kichwa aymara guarani`) {
		m[l] = true
	}
	return m
}()

func foldLanguage(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case '\'', '’', '`', '-', ' ':
			continue
		case 'á', 'à':
			r = 'a'
		case 'é', 'è':
			r = 'e'
		case 'í':
			r = 'i'
		case 'ó', 'ò':
			r = 'o'
		case 'ú', 'ü':
			r = 'u'
		case 'ñ':
			r = 'n'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maxValueLen bounds the text a value may hold before it is treated as free
// text without further inspection.
const maxValueLen = 256

// LooksIdentifying reports whether s looks like identifying data and, if so,
// what kind, as a phrase with its article ("an A-number", "a date", "a
// name", "free text"). It recognises A-numbers in any spelling, Social
// Security numbers, bare 8- and 9-digit and other long numbers, document
// numbers, dates (numeric and with month names, English and Spanish), email
// addresses, phone numbers, street addresses, ZIP codes, exact ages,
// language names, personal names (two or more capitalised words) and free
// text (two or more words). Single lower-case tokens such as the allowed
// values ("2018-Q2", "14-17", "deported_without_child", "TX") do not match.
func LooksIdentifying(s string) (kind string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if len(s) > maxValueLen {
		return "free text", true
	}
	if !utf8.ValidString(s) {
		return "free text", true
	}
	switch {
	case reEmail.MatchString(s):
		return "an email address", true
	case reANumber.MatchString(s):
		return "an A-number", true
	case reSSN.MatchString(s):
		return "a Social Security number", true
	case reDateISO.MatchString(s), reDateUS.MatchString(s), reDateShort.MatchString(s),
		reMonth.MatchString(s) && reDigits.MatchString(s):
		return "a date", true
	}
	for _, re := range rePhone {
		if re.MatchString(s) {
			return "a phone number", true
		}
	}
	switch {
	case reDocNumber.MatchString(s):
		return "a document number", true
	case reAddress.MatchString(s):
		return "an address", true
	case reAge.MatchString(s):
		return "an exact age", true
	case reZIP.MatchString(s):
		return "a ZIP code", true
	}
	if m := reLongNum.FindString(s); m != "" {
		if n := len(reDigits.FindAllString(m, -1)); n == 8 || n == 9 {
			return "an identification number", true
		}
		return "a long number", true
	}
	if languageNames[foldLanguage(s)] {
		return "a language name", true
	}
	words := strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' })
	if len(words) >= 2 {
		names := true
		for _, w := range words {
			if !nameLike(w) {
				names = false
				break
			}
		}
		if names {
			return "a name", true
		}
		for _, w := range words {
			if strings.IndexFunc(w, unicode.IsLetter) >= 0 {
				return "free text", true
			}
		}
	}
	return "", false
}

// nameLike: a capitalised word of letters (and ' - .), e.g. "María",
// "O'Brien", "García-López", "J.".
func nameLike(w string) bool {
	first := true
	for _, r := range w {
		if first {
			if !unicode.IsUpper(r) {
				return false
			}
			first = false
			continue
		}
		if !unicode.IsLetter(r) && r != '\'' && r != '’' && r != '-' && r != '.' {
			return false
		}
	}
	return !first
}
