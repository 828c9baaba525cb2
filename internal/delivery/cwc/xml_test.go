package cwc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/constituent"
	"github.com/outreach-org/outreach/internal/delivery"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestGoldenMessages(t *testing.T) {
	for _, tc := range []struct{ file, office string }{
		{"house_message.xml", "HCA11"},
		{"senate_message.xml", "SCA03"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := BuildXML(testConfig(), testMessage(tc.office), testDate)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/delivery/cwc/ -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("BuildXML differs from %s (rerun with -update if intended)\n--- got ---\n%s", path, got)
			}
		})
	}
}

// node is a parsed XML element: its name, text and children in order.
type node struct {
	name     string
	text     string
	children []*node
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (n *node) names() []string {
	var out []string
	for _, c := range n.children {
		out = append(out, c.name)
	}
	return out
}

func parseTree(t *testing.T, doc []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if len(tk.Attr) > 0 {
				t.Errorf("<%s> has attributes; CWC uses none", tk.Name.Local)
			}
			n := &node{name: tk.Name.Local}
			if len(stack) == 0 {
				if root != nil {
					t.Fatal("more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
	return root
}

// The order and required elements below are cwc.md's "Message (CWC 2.0),
// element order" section; "?" marks what it calls optional. Nested
// contact names follow the public sample documents
// (DeliveryAgentContactName, ...). TestReferenceDocumentOrder checks these
// lists against cwc.md itself when the file is present.
var (
	refTop       = []string{"CWCVersion", "Delivery", "Recipient", "Constituent", "Message"}
	refDelivery  = []string{"DeliveryId", "DeliveryDate", "DeliveryAgent", "DeliveryAgentAckEmailAddress", "DeliveryAgentContact", "Organization?", "OrganizationContact?", "OrganizationAbout?", "CampaignId"}
	refRecipient = []string{"MemberOffice", "IsResponseRequested?", "NewsletterOptIn?"}
	refConst     = []string{"Prefix", "FirstName", "MiddleName?", "LastName", "Suffix?", "Title?", "Organization?", "Address1", "Address2?", "Address3?", "City", "StateAbbreviation", "Zip", "Phone?", "AddressValidation?", "Email", "EmailValidation?"}
	refMessage   = []string{"Subject", "LibraryOfCongressTopics", "Bills?", "ProOrCon?", "OrganizationStatement?", "ConstituentMessage?", "MoreInfo?"}
)

// checkOrder verifies that got is an in-order subsequence of ref, that
// every required (unmarked) element of ref is present, and that nothing
// outside ref appears or repeats.
func checkOrder(t *testing.T, section string, got, ref []string) {
	t.Helper()
	for _, p := range orderProblems(section, got, ref) {
		t.Error(p)
	}
}

func orderProblems(section string, got, ref []string) []string {
	var out []string
	i := 0
	for _, g := range got {
		found := false
		for i < len(ref) {
			name, optional := strings.CutSuffix(ref[i], "?")
			i++
			if name == g {
				found = true
				break
			}
			if !optional {
				out = append(out, fmt.Sprintf("%s: required <%s> missing or out of order (children %v)", section, name, got))
			}
		}
		if !found {
			return append(out, fmt.Sprintf("%s: <%s> is not in the reference order %v, or out of order (children %v)", section, g, ref, got))
		}
	}
	for ; i < len(ref); i++ {
		if name, optional := strings.CutSuffix(ref[i], "?"); !optional {
			out = append(out, fmt.Sprintf("%s: required <%s> missing (children %v)", section, name, got))
		}
	}
	return out
}

// TestOrderCheckerCatchesMistakes makes sure the order check above would
// notice the mistakes it exists for.
func TestOrderCheckerCatchesMistakes(t *testing.T) {
	for name, got := range map[string][]string{
		"swapped":          {"Subject", "OrganizationStatement", "LibraryOfCongressTopics"},
		"required missing": {"Subject", "ConstituentMessage"},
		"unknown element":  {"Subject", "LibraryOfCongressTopics", "Body"},
		"repeated":         {"Subject", "LibraryOfCongressTopics", "ConstituentMessage", "ConstituentMessage"},
		"optional first":   {"ProOrCon", "Subject", "LibraryOfCongressTopics"},
	} {
		if len(orderProblems("Message", got, refMessage)) == 0 {
			t.Errorf("%s: %v passed the order check", name, got)
		}
	}
	if p := orderProblems("Message", []string{"Subject", "LibraryOfCongressTopics", "OrganizationStatement", "ConstituentMessage"}, refMessage); len(p) != 0 {
		t.Errorf("valid order refused: %v", p)
	}
}

var (
	reDeliveryID = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	reDate       = regexp.MustCompile(`^\d{8}$`)
	rePhone      = regexp.MustCompile(`^\d{3}-\d{3}-\d{4}$`)
	reZip        = regexp.MustCompile(`^\d{5}(-\d{4})?$`)
	reOffice     = regexp.MustCompile(`^[HS][A-Z]{2}\d{2}$`)
	reEmail      = regexp.MustCompile(`^[^@\s]+@[^@.\s]+\..+$`) // schema email_type
)

// checkAgainstReference checks a document field by field against cwc.md.
func checkAgainstReference(t *testing.T, doc []byte) *node {
	t.Helper()
	if !bytes.HasPrefix(doc, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Error("missing XML declaration with UTF-8 encoding")
	}
	root := parseTree(t, doc)
	if root == nil || root.name != "CWC" {
		t.Fatalf("root element is %v, want CWC", root)
	}
	checkOrder(t, "CWC", root.names(), refTop)
	if v := root.child("CWCVersion"); v == nil || v.text != "2.0" {
		t.Fatalf("CWCVersion = %v, want 2.0", v)
	}
	del, rec, con, msg := root.child("Delivery"), root.child("Recipient"), root.child("Constituent"), root.child("Message")
	if del == nil || rec == nil || con == nil || msg == nil {
		t.Fatalf("sections missing: %v", root.names())
	}
	checkOrder(t, "Delivery", del.names(), refDelivery)
	checkOrder(t, "Recipient", rec.names(), refRecipient)
	checkOrder(t, "Constituent", con.names(), refConst)
	checkOrder(t, "Message", msg.names(), refMessage)

	// Nested groups.
	agent := del.child("DeliveryAgentContact")
	if got, want := strings.Join(agent.names(), ","), "DeliveryAgentContactName,DeliveryAgentContactEmail,DeliveryAgentContactPhone"; got != want {
		t.Errorf("DeliveryAgentContact children = %s, want %s", got, want)
	}
	if org := del.child("OrganizationContact"); org != nil {
		if got, want := strings.Join(org.names(), ","), "OrganizationContactName,OrganizationContactEmail,OrganizationContactPhone"; got != want {
			t.Errorf("OrganizationContact children = %s, want %s", got, want)
		}
		if !rePhone.MatchString(org.child("OrganizationContactPhone").text) {
			t.Errorf("OrganizationContactPhone %q", org.child("OrganizationContactPhone").text)
		}
	}
	topics := msg.child("LibraryOfCongressTopics")
	if len(topics.children) == 0 {
		t.Error("LibraryOfCongressTopics needs at least one LibraryOfCongressTopic")
	}
	for _, tp := range topics.children {
		if tp.name != "LibraryOfCongressTopic" || !contains(Topics, tp.text) {
			t.Errorf("topic <%s>%s is not one of the 32 LOC policy areas", tp.name, tp.text)
		}
	}
	if msg.child("OrganizationStatement") == nil && msg.child("ConstituentMessage") == nil {
		t.Error("neither OrganizationStatement nor ConstituentMessage")
	}

	// Value formats.
	for _, f := range []struct {
		n  *node
		re *regexp.Regexp
	}{
		{del.child("DeliveryId"), reDeliveryID},
		{del.child("DeliveryDate"), reDate},
		{del.child("DeliveryAgentAckEmailAddress"), reEmail},
		{agent.child("DeliveryAgentContactEmail"), reEmail},
		{agent.child("DeliveryAgentContactPhone"), rePhone},
		{rec.child("MemberOffice"), reOffice},
		{con.child("Zip"), reZip},
		{con.child("Email"), reEmail},
	} {
		if !f.re.MatchString(f.n.text) {
			t.Errorf("<%s>%q does not match %s", f.n.name, f.n.text, f.re)
		}
	}
	if _, err := time.Parse("20060102", del.child("DeliveryDate").text); err != nil {
		t.Errorf("DeliveryDate: %v", err)
	}
	if p := con.child("Phone"); p != nil && !rePhone.MatchString(p.text) {
		t.Errorf("Phone %q", p.text)
	}
	if !contains(constituent.Prefixes, con.child("Prefix").text) {
		t.Errorf("Prefix %q not in Prefixes", con.child("Prefix").text)
	}
	if !stateCodes[con.child("StateAbbreviation").text] {
		t.Errorf("StateAbbreviation %q", con.child("StateAbbreviation").text)
	}
	// Every leaf has a value: optional elements are omitted, never empty.
	var walk func(*node)
	walk = func(n *node) {
		if len(n.children) == 0 && strings.TrimSpace(n.text) == "" {
			t.Errorf("<%s> is empty", n.name)
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(root)
	return root
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestMessagesFollowReference(t *testing.T) {
	full := testConfig()
	minimal := testConfig()
	minimal.Organization, minimal.OrganizationContact, minimal.OrganizationAbout = "", Contact{}, ""

	sparse := testMessage("HAK00")
	sparse.From.MiddleName, sparse.From.Address2, sparse.From.Phone = "", "", ""
	sparse.From.ZIP, sparse.From.State, sparse.From.City = "99501", "AK", "Anchorage"
	sparse.OrganizationStatement = ""

	letterOnly := testMessage("SMN01")
	letterOnly.OrganizationStatement = ""

	for _, tc := range []struct {
		name string
		cfg  Config
		msg  func() ([]byte, error)
	}{
		{"house full", full, func() ([]byte, error) { return BuildXML(full, testMessage("HCA11"), testDate) }},
		{"senate full", full, func() ([]byte, error) { return BuildXML(full, testMessage("SCA03"), testDate) }},
		{"minimal config, sparse constituent", minimal, func() ([]byte, error) { return BuildXML(minimal, sparse, testDate) }},
		{"letter only", full, func() ([]byte, error) { return BuildXML(full, letterOnly, testDate) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := tc.msg()
			if err != nil {
				t.Fatal(err)
			}
			checkAgainstReference(t, doc)
		})
	}
}

// TestReferenceDocumentOrder cross-checks the ref* lists above with
// cwc.md itself (skipped when the reference is not next to the repo; set
// CWC_REFERENCE to its path to force it).
func TestReferenceDocumentOrder(t *testing.T) {
	path := os.Getenv("CWC_REFERENCE")
	if path == "" {
		path = filepath.Join("..", "..", "..", "..", "shared", "reference", "cwc.md")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("reference not available: %v", err)
	}
	tick := regexp.MustCompile("`([^`]+)`")
	sections := map[string][]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- "))
		for _, sec := range []string{"Delivery", "Recipient", "Constituent", "Message"} {
			if !strings.HasPrefix(line, "`"+sec+"`:") {
				continue
			}
			// Drop parenthesised notes and any sentence after the list
			// ("At least one of `OrganizationStatement` and ...").
			line = regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(line, "")
			if i := strings.Index(line, ". "); i >= 0 {
				line = line[:i]
			}
			for i, m := range tick.FindAllStringSubmatch(line, -1) {
				if i == 0 {
					continue // the section name
				}
				name := strings.TrimSuffix(m[1], "?")
				if j := strings.IndexAny(name, "{/"); j >= 0 { // DeliveryAgentContact{...}, LibraryOfCongressTopics/...
					name = name[:j]
				}
				if strings.ContainsAny(name, " .=") || name == "" { // values such as `2.0` or `pro|con`
					continue
				}
				sections[sec] = append(sections[sec], name)
			}
		}
	}
	strip := func(ref []string) []string {
		var out []string
		for _, r := range ref {
			out = append(out, strings.TrimSuffix(r, "?"))
		}
		return out
	}
	for sec, ref := range map[string][]string{"Delivery": refDelivery, "Recipient": refRecipient, "Constituent": refConst, "Message": refMessage} {
		if got, want := strings.Join(sections[sec], ","), strings.Join(strip(ref), ","); got != want {
			t.Errorf("cwc.md %s order\n  doc:  %s\n  test: %s", sec, got, want)
		}
	}
	if !strings.Contains(string(raw), "`CWC/CWCVersion` = `2.0`") {
		t.Error("cwc.md no longer says CWCVersion = 2.0")
	}
}

func TestMessageFieldMapping(t *testing.T) {
	m := testMessage("hca11 ")
	m.Campaign.LOCTopic = "civil rights and liberties, minority issues"
	m.From.Prefix = "ms"
	doc, err := BuildXML(testConfig(), m, time.Date(2025, 12, 31, 23, 59, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	root := parseTree(t, doc)
	del, con, msg := root.child("Delivery"), root.child("Constituent"), root.child("Message")
	for _, tc := range []struct{ got, want string }{
		{del.child("DeliveryId").text, m.DeliveryID},
		{del.child("DeliveryDate").text, "20251231"},
		{del.child("CampaignId").text, "reunite-families-2025"},
		{del.child("DeliveryAgent").text, "Families Together Coalition"},
		{del.child("DeliveryAgentContact").child("DeliveryAgentContactPhone").text, "202-555-0143"},
		{del.child("OrganizationContact").child("OrganizationContactPhone").text, "202-555-0178"},
		{root.child("Recipient").child("MemberOffice").text, "HCA11"},
		{con.child("Prefix").text, "Ms."},
		{con.child("FirstName").text, "María"},
		{con.child("LastName").text, "Hernández-O'Brien"},
		{con.child("Zip").text, "94110-1321"},
		{con.child("Phone").text, "415-555-0142"},
		{con.child("StateAbbreviation").text, "CA"},
		{msg.child("LibraryOfCongressTopics").child("LibraryOfCongressTopic").text, "Civil Rights and Liberties, Minority Issues"},
		{msg.child("Subject").text, m.Subject},
		{msg.child("OrganizationStatement").text, m.OrganizationStatement},
		{msg.child("ConstituentMessage").text, strings.ReplaceAll(m.Body, "\r\n", "\n")},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestEscapingAndControlCharacters(t *testing.T) {
	m := testMessage("HCA11")
	m.From.Address2 = `Unit <7> & "Rear"`
	m.From.City = "San Fran\tcisco\x07"
	m.Subject = "Families & children <first>\x1b[31m"
	m.OrganizationStatement = "Line one\r\nLine two\rLine three\u2028Line four\x00\x0b\ufffe]]>"
	m.Body = "bad utf8: \xff\xfe end"
	doc, err := BuildXML(testConfig(), m, testDate)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range string(doc) {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || r == 0xfffe {
			t.Fatalf("control character %U at byte %d", r, i)
		}
	}
	if bytes.Contains(doc, []byte("]]>")) || bytes.Contains(doc, []byte("<7>")) {
		t.Error("markup characters not escaped")
	}
	root := parseTree(t, doc)
	con, msg := root.child("Constituent"), root.child("Message")
	for _, tc := range []struct{ got, want string }{
		{con.child("Address2").text, `Unit <7> & "Rear"`},
		{con.child("City").text, "San Fran cisco"},
		{msg.child("Subject").text, "Families & children <first>[31m"},
		{msg.child("OrganizationStatement").text, "Line one\nLine two\nLine three\nLine four]]>"},
		{msg.child("ConstituentMessage").text, "bad utf8: \ufffd end"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestConstituentMessageIsTheWholeLetter: ConstituentMessage is the letter
// as delivery.Compose makes it (greeting, body with the supporter's own
// paragraph, figures citation), not the supporter's paragraph alone, and
// the organization statement travels apart.
func TestConstituentMessageIsTheWholeLetter(t *testing.T) {
	m := testMessage("HCA11")
	m.Salutation = "Dear Representative Pelosi,"
	m.Body = "I write about family separations.\n\nMy neighbor's son was held for 74 days.\n\nSincerely,\nMaría"
	m.Citation = "Figures: release 12 of 2025-03-01."
	doc, err := BuildXML(testConfig(), m, testDate)
	if err != nil {
		t.Fatal(err)
	}
	msg := parseTree(t, doc).child("Message")
	want := "Dear Representative Pelosi,\n\n" + m.Body + "\n\nFigures: release 12 of 2025-03-01."
	if got := msg.child("ConstituentMessage").text; got != want || got != delivery.Compose(m, delivery.NoSender).Letter() {
		t.Errorf("ConstituentMessage = %q, want %q", got, want)
	}
	if got := msg.child("OrganizationStatement").text; got != m.OrganizationStatement {
		t.Errorf("OrganizationStatement = %q", got)
	}
	if strings.Contains(msg.child("ConstituentMessage").text, m.OrganizationStatement[:30]) {
		t.Error("the statement is inside the letter")
	}
}

func TestBuildXMLRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, field string
		edit        func(*Config, *testMessageT)
	}{
		{"short delivery id", "Message.DeliveryID", func(_ *Config, m *testMessageT) { m.DeliveryID = m.DeliveryID[:31] }},
		{"dashed delivery id", "Message.DeliveryID", func(_ *Config, m *testMessageT) { m.DeliveryID = "7f3c9a1e-5b2d-4c8f-9a0e-1b2c3d4e5f60" }},
		{"prefix not in list", "Constituent.Prefix", func(_ *Config, m *testMessageT) { m.From.Prefix = "Sir" }},
		{"no prefix", "Constituent.Prefix", func(_ *Config, m *testMessageT) { m.From.Prefix = "" }},
		{"newline in first name", "Constituent.FirstName", func(_ *Config, m *testMessageT) { m.From.FirstName = "María\nBcc: x@example.com" }},
		{"CR in last name", "Constituent.LastName", func(_ *Config, m *testMessageT) { m.From.LastName = "Hernández\r" }},
		{"newline in address", "Constituent.Address1", func(_ *Config, m *testMessageT) { m.From.Address1 = "2450 Mission St\n" }},
		{"LS in city", "Constituent.City", func(_ *Config, m *testMessageT) { m.From.City = "San\u2028Francisco" }},
		{"newline in subject", "Message.Subject", func(_ *Config, m *testMessageT) { m.Subject = "Reunite\r\nfamilies" }},
		{"empty subject", "Message.Subject", func(_ *Config, m *testMessageT) { m.Subject = " \t" }},
		{"missing first name", "Constituent.FirstName", func(_ *Config, m *testMessageT) { m.From.FirstName = "\x00" }},
		{"missing address", "Constituent.Address1", func(_ *Config, m *testMessageT) { m.From.Address1 = "" }},
		{"zip too short", "Constituent.ZIP", func(_ *Config, m *testMessageT) { m.From.ZIP = "9411" }},
		{"zip letters", "Constituent.ZIP", func(_ *Config, m *testMessageT) { m.From.ZIP = "SW1A 1AA" }},
		{"state unknown", "Constituent.State", func(_ *Config, m *testMessageT) { m.From.State = "XX" }},
		{"state spelled out", "Constituent.State", func(_ *Config, m *testMessageT) { m.From.State = "California" }},
		{"bad email", "Constituent.Email", func(_ *Config, m *testMessageT) { m.From.Email = "maria.hernandez@example" }},
		{"topic not LOC", "Campaign.LOCTopic", func(_ *Config, m *testMessageT) { m.Campaign.LOCTopic = "Border Policy" }},
		{"no topic", "Campaign.LOCTopic", func(_ *Config, m *testMessageT) { m.Campaign.LOCTopic = "" }},
		{"no slug", "Campaign.Slug", func(_ *Config, m *testMessageT) { m.Campaign.Slug = "" }},
		{"no letter", "Message.Body", func(_ *Config, m *testMessageT) { m.Body = "\r\n" }},
		{"office code", "Office.Code", func(_ *Config, m *testMessageT) { m.Office.Code = "CA-11" }},
		{"office code empty", "Office.Code", func(_ *Config, m *testMessageT) { m.Office.Code = "" }},
		{"no delivery agent", "Config.DeliveryAgent", func(c *Config, _ *testMessageT) { c.DeliveryAgent = "" }},
		{"agent contact phone", "Config.AgentContact.Phone", func(c *Config, _ *testMessageT) { c.AgentContact.Phone = "555-0143" }},
		{"ack email", "Config.AckEmail", func(c *Config, _ *testMessageT) { c.AckEmail = "ack" }},
		{"partial org contact", "Config.OrganizationContact.Email", func(c *Config, _ *testMessageT) { c.OrganizationContact.Email = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, m := testConfig(), testMessage("HCA11")
			tc.edit(&cfg, &m)
			doc, err := BuildXML(cfg, m, testDate)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("BuildXML = %q, %v; want a *ValidationError", doc, err)
			}
			if !strings.Contains(err.Error(), tc.field+":") {
				t.Errorf("error %q does not name %s", err, tc.field)
			}
			for _, v := range []string{m.From.FirstName, m.From.LastName, m.From.Email, m.From.Address1, m.From.ZIP, "Sir", "California", "Border Policy"} {
				if len(v) > 2 && strings.Contains(err.Error(), strings.TrimSpace(v)) {
					t.Errorf("error %q quotes the value %q", err, v)
				}
			}
		})
	}
}

type testMessageT = deliveryMessage

func TestNormalizeZIP(t *testing.T) {
	for in, want := range map[string]string{
		"94110": "94110", " 94110-1321 ": "94110-1321", "941101321": "94110-1321",
		"9411": "", "94110-13": "", "94110 1321": "", "": "", "ABCDE": "",
	} {
		got, ok := NormalizeZIP(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeZIP(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestListsAndCanonicalForms(t *testing.T) {
	if len(Topics) != 32 {
		t.Errorf("%d topics, want the 32 LOC policy areas", len(Topics))
	}
	seen := map[string]bool{}
	for _, tp := range Topics {
		if seen[tp] || strings.TrimSpace(tp) != tp {
			t.Errorf("topic %q duplicated or padded", tp)
		}
		seen[tp] = true
	}
	for _, want := range []string{"Immigration", "Families", "Civil Rights and Liberties, Minority Issues"} {
		if !IsTopic(want) {
			t.Errorf("cwc.md example topic %q missing", want)
		}
	}
}

func TestSenateOfficeCode(t *testing.T) {
	for _, tc := range []struct {
		state string
		class int
		want  string
	}{
		{"CA", 3, "SCA03"}, {"mn", 1, "SMN01"}, {" ME ", 1, "SME01"}, {"TX", 2, "STX02"},
		{"CA", 0, ""}, {"CA", 4, ""}, {"DC", 1, ""}, {"PR", 1, ""}, {"XX", 1, ""},
	} {
		got, err := SenateOfficeCode(tc.state, tc.class)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("SenateOfficeCode(%q, %d) = %q, %v; want %q", tc.state, tc.class, got, err, tc.want)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	base := func() Config {
		c := testConfig()
		c.HouseURL, c.HouseAPIKey = "https://test-cwc.house.gov", testHouseKey
		return c
	}
	if _, err := New(base(), nil); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for _, tc := range []struct {
		name, field string
		edit        func(*Config)
	}{
		{"no chamber", "Config.HouseURL", func(c *Config) { c.HouseURL, c.HouseAPIKey = "", "" }},
		{"house key without url", "Config.HouseURL", func(c *Config) { c.HouseURL = "" }},
		{"house url without key", "Config.HouseAPIKey", func(c *Config) { c.HouseAPIKey = "" }},
		{"key with space", "Config.HouseAPIKey", func(c *Config) { c.HouseAPIKey = "abc def" }},
		{"url scheme", "Config.HouseURL", func(c *Config) { c.HouseURL = "ftp://cwc.house.gov" }},
		{"url query", "Config.HouseURL", func(c *Config) { c.HouseURL = "https://cwc.house.gov/?apikey=x" }},
		{"senate url without key", "Config.SenateAPIKey", func(c *Config) { c.SenateURL = "https://soapbox.senate.gov" }},
		{"agent", "Config.DeliveryAgent", func(c *Config) { c.DeliveryAgent = "Families\nTogether" }},
		{"ack email", "Config.AckEmail", func(c *Config) { c.AckEmail = "" }},
		{"agent contact name", "Config.AgentContact.Name", func(c *Config) { c.AgentContact.Name = "" }},
		{"agent contact email", "Config.AgentContact.Email", func(c *Config) { c.AgentContact.Email = "dana" }},
		{"agent contact phone", "Config.AgentContact.Phone", func(c *Config) { c.AgentContact.Phone = "" }},
		{"org contact phone", "Config.OrganizationContact.Phone", func(c *Config) { c.OrganizationContact.Phone = "12" }},
		{"timeout", "Config.Timeout", func(c *Config) { c.Timeout = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.edit(&cfg)
			_, err := New(cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("New = %v; want an error naming %s", err, tc.field)
			}
			if strings.Contains(err.Error(), testHouseKey) {
				t.Errorf("error %q shows the API key", err)
			}
		})
	}
	cfg := base()
	cfg.SenateURL, cfg.SenateAPIKey = "https://soapbox.senate.gov", testSenateKey
	for _, s := range []string{cfg.String(), fmtV(cfg), fmtSharpV(cfg)} {
		if strings.Contains(s, testHouseKey) || strings.Contains(s, testSenateKey) {
			t.Errorf("printed config shows a key: %s", s)
		}
	}
}
