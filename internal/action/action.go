// Package action is the supporter's side of a campaign: the form a member
// of the public fills in, its validation, which offices their letters go
// to, the letters themselves, and the signed links in their emails.
package action

import (
	"github.com/outreach-org/outreach/internal/usstate"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/constituent"
	"github.com/outreach-org/outreach/internal/plaintext"
)

// MaxNote is the longest personal paragraph, in characters: enough for a
// few sentences, short enough that offices read it.
const MaxNote = 1500

// Form is what a supporter typed.
type Form struct {
	Prefix    string
	FirstName string
	LastName  string
	Email     string
	Address1  string
	Address2  string
	City      string
	State     string
	ZIP       string
	Phone     string
	Note      string
	District  string // a chosen candidate ("CA-11") when the ZIP is split
	OptIn     bool
}

// Errors maps a field to the i18n key of what is wrong with it.
type Errors map[string]string

// Prefixes are the honorifics Congress accepts (CWC's list).
func Prefixes() []string { return append([]string(nil), constituent.Prefixes...) }

// States are the USPS codes a constituent may live in, in form order.
var States = usstate.Codes()

// Normalize trims what people type by habit (spaces, case of codes).
func (f *Form) Normalize() {
	trim := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	f.Prefix, f.FirstName, f.LastName = strings.TrimSpace(f.Prefix), trim(f.FirstName), trim(f.LastName)
	f.Email = strings.ToLower(strings.TrimSpace(f.Email))
	f.Address1, f.Address2, f.City = trim(f.Address1), trim(f.Address2), trim(f.City)
	f.State = strings.ToUpper(strings.TrimSpace(f.State))
	f.ZIP, f.Phone = strings.TrimSpace(f.ZIP), strings.TrimSpace(f.Phone)
	f.Note = strings.TrimSpace(strings.ReplaceAll(f.Note, "\r\n", "\n"))
	f.District = strings.ToUpper(strings.TrimSpace(f.District))
}

var (
	htmlTag   = regexp.MustCompile(`<\s*/?\s*[a-zA-Z!?]`)
	nameChars = func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsMark(r) || r == ' ' || r == '-' || r == '\'' || r == '.' || r == '’'
	}
)

// Validate checks every field and returns what is wrong, keyed by field.
// Nothing is ever half accepted: the caller stores nothing unless it is
// empty.
func (f *Form) Validate() Errors {
	e := Errors{}
	if !constituent.IsPrefix(f.Prefix) {
		e["prefix"] = "act.err.prefix"
	}
	name := func(field, v string) {
		switch {
		case v == "":
			e[field] = "act.err.required"
		case utf8.RuneCountInString(v) > 50:
			e[field] = "act.err.name_long"
		case invisible(v):
			e[field] = "act.err.invisible"
		case strings.IndexFunc(v, func(r rune) bool { return !nameChars(r) }) >= 0:
			e[field] = "act.err.name_chars"
		}
	}
	name("first_name", f.FirstName)
	name("last_name", f.LastName)
	if invisible(f.Email) {
		e["email"] = "act.err.invisible" // mail.ParseAddress accepts them
	} else if a, err := mail.ParseAddress(f.Email); err != nil || a.Address != f.Email || len(f.Email) > 254 || !strings.Contains(f.Email[strings.LastIndexByte(f.Email, '@')+1:], ".") {
		e["email"] = "act.err.email"
	}
	line := func(field, v string, required bool, max int) {
		switch {
		case v == "" && required:
			e[field] = "act.err.required"
		case utf8.RuneCountInString(v) > max:
			e[field] = "act.err.too_long"
		case invisible(v):
			e[field] = "act.err.invisible"
		case hasControl(v) || strings.ContainsAny(v, "<>"):
			e[field] = "act.err.plain_text"
		}
	}
	line("address1", f.Address1, true, 100)
	line("address2", f.Address2, false, 100)
	line("city", f.City, true, 50)
	if !validState(f.State) {
		e["state"] = "act.err.state"
	}
	if _, err := congress.ParseZIP(f.ZIP); err != nil {
		e["zip"] = "act.err.zip"
	}
	if f.Phone != "" {
		// CWC's phone rule (xxx-xxx-xxxx): the form accepts exactly the
		// numbers Congress will receive.
		if p, ok := constituent.NormalizePhone(f.Phone); ok {
			f.Phone = p
		} else {
			e["phone"] = "act.err.phone"
		}
	}
	switch {
	case utf8.RuneCountInString(f.Note) > MaxNote:
		e["note"] = "act.err.note_long"
	case invisible(f.Note):
		e["note"] = "act.err.invisible"
	case htmlTag.MatchString(f.Note):
		e["note"] = "act.err.note_html"
	case hasControlExceptNewline(f.Note):
		e["note"] = "act.err.plain_text"
	}
	return e
}

func validState(s string) bool {
	for _, st := range States {
		if st == s {
			return true
		}
	}
	return false
}

// invisible says whether s holds a bidirectional override, a zero-width
// space or another invisible formatting character, which could make a
// name or address display as something other than what it says.
func invisible(s string) bool {
	_, ok := plaintext.Find(s)
	return ok
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) >= 0
}

func hasControlExceptNewline(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return (unicode.IsControl(r) && r != '\n' && r != '\t') || r == '\u2028' || r == '\u2029'
	}) >= 0
}
