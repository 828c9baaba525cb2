// Package redact hides a known person's details in text shown to staff
// who may read a message but not whom it is about: the values are known
// (the sender of a letter), so they are replaced wherever they appear,
// as whole words, whatever their case.
package redact

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Value is one detail to hide and the label shown instead ("name").
type Value struct {
	Label string
	Text  string
}

// Known replaces every whole-word occurrence of each value in text by
// "[label]". Longer values go first, so "Ana García" is hidden as one
// before "Ana" alone. Values of fewer than two letters or digits are left
// alone (an initial would hide every "a").
func Known(text string, values ...Value) string {
	vs := make([]Value, 0, len(values))
	for _, v := range values {
		v.Text = strings.TrimSpace(v.Text)
		if significant(v.Text) >= 2 {
			vs = append(vs, v)
		}
	}
	sort.SliceStable(vs, func(i, j int) bool { return len(vs[i].Text) > len(vs[j].Text) })
	for _, v := range vs {
		text = replaceWord(text, v.Text, "["+v.Label+"]")
	}
	return text
}

func significant(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// replaceWord replaces value in text, case-insensitively, where it is not
// part of a longer word.
func replaceWord(text, value, with string) string {
	re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(value))
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringIndex(text, -1) {
		if !boundaryBefore(text, m[0]) || !boundaryAfter(text, m[1]) {
			continue
		}
		b.WriteString(text[last:m[0]])
		b.WriteString(with)
		last = m[1]
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func boundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !wordRune(r)
}

func boundaryAfter(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !wordRune(r)
}

// Email hides an address but its shape: the first letter of the mailbox
// and the top-level domain ("a•••@•••.org"), enough to tell two apart in
// a list without saying whose they are.
func Email(addr string) string {
	local, domain, ok := strings.Cut(strings.TrimSpace(addr), "@")
	if !ok || local == "" {
		return "•••"
	}
	first, _ := utf8.DecodeRuneInString(local)
	tld := ""
	if i := strings.LastIndexByte(domain, '.'); i >= 0 {
		tld = domain[i:]
	}
	return string(first) + "•••@•••" + tld
}

// Digits is s with everything but its digits removed: a phone number as
// "4155550134", to hide it however it was written.
func Digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
