package cwc

import (
	"regexp"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/constituent"
	"github.com/outreach-org/outreach/internal/delivery"
)

// Version is the CWCVersion this package writes.
const Version = "2.0"

var (
	deliveryIDRe = regexp.MustCompile(`^[A-Za-z0-9]{32}$`) // schema uid_type
	officeCodeRe = regexp.MustCompile(`^[HS][A-Z]{2}[0-9]{2}$`)
	// emailRe follows the schema's email_type ([^@]+@[^.]+\..+), tightened
	// to one "@" and no spaces.
	emailRe = regexp.MustCompile(`^[^@\s]+@[^@.\s]+\.[^@\s]+$`)
	zipRe   = regexp.MustCompile(`^([0-9]{5})(?:-?([0-9]{4}))?$`)
)

// ValidationError lists why a message or configuration cannot be written
// as CWC XML. Problems name fields ("Constituent.Zip: ...") and never
// quote their values, so the error is safe to log and to show on a
// letter's timeline.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "cwc: invalid: " + strings.Join(e.Problems, "; ")
}

// BuildXML renders m as a CWC 2.0 document dated date (DeliveryDate is
// date's calendar day in date's location, YYYYMMDD). It is pure: it
// validates cfg's delivery-agent fields and m, and returns a
// *ValidationError naming every bad field instead of XML CWC would refuse.
//
// Mapping: DeliveryId = m.DeliveryID; CampaignId = m.Campaign.Slug;
// MemberOffice = m.Office.Code; LibraryOfCongressTopic = m.Campaign.LOCTopic;
// ConstituentMessage is the whole letter the supporter reviewed
// (delivery.Compose: greeting, the template rendered for them and this
// office with their own paragraph where the template puts it, the figures
// citation; the constituent's details travel in Constituent, not in the
// text) and OrganizationStatement the campaign's organization statement,
// left out when the campaign has none. The letter is required. Phone is
// normalized to xxx-xxx-xxxx or left out; Zip must be 5 digits or ZIP+4.
func BuildXML(cfg Config, m delivery.Message, date time.Time) ([]byte, error) {
	v := &validator{}
	id := cfg.identity(v)

	deliveryID := strings.TrimSpace(m.DeliveryID)
	if !deliveryIDRe.MatchString(deliveryID) {
		v.add("Message.DeliveryID", "must be 32 letters or digits")
	}
	campaignID := v.line("Campaign.Slug", m.Campaign.Slug, true)
	office := strings.ToUpper(strings.TrimSpace(m.Office.Code))
	if !officeCodeRe.MatchString(office) {
		v.add("Office.Code", `must be "H" or "S", a state abbreviation and two digits`)
	}
	topic, ok := CanonicalTopic(m.Campaign.LOCTopic)
	if !ok {
		v.add("Campaign.LOCTopic", "must be one of the 32 Library of Congress policy areas (cwc.Topics)")
	}

	c := m.From
	prefix, ok := constituent.CanonicalPrefix(c.Prefix)
	if !ok {
		v.add("Constituent.Prefix", "must be one of constituent.Prefixes")
	}
	first := v.line("Constituent.FirstName", c.FirstName, true)
	middle := v.line("Constituent.MiddleName", c.MiddleName, false)
	last := v.line("Constituent.LastName", c.LastName, true)
	suffix := v.line("Constituent.Suffix", c.Suffix, false)
	addr1 := v.line("Constituent.Address1", c.Address1, true)
	addr2 := v.line("Constituent.Address2", c.Address2, false)
	city := v.line("Constituent.City", c.City, true)
	state := strings.ToUpper(strings.TrimSpace(c.State))
	if !stateCodes[state] {
		v.add("Constituent.State", "must be a two-letter state or territory abbreviation")
	}
	zip, ok := NormalizeZIP(c.ZIP)
	if !ok {
		v.add("Constituent.ZIP", "must be 5 digits or ZIP+4 (12345-6789)")
	}
	phone, _ := constituent.NormalizePhone(c.Phone) // optional: omitted when not a US number
	email := v.email("Constituent.Email", c.Email, true)

	subject := v.line("Message.Subject", m.Subject, true)
	composed := delivery.Compose(m, delivery.NoSender)
	statement := cleanText(composed.Statement)
	letter := cleanText(composed.Letter())
	if letter == "" {
		v.add("Message.Body", "the letter (ConstituentMessage) is required")
	}
	if err := v.err(); err != nil {
		return nil, err
	}

	w := newWriter()
	w.open("CWC")
	w.leaf("CWCVersion", Version)

	w.open("Delivery")
	w.leaf("DeliveryId", deliveryID)
	w.leaf("DeliveryDate", date.Format("20060102"))
	w.leaf("DeliveryAgent", id.agent)
	w.leaf("DeliveryAgentAckEmailAddress", id.ackEmail)
	w.open("DeliveryAgentContact")
	w.leaf("DeliveryAgentContactName", id.agentContact.Name)
	w.leaf("DeliveryAgentContactEmail", id.agentContact.Email)
	w.leaf("DeliveryAgentContactPhone", id.agentContact.Phone)
	w.close("DeliveryAgentContact")
	w.optional("Organization", id.org)
	if id.orgContact != (Contact{}) {
		w.open("OrganizationContact")
		w.leaf("OrganizationContactName", id.orgContact.Name)
		w.leaf("OrganizationContactEmail", id.orgContact.Email)
		w.leaf("OrganizationContactPhone", id.orgContact.Phone)
		w.close("OrganizationContact")
	}
	w.optional("OrganizationAbout", id.orgAbout)
	w.leaf("CampaignId", campaignID)
	w.close("Delivery")

	w.open("Recipient")
	w.leaf("MemberOffice", office)
	w.close("Recipient")

	w.open("Constituent")
	w.leaf("Prefix", prefix)
	w.leaf("FirstName", first)
	w.optional("MiddleName", middle)
	w.leaf("LastName", last)
	w.optional("Suffix", suffix)
	w.leaf("Address1", addr1)
	w.optional("Address2", addr2)
	w.leaf("City", city)
	w.leaf("StateAbbreviation", state)
	w.leaf("Zip", zip)
	w.optional("Phone", phone)
	w.leaf("Email", email)
	w.close("Constituent")

	w.open("Message")
	w.leaf("Subject", subject)
	w.open("LibraryOfCongressTopics")
	w.leaf("LibraryOfCongressTopic", topic)
	w.close("LibraryOfCongressTopics")
	w.optional("OrganizationStatement", statement)
	w.leaf("ConstituentMessage", letter)
	w.close("Message")

	w.close("CWC")
	return w.bytes(), nil
}

