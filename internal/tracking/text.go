package tracking

import (
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// HTMLToText turns an email's HTML body into plain text: tags are dropped,
// entities decoded, script, style and head contents removed, block
// elements become line breaks and links keep their address in brackets.
// The result is text, to be shown escaped, never rendered as HTML. At most
// limit characters are returned (0: no limit).
func HTMLToText(src string, limit int) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				return CleanText(b.String(), limit)
			}
			return CleanText(b.String(), limit)
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title", "noscript", "template":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch tag {
			case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr", "ul", "ol":
				b.WriteByte('\n')
			case "td", "th":
				b.WriteByte(' ')
			case "a":
				if tt == html.StartTagToken && hasAttr {
					for {
						k, v, more := z.TagAttr()
						if string(k) == "href" {
							href := string(v)
							if strings.HasPrefix(href, "http://") || strings.HasPrefix(href, "https://") || strings.HasPrefix(href, "mailto:") {
								b.WriteString(" [" + href + "] ")
							}
						}
						if !more {
							break
						}
					}
				}
			}
			if b.Len() > 4*limit && limit > 0 {
				return CleanText(b.String(), limit)
			}
		}
	}
}

var (
	spaces     = regexp.MustCompile(`[ \t\f\v\x{00a0}]+`)
	blankLines = regexp.MustCompile(`\n{3,}`)
)

// CleanText normalizes plain text for storage: valid UTF-8, no NUL or other
// control characters but newlines and tabs, runs of blanks collapsed, at
// most limit characters (0: no limit).
func CleanText(s string, limit int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		}
		return r
	}, s)
	lines := strings.Split(spaces.ReplaceAllString(s, " "), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	s = strings.TrimSpace(blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
	if limit > 0 && utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit])
	}
	return s
}
