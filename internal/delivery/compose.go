package delivery

import "strings"

// Composed is the delivered form of one letter: what the supporter
// reviews on the campaign page, what their copy email shows and what
// every channel carries. Compose is the only place it is made, so the
// review page, the supporter's copy, CWC, SendGrid, the printed packet and
// the outbox cannot drift apart.
type Composed struct {
	Subject string
	// Salutation is the greeting line ("Dear Senator Kelly,") when the
	// template does not print {{.salutation}} itself; "" when it does
	// (the greeting is then in Body, where the template puts it).
	Salutation string
	// Body is the campaign template rendered for this supporter and
	// office, with their own paragraph where the template puts it.
	Body string
	// Citation says which statistics release the letter's figures come
	// from ("" when the letter quotes none or the campaign turned the
	// line off).
	Citation string
	// Statement is the campaign's organization statement, rendered
	// ("" when the campaign has none), and StatementHeading its heading
	// in the one-text forms ("Statement from Families Together:").
	Statement        string
	StatementHeading string
	// Sender is the sender block, one line each, as the channel needs it
	// (see SenderBlock).
	Sender []string
}

// SenderBlock says which of the supporter's details a channel prints in
// the letter.
type SenderBlock int

const (
	// NoSender: the channel carries the constituent in fields of its own
	// (CWC's Constituent element), not in the letter text.
	NoSender SenderBlock = iota
	// PostalSender: name and postal address (the printed packet: what an
	// office matches against its constituent records; paper carries no
	// email or phone).
	PostalSender
	// FullSender: name, postal address, email and phone (email to an
	// office, the outbox, the review page, the supporter's copy): an
	// office answering by email or phone needs them in the text, because
	// the message comes from the organization's address.
	FullSender
)

// Compose makes the delivered form of m with the sender block a channel
// needs.
func Compose(m Message, sb SenderBlock) Composed {
	c := Composed{
		Subject:    strings.TrimSpace(m.Subject),
		Salutation: strings.TrimSpace(m.Salutation),
		Body:       strings.Trim(m.Body, "\n"),
		Citation:   strings.TrimSpace(m.Citation),
		Statement:  strings.Trim(m.OrganizationStatement, "\n"),
	}
	if strings.TrimSpace(c.Body) == "" {
		c.Body = ""
	}
	if strings.TrimSpace(c.Statement) == "" {
		c.Statement = ""
	}
	if c.Statement != "" {
		c.StatementHeading = StatementHeading(m.Organization)
	}
	c.Sender = senderLines(m.From, sb)
	return c
}

// StatementHeading heads the organization statement in the one-text forms
// of a letter.
func StatementHeading(org string) string {
	if org = strings.Join(strings.Fields(org), " "); org != "" {
		return "Statement from " + org + ":"
	}
	return "Statement from the organization:"
}

// Letter is the constituent's letter: the greeting (when the template has
// none), the rendered template and the figures citation. It is CWC's
// ConstituentMessage, and the first part of every one-text form.
func (c Composed) Letter() string {
	return joinParts(c.Salutation, c.Body, c.Citation)
}

// SenderText is the sender block as text, one line each.
func (c Composed) SenderText() string { return strings.Join(c.Sender, "\n") }

// StatementText is the organization statement under its heading, or "".
func (c Composed) StatementText() string {
	if c.Statement == "" {
		return ""
	}
	return c.StatementHeading + "\n" + c.Statement
}

// Text is the whole letter as one text, as an office reads it by email and
// as the review page and the outbox show it: the letter, the sender block
// (as composed), then the organization statement, separated by blank
// lines.
func (c Composed) Text() string {
	return joinParts(c.Letter(), c.SenderText(), c.StatementText())
}

// TextWithoutSender is Text without the sender block, for a channel that
// prints the sender elsewhere (the packet puts it at the head of the page).
func (c Composed) TextWithoutSender() string {
	return joinParts(c.Letter(), c.StatementText())
}

func joinParts(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(p)
	}
	return b.String()
}

// senderLines is the sender block: "Ms. Ana García", the street address,
// "San Francisco, CA 94110", then (FullSender) the email and phone.
func senderLines(f Constituent, sb SenderBlock) []string {
	if sb == NoSender {
		return nil
	}
	var out []string
	add := func(parts ...string) {
		var keep []string
		for _, p := range parts {
			if p = strings.Join(strings.Fields(p), " "); p != "" {
				keep = append(keep, p)
			}
		}
		if len(keep) > 0 {
			out = append(out, strings.Join(keep, " "))
		}
	}
	add(f.Prefix, f.FirstName, f.MiddleName, f.LastName, f.Suffix)
	add(f.Address1)
	add(f.Address2)
	city := strings.Join(strings.Fields(f.City), " ")
	stZIP := strings.TrimSpace(strings.ToUpper(strings.TrimSpace(f.State)) + " " + strings.TrimSpace(f.ZIP))
	switch {
	case city != "" && stZIP != "":
		add(city + ", " + stZIP)
	default:
		add(city, stZIP)
	}
	if sb == FullSender {
		add(f.Email)
		add(f.Phone)
	}
	return out
}