// NormalizeZIP returns a ZIP code as 12345 or 12345-6789 (a nine-digit
// run gets its hyphen).
func NormalizeZIP(s string) (string, bool) {
	m := zipRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	if m[2] != "" {
		return m[1] + "-" + m[2], true
	}
	return m[1], true
}

// validator collects problems; its helpers clean values on the way.
type validator struct{ problems []string }

func (v *validator) add(field, why string) { v.problems = append(v.problems, field+": "+why) }

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

// line cleans a single-line field: a line break is refused, other control
// characters are dropped, surrounding space trimmed.
func (v *validator) line(field, s string, required bool) string {
	if hasLineBreak(s) {
		v.add(field, "must be a single line")
		return ""
	}
	s = cleanLine(s)
	if required && s == "" {
		v.add(field, "is required")
	}
	return s
}

func (v *validator) email(field, s string, required bool) string {
	s = v.line(field, s, required)
	if s != "" && !emailRe.MatchString(s) {
		v.add(field, "must be an email address")
	}
	return s
}

func hasLineBreak(s string) bool {
	return strings.ContainsAny(s, "\r\n\v\f\u0085\u2028\u2029")
}

// cleanLine makes s safe for a single-line element: invalid UTF-8 becomes
// U+FFFD, tabs become spaces, other control characters (C0, DEL, C1) and
// the XML non-characters U+FFFE/U+FFFF are dropped.
func cleanLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case isControl(r):
			return -1
		}
		return r
	}, s))
}

// cleanText is cleanLine for multi-line text: line breaks of every kind
// become "\n" and survive; leading and trailing blank space is trimmed.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n\n").Replace(s)
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if isControl(r) {
			return -1
		}
		return r
	}, s))
}

func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0xFFFE || r == 0xFFFF
}

// writer emits indented XML. Element names are constants of this file;
// every value goes through escape.
type writer struct {
	b     strings.Builder
	depth int
}

func newWriter() *writer {
	w := &writer{}
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	return w
}

func (w *writer) indent() { w.b.WriteString(strings.Repeat("  ", w.depth)) }

func (w *writer) open(name string) {
	w.indent()
	w.b.WriteString("<" + name + ">\n")
	w.depth++
}

func (w *writer) close(name string) {
	w.depth--
	w.indent()
	w.b.WriteString("</" + name + ">\n")
}

func (w *writer) leaf(name, value string) {
	w.indent()
	w.b.WriteString("<" + name + ">")
	w.b.WriteString(escape(value))
	w.b.WriteString("</" + name + ">\n")
}

// optional writes the element only when it has a value: CWC's optional
// elements are left out, never sent empty.
func (w *writer) optional(name, value string) {
	if value != "" {
		w.leaf(name, value)
	}
}

func (w *writer) bytes() []byte { return []byte(w.b.String()) }

var xmlEscaper = strings.NewReplacer(
	"&", "&amp;",
	"<", "&lt;",
	">", "&gt;",
	`"`, "&quot;",
	"'", "&apos;",
)

// escape escapes the five XML special characters. Line breaks and tabs
// stay literal (they are text in element content), control characters were
// removed by cleanLine/cleanText.
func escape(s string) string { return xmlEscaper.Replace(s) }
