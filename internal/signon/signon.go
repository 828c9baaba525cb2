// Package signon is the domain of coalition sign-on letters: the public
// form an organization fills in to sign (and its validation), the keys
// that find duplicate signatories, and the letter each targeted office
// receives, with the list of approved signatories after the text staff
// wrote. It knows nothing of HTTP or SQL.
package signon

import (
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/outreach-org/outreach/internal/plaintext"
	"github.com/outreach-org/outreach/internal/usstate"
)

// Limits, in characters.
const (
	MaxOrganization = 150
	MaxCity         = 60
	MaxContact      = 100
	MaxWebsite      = 200
)

// Form is what an organization typed on the sign-on form.
type Form struct {
	Organization string
	City         string
	State        string
	ContactName  string
	Email        string
	Website      string
}

// Errors maps a field to the i18n key of what is wrong with it.
type Errors map[string]string

// Fields are the form's fields in page order, with their label keys.
var Fields = []struct{ Name, Label string }{
	{"organization", "sign.organization"}, {"city", "sign.city"}, {"state", "sign.state"},
	{"contact_name", "sign.contact_name"}, {"email", "sign.email"}, {"org_website", "sign.website"},
}

// Normalize trims what people type by habit.
func (f *Form) Normalize() {
	trim := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	f.Organization, f.City, f.ContactName = trim(f.Organization), trim(f.City), trim(f.ContactName)
	f.State = strings.ToUpper(strings.TrimSpace(f.State))
	f.Email = strings.ToLower(strings.TrimSpace(f.Email))
	f.Website = strings.TrimSpace(f.Website)
}

// Validate checks every field; nothing is stored unless it is empty. A
// website without a scheme gets https://.
func (f *Form) Validate() Errors {
	e := Errors{}
	line := func(field, v string, required bool, max int) {
		switch {
		case v == "" && required:
			e[field] = "sign.err.required." + field
		case utf8.RuneCountInString(v) > max:
			e[field] = "sign.err.too_long"
		case invisible(v):
			e[field] = "act.err.invisible"
		case strings.ContainsAny(v, "<>") || strings.IndexFunc(v, unicode.IsControl) >= 0:
			e[field] = "act.err.plain_text"
		}
	}
	line("organization", f.Organization, true, MaxOrganization)
	line("city", f.City, true, MaxCity)
	if !slices.Contains(usstate.Codes(), f.State) {
		e["state"] = "sign.err.state"
	}
	line("contact_name", f.ContactName, true, MaxContact)
	switch {
	case f.Email == "":
		e["email"] = "sign.err.required.email"
	case invisible(f.Email):
		e["email"] = "act.err.invisible"
	default:
		if a, err := mail.ParseAddress(f.Email); err != nil || a.Address != f.Email || len(f.Email) > 254 || !strings.Contains(Domain(f.Email), ".") {
			e["email"] = "act.err.email"
		}
	}
	if f.Website != "" {
		w := f.Website
		if !strings.Contains(w, "://") {
			w = "https://" + w
		}
		u, err := url.Parse(w)
		switch {
		case utf8.RuneCountInString(w) > MaxWebsite:
			e["org_website"] = "sign.err.too_long"
		case invisible(w) || strings.ContainsAny(w, "<> \"'"):
			e["org_website"] = "sign.err.website"
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.Contains(u.Hostname(), ".") || u.User != nil:
			e["org_website"] = "sign.err.website"
		default:
			f.Website = w
		}
	}
	return e
}

func invisible(s string) bool { _, ok := plaintext.Find(s); return ok }

// Domain is the part of an email address after the @, lower case.
func Domain(email string) string {
	return strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
}

// webmail are providers whose addresses say nothing of the organization:
// two contacts on gmail.com are not the same organization.
var webmail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "yahoo.com": true, "hotmail.com": true, "outlook.com": true, "live.com": true,
	"msn.com": true, "aol.com": true, "icloud.com": true, "me.com": true, "mac.com": true, "protonmail.com": true, "proton.me": true,
	"gmx.com": true, "mail.com": true, "comcast.net": true, "att.net": true, "verizon.net": true, "sbcglobal.net": true,
	"ymail.com": true, "zoho.com": true, "fastmail.com": true, "hey.com": true, "yahoo.com.mx": true, "hotmail.es": true,
}

// OrgDomain is the email's domain when it is an organization's own (not
// a webmail provider's), else "".
func OrgDomain(email string) string {
	d := Domain(email)
	if webmail[d] {
		return ""
	}
	return d
}

// noise are words organizations' names carry or drop at will ("The
// Florence Project", "Florence Project, Inc.").
var noise = map[string]bool{"the": true, "inc": true, "incorporated": true, "llc": true, "corp": true, "co": true,
	"of": true, "and": true, "for": true, "a": true, "an": true, "org": true, "ltd": true, "nfp": true, "pc": true}

// NameKey is an organization's name reduced for comparison: accents,
// case, punctuation, "&" and words like "the" and "Inc." dropped. "The
// Florence Project, Inc." and "florence project" have the same key.
func NameKey(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	var words []string
	for _, w := range strings.Fields(b.String()) {
		if !noise[w] {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return strings.Join(strings.Fields(b.String()), " ")
	}
	return strings.Join(words, " ")
}

// SiteKey is a website reduced to its host without "www.": two sign-ons
// with https://www.example.org/about and example.org are the same site.
func SiteKey(website string) string {
	if website == "" {
		return ""
	}
	if !strings.Contains(website, "://") {
		website = "https://" + website
	}
	u, err := url.Parse(website)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}
