package cwc

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/outreach-org/outreach/internal/constituent"
	"github.com/outreach-org/outreach/internal/delivery"
)

// APIError is CWC's refusal of a message: the HTTP status and the text of
// every <Error> element in the body, in order.
//
// Shapes handled (public clients parse "the text of every Error element",
// electorateme/cwc lib/cwc/utils/xml.rb; EFF's Cwc::BadRequest exposes the
// same list as #errors):
//
//	<Errors><Error>The 'Zip' element is invalid ...</Error><Error>...</Error></Errors>
//	<Error>Invalid API key</Error>
//
// at any depth, and <Error><Message>...</Message></Error> (child text is
// joined). A body without <Error> elements yields its text, tags dropped,
// as one message. Messages are trimmed to 300 characters, at most 20 are
// kept, and Send redacts them (see the package documentation) before the
// error leaves the package.
type APIError struct {
	Status   int
	Messages []string
}

func (e *APIError) Error() string {
	if len(e.Messages) == 0 {
		return fmt.Sprintf("cwc: HTTP %d", e.Status)
	}
	return fmt.Sprintf("cwc: HTTP %d: %s", e.Status, strings.Join(e.Messages, "; "))
}

// detail is the short form for a letter's timeline.
func (e *APIError) detail() string {
	if len(e.Messages) == 0 {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, strings.Join(e.Messages, "; "))
}

const (
	maxMessages   = 20
	maxMessageLen = 300
)

func parseAPIError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var (
		depth int // > 0 while inside an <Error>
		text  strings.Builder
		all   strings.Builder // every text node, for bodies without <Error>
		sawEl bool
	)
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			sawEl = true
			if depth > 0 {
				depth++
				text.WriteByte(' ')
			} else if strings.EqualFold(t.Name.Local, "Error") {
				depth = 1
				text.Reset()
			}
		case xml.EndElement:
			if depth > 0 {
				depth--
				if depth == 0 {
					e.add(text.String())
				} else {
					text.WriteByte(' ')
				}
			}
		case xml.CharData:
			if depth > 0 {
				text.Write(t)
			}
			all.Write(t)
			all.WriteByte(' ')
		}
	}
	if len(e.Messages) == 0 {
		if sawEl {
			e.add(all.String())
		} else {
			e.add(string(body))
		}
	}
	return e
}

func (e *APIError) add(s string) {
	s = strings.Join(strings.Fields(cleanLine(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s))), " ")
	if s == "" || len(e.Messages) >= maxMessages {
		return
	}
	e.Messages = append(e.Messages, truncate(s, maxMessageLen))
}

// quotedValue finds the value CWC quotes back in validation messages
// ("The value 'x' is invalid according to its datatype ...").
var quotedValue = regexp.MustCompile(`(?i)(\bvalue\s*:?\s*)('[^']*'|"[^"]*"|‘[^’]*’|“[^”]*”)`)

// redact removes the constituent's data (and the API keys) from the
// messages: quoted values, then any secret of three or more characters,
// case-insensitively.
func (e *APIError) redact(secrets []string) {
	var alts []string
	seen := map[string]bool{}
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len([]rune(s)) < 3 || seen[strings.ToLower(s)] {
			continue
		}
		seen[strings.ToLower(s)] = true
		alts = append(alts, regexp.QuoteMeta(s))
	}
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	var re *regexp.Regexp
	if len(alts) > 0 {
		re = regexp.MustCompile(`(?i)` + strings.Join(alts, "|"))
	}
	for i, m := range e.Messages {
		m = quotedValue.ReplaceAllString(m, "${1}'[redacted]'")
		if re != nil {
			m = re.ReplaceAllString(m, "[redacted]")
		}
		e.Messages[i] = m
	}
}

// secretsOf lists what must never appear in an error: the constituent's
// fields (raw and normalized) and the API keys.
func secretsOf(m delivery.Message, cfg Config) []string {
	c := m.From
	s := []string{
		c.FirstName, c.MiddleName, c.LastName, c.Suffix,
		c.Address1, c.Address2, c.City, c.ZIP, c.Phone, c.Email,
		cfg.HouseAPIKey, cfg.SenateAPIKey,
		c.FirstName + " " + c.LastName,
	}
	if p, ok := constituent.NormalizePhone(c.Phone); ok {
		s = append(s, p, strings.ReplaceAll(p, "-", ""))
	}
	if z, ok := NormalizeZIP(c.ZIP); ok {
		s = append(s, z)
	}
	if at := strings.LastIndexByte(c.Email, '@'); at > 0 {
		s = append(s, c.Email[:at]) // the mailbox alone identifies too
	}
	return s
}
