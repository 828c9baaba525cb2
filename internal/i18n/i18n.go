// Package i18n holds the interface text in English and Spanish and picks a
// language for each request: an explicit choice first, then the browser's
// Accept-Language. Many supporters read Spanish; every public string lives
// here so that no page ships half-translated (a test checks both catalogs
// have the same keys).
package i18n

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

// Lang is a supported language code.
type Lang string

const (
	English Lang = "en"
	Spanish Lang = "es"
)

// Supported lists the languages in the order the switcher shows them.
var Supported = []Lang{English, Spanish}

var matcher = language.NewMatcher([]language.Tag{language.English, language.Spanish})

// Parse returns the supported language named by s, if any.
func Parse(s string) (Lang, bool) {
	switch s {
	case "en", "EN", "en-US":
		return English, true
	case "es", "ES", "es-US", "es-MX":
		return Spanish, true
	}
	return "", false
}

// FromAcceptLanguage makes the first guess from the browser's header.
func FromAcceptLanguage(header string) Lang {
	if header == "" {
		return English
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return English
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return English
	}
	if idx == 1 {
		return Spanish
	}
	return English
}

// Name is the language's own name, for the switcher.
func (l Lang) Name() string {
	if l == Spanish {
		return "Español"
	}
	return "English"
}

// TG is T for words that agree with a person's gender ("F", "M" or ""):
// the language's own form for the gender (key + ".F" or ".M") when it has
// one, otherwise key's ("Senador(a)" in Spanish, "Senator" in English).
func (l Lang) TG(key, gender string, args ...any) string {
	if gender != "" {
		if cat := catalogs[l]; cat != nil {
			if _, ok := cat[key+"."+gender]; ok {
				return l.T(key+"."+gender, args...)
			}
		}
	}
	return l.T(key, args...)
}

// MemberPhrase is a member as a sentence names them: in Spanish with the
// article that agrees with them ("el senador Alex Padilla", "la
// representante Nancy Pelosi"; T joins it to a preceding "a" or "de"),
// in English the title and name ("Senator Alex Padilla"). Without a
// gender, the title alone, as on the pages' cards.
func (l Lang) MemberPhrase(title, gender, name string) string {
	return l.TG("lookup.the."+title, gender) + " " + name
}

// contraction is Spanish's "a el" and "de el" before a member's title
// (MemberPhrase: "el senador"), the only place they arise: after any
// other character than a letter, at the start of a sentence too ("De el
// senador" is "Del senador").
var contraction = regexp.MustCompile(`(^|[^\p{L}])([Aa]|[Dd]e) el (senador|representante|delegado|comisionado)`)

// Contract writes Spanish's contractions before a member's title in a
// Spanish text ("pedirle a el senador Alex Padilla" reads "pedirle al
// senador ..."): T does it to every message with arguments, and a text
// written by staff with a member's phrase in it (a call script, a
// letter's Spanish rendering) needs it too. English texts are returned
// as they are.
func (l Lang) Contract(s string) string {
	if l != Spanish || !strings.Contains(s, "a el ") && !strings.Contains(s, "e el ") {
		return s
	}
	return contraction.ReplaceAllString(s, "${1}${2}l ${3}")
}

// T translates key into l, formatting args like fmt.Sprintf. A missing key
// shows itself in brackets so it is noticed, never a blank.
func (l Lang) T(key string, args ...any) string {
	cat := catalogs[l]
	if cat == nil {
		cat = catalogs[English]
	}
	s, ok := cat[key]
	if !ok {
		if s, ok = catalogs[English][key]; !ok {
			return "[" + key + "]"
		}
	}
	if len(args) > 0 {
		s = l.Contract(fmt.Sprintf(s, args...))
	}
	return s
}

// N translates a message that depends on a count: key+".one" when n is 1,
// key+".other" otherwise (English and Spanish have these two forms for
// whole numbers), formatted with n first and then args. "1 letters" and
// "carta(s)" are what it is for.
func (l Lang) N(key string, n int, args ...any) string {
	form := ".other"
	if n == 1 || n == -1 {
		form = ".one"
	}
	if s := l.T(key + form); !strings.Contains(s, "%") {
		return s // "Your letter is on its way": the count goes without saying
	}
	return l.T(key+form, append([]any{n}, args...)...)
}

// Keys lists every key of a catalog, sorted (for tests).
func Keys(l Lang) []string {
	var ks []string
	for k := range catalogs[l] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

var catalogs = map[Lang]map[string]string{
	English: en,
	Spanish: es,
}
