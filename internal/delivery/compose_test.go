package delivery_test

import (
	"slices"
	"testing"

	"github.com/outreach-org/outreach/internal/delivery"
)

func composeMessage() delivery.Message {
	return delivery.Message{
		Subject:    " Oversight of family separations ",
		Salutation: "Dear Senator Padilla,",
		Body:       "I am writing from San Francisco.\n\nMy cousin was separated from her son.\n\nSincerely,\nAna García\n",
		Citation:   "Figures: release 12, published 2026-11-02.",
		From: delivery.Constituent{Prefix: "Ms.", FirstName: "Ana", LastName: "García", Address1: "3200 24th St", Address2: "Apt 2",
			City: "San Francisco", State: "ca", ZIP: "94110", Phone: "415-555-0134", Email: "ana@example.org"},
		OrganizationStatement: "Families Together documents every case.\n",
		Organization:          "Families  Together",
	}
}

// TestComposeParts: the letter is greeting, body and citation; the sender
// block has what the channel needs; the statement comes last under its
// heading; blank lines separate the parts.
func TestComposeParts(t *testing.T) {
	m := composeMessage()
	full := delivery.Compose(m, delivery.FullSender)
	letter := "Dear Senator Padilla,\n\nI am writing from San Francisco.\n\nMy cousin was separated from her son.\n\nSincerely,\nAna García\n\nFigures: release 12, published 2026-11-02."
	if full.Letter() != letter {
		t.Errorf("Letter() = %q", full.Letter())
	}
	if full.Subject != "Oversight of family separations" {
		t.Errorf("Subject = %q", full.Subject)
	}
	sender := []string{"Ms. Ana García", "3200 24th St", "Apt 2", "San Francisco, CA 94110", "ana@example.org", "415-555-0134"}
	if !slices.Equal(full.Sender, sender) {
		t.Errorf("full sender = %q", full.Sender)
	}
	statement := "Statement from Families Together:\nFamilies Together documents every case."
	if full.StatementText() != statement {
		t.Errorf("StatementText() = %q", full.StatementText())
	}
	want := letter + "\n\nMs. Ana García\n3200 24th St\nApt 2\nSan Francisco, CA 94110\nana@example.org\n415-555-0134\n\n" + statement
	if full.Text() != want {
		t.Errorf("Text() =\n%s\nwant\n%s", full.Text(), want)
	}

	postal := delivery.Compose(m, delivery.PostalSender)
	if !slices.Equal(postal.Sender, sender[:4]) {
		t.Errorf("postal sender = %q", postal.Sender)
	}
	if postal.TextWithoutSender() != letter+"\n\n"+statement {
		t.Errorf("TextWithoutSender() = %q", postal.TextWithoutSender())
	}
	none := delivery.Compose(m, delivery.NoSender)
	if none.Sender != nil || none.Text() != letter+"\n\n"+statement {
		t.Errorf("no sender: %q / %q", none.Sender, none.Text())
	}
}

// TestComposeWithoutOptionalParts: no greeting (the template has its
// own), no citation, no statement: nothing but the body, and no heading.
func TestComposeWithoutOptionalParts(t *testing.T) {
	m := composeMessage()
	m.Salutation, m.Citation, m.OrganizationStatement = "", "", " \n"
	c := delivery.Compose(m, delivery.NoSender)
	if c.Text() != "I am writing from San Francisco.\n\nMy cousin was separated from her son.\n\nSincerely,\nAna García" || c.StatementHeading != "" {
		t.Errorf("Text() = %q, heading %q", c.Text(), c.StatementHeading)
	}
	m.Organization = ""
	m.OrganizationStatement = "We ask for oversight."
	if got := delivery.Compose(m, delivery.NoSender).StatementText(); got != "Statement from the organization:\nWe ask for oversight." {
		t.Errorf("unnamed organization: %q", got)
	}
}

// TestSealedRoundTrip: every part sealed with a letter comes back in the
// message a channel composes.
func TestSealedRoundTrip(t *testing.T) {
	m := composeMessage()
	m.Office = delivery.Office{Name: "Alex Padilla", Code: "SCA03"}
	back := m.Sealed().Message(0, "", delivery.Campaign{}, "", m.CreatedAt)
	if delivery.Compose(back, delivery.FullSender).Text() != delivery.Compose(m, delivery.FullSender).Text() || back.Office != m.Office {
		t.Errorf("sealed and opened: %+v", back)
	}
}
