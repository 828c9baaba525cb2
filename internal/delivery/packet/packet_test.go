package packet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/outreach-org/outreach/internal/delivery"
)

var testDate = time.Date(2026, time.November, 26, 9, 30, 0, 0, time.UTC)

func testInfo() Info {
	d := 11
	return Info{
		Campaign: delivery.Campaign{ID: 7, Slug: "rivers", Title: "Protect the Rivers Act"},
		Office: delivery.Office{
			BioguideID: "P000197", Name: "Nancy Pelosi", Title: "Representative",
			Chamber: "house", State: "CA", District: &d, Code: "HCA11",
		},
		Organization: "Friends of the Rivers",
		Date:         testDate,
	}
}

const paragraph = "Clean water is not a luxury. Every summer the creek behind our school " +
	"turns green, and every summer we are told the study is still under way. " +
	"Please support the Protect the Rivers Act and the funding that makes it real."

func letter(id int64, c delivery.Constituent, body string) delivery.Message {
	info := testInfo()
	return delivery.Message{
		LetterID: id, DeliveryID: fmt.Sprintf("D%031d", id),
		Campaign: info.Campaign, Office: info.Office, From: c,
		Subject:   "Please support the Protect the Rivers Act",
		Body:      body,
		CreatedAt: time.Date(2026, time.November, 20, 23, 0, 0, 0, time.UTC),
	}
}

// threeLetters: a long one (3 pages), accented names, emoji and Chinese.
func threeLetters() []delivery.Message {
	long := strings.Repeat(paragraph+"\n\n", 24) + "Sincerely,\nJohn Smith"
	return []delivery.Message{
		letter(1, delivery.Constituent{
			FirstName: "John", LastName: "Smith", Address1: "100 Mission St",
			City: "San Francisco", State: "CA", ZIP: "94105",
			Phone: "415-555-0100", Email: "john.smith@example.org",
		}, long),
		letter(2, delivery.Constituent{
			Prefix: "Dra.", FirstName: "María José", LastName: "Hernández Núñez",
			Address1: "12 Calle Gómez", Address2: "Apt 3", City: "San Francisco", State: "CA", ZIP: "94110",
			Phone: "415-555-0101", Email: "mj@example.org",
		}, "Dear Representative,\n\nMy neighbours García and Peña agree: "+paragraph+"\n\nMaría José Hernández Núñez"),
		letter(3, delivery.Constituent{
			FirstName: "Wei", LastName: "Chen", Address1: "8 Stockton St",
			City: "Daly City", State: "CA", ZIP: "94014",
			Phone: "650-555-0102", Email: "wei@example.org",
		}, "Dear Representative,\n\n"+paragraph+"\n\nMy kids love the river 🌊🏞️ 👍🏽 and so do I 👨‍👩‍👧. 我爱这条河.\n\nWei Chen"),
	}
}

func render(t testing.TB, info Info, letters []delivery.Message, compress bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, info, letters, options{compress: compress}); err != nil {
		t.Fatalf("write: %v", err)
	}
	return buf.Bytes()
}

var (
	pageObj  = regexp.MustCompile(`/Type /Page\b[^s]`)
	streamRe = regexp.MustCompile(`(?s)<</Length \d+>>\nstream\n(.*?)\nendstream`)
)

// pageStreams returns the uncompressed content stream of every page, in
// order (fpdf writes each page's content right after the page object).
func pageStreams(t *testing.T, pdf []byte) []string {
	t.Helper()
	var out []string
	for _, m := range streamRe.FindAllSubmatch(pdf, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// cp encodes s as cp1252, as it appears in the content streams.
func cp(s string) string {
	return fpdf.New("P", "mm", "Letter", "").UnicodeTranslatorFromDescriptor("")(s)
}

func TestWritePacket(t *testing.T) {
	letters := threeLetters()
	pdf := render(t, testInfo(), letters, false)

	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("does not start with %%PDF-: %q", pdf[:10])
	}
	if !bytes.HasSuffix(bytes.TrimRight(pdf, "\r\n"), []byte("%%EOF")) {
		t.Errorf("does not end with %%%%EOF: %q", pdf[len(pdf)-10:])
	}
	// cover + 3 + 1 + 1
	const wantPages = 6
	if n := len(pageObj.FindAll(pdf, -1)); n != wantPages {
		t.Fatalf("%d page objects, want %d", n, wantPages)
	}
	pages := pageStreams(t, pdf)
	if len(pages) != wantPages {
		t.Fatalf("%d content streams, want %d", len(pages), wantPages)
	}
	all := strings.Join(pages, "\n")

	cover := pages[0]
	for _, want := range []string{
		"Friends of the Rivers",
		"Protect the Rivers Act",
		"Representative Nancy Pelosi",
		"California, District 11",
		"(3)Tj",            // letters
		"26 November 2026", // date
		"(6)Tj",            // pages in this packet
		"3 constituents from California wrote to you about " + cp("“"),
		"San Francisco, CA", "(2)Tj", "Daly City, CA",
		cp("Cover sheet · 3 letters follow"),
	} {
		if !strings.Contains(cover, want) {
			t.Errorf("cover lacks %q", want)
		}
	}
	// No street address, email or phone on the cover.
	for _, m := range letters {
		for _, private := range []string{m.From.Address1, m.From.Address2, m.From.ZIP, m.From.Email, m.From.Phone} {
			if private != "" && strings.Contains(cover, cp(private)) {
				t.Errorf("cover shows %q", private)
			}
		}
		// ... and no email or phone anywhere.
		for _, private := range []string{m.From.Email, m.From.Phone} {
			if bytes.Contains(pdf, []byte(private)) {
				t.Errorf("packet shows %q", private)
			}
		}
	}

	// The long letter: three pages, the name repeated on pages 2 and 3.
	for x := 1; x <= 3; x++ {
		footer := cp(fmt.Sprintf("Letter 1 of 3 · page %d of 3", x))
		if !strings.Contains(pages[x], footer) {
			t.Errorf("page %d lacks footer %q", x+1, footer)
		}
	}
	if strings.Contains(pages[1], "(continued)") {
		t.Error("first page of a letter says (continued)")
	}
	for _, p := range pages[2:4] {
		if !strings.Contains(p, "John Smith \\(continued\\)") {
			t.Error("continuation page lacks the header with the name")
		}
	}
	if !strings.Contains(pages[3], "Sincerely,") {
		t.Error("the long letter's last line is not on its third page")
	}
	if n := strings.Count(strings.Join(pages[1:4], ""), cp(paragraph[:40])); n != 24 {
		t.Errorf("long letter: %d paragraphs printed, want 24", n)
	}

	// Sender blocks: name, street, city state ZIP; subject; date.
	for _, want := range []string{"John Smith", "100 Mission St", "San Francisco, CA 94105",
		"Please support the Protect the Rivers Act", "20 November 2026",
		"To: Representative Nancy Pelosi, California, District 11"} {
		if !strings.Contains(pages[1], want) {
			t.Errorf("letter 1 lacks %q", want)
		}
	}

	// Accented names, in cp1252.
	p := pages[4]
	for _, want := range []string{"Dra. María José Hernández Núñez", "12 Calle Gómez", "Apt 3",
		"García", "Peña", "Letter 2 of 3 · page 1 of 1"} {
		if !strings.Contains(p, cp(want)) {
			t.Errorf("letter 2 lacks %q (cp1252 %q)", want, cp(want))
		}
	}

	// Emoji and Chinese became '?', once per symbol; no UTF-8 left.
	p = pages[5]
	if want := "My kids love the river ?? ? and so do I ?. ?????."; !strings.Contains(p, want) {
		t.Errorf("letter 3 lacks %q:\n%s", want, p)
	}
	for _, bad := range []string{"\xf0\x9f", "\xe6\x88\x91", totalPagesAlias} {
		if strings.Contains(all, bad) {
			t.Errorf("content contains %q", bad)
		}
	}
}

// Body text never runs into the footer: every 12 pt line on a letter
// page sits above bodyBottom.
func TestBodyStaysAboveFooter(t *testing.T) {
	pages := pageStreams(t, render(t, testInfo(), threeLetters(), false))
	tf := regexp.MustCompile(`/F\S+ ([\d.]+) Tf|BT [\d.]+ ([\d.]+) Td`)
	const k = 72 / 25.4
	limit := (279.4-bodyBottom)*k - 0.01
	lines := 0
	for i, p := range pages[1:] {
		size := ""
		for _, m := range tf.FindAllStringSubmatch(p, -1) {
			if m[1] != "" {
				size = m[1]
				continue
			}
			y, _ := strconv.ParseFloat(m[2], 64)
			if size == "12.00" {
				lines++
				if y < limit {
					t.Errorf("page %d: body line at %.2f pt, below %.2f", i+2, y, limit)
				}
			}
		}
	}
	if lines < 100 {
		t.Errorf("only %d body lines found; is the pattern right?", lines)
	}
}

// Odd input renders instead of breaking the PDF or fpdf (whose UTF-16
// converter for the document title panics on truncated UTF-8).
func TestOddInput(t *testing.T) {
	info := testInfo()
	info.Campaign.Title = "Rivers 🌊 (and lakes) \\ \xe2"
	info.Organization = "Friends \x00of\tthe Rivers \xf0\x9f"
	m := letter(1, delivery.Constituent{
		FirstName: "Seán (Jack)", LastName: "O'Brien \\", City: "Bâton\x00 Rouge", State: "la", ZIP: "70801",
	}, "see https://example.org/"+strings.Repeat("x", 600)+" and "+totalPagesAlias)
	m.Subject = strings.Repeat("A very long subject that goes on ", 20)
	blank := letter(2, delivery.Constituent{}, " \n\n ")
	blank.Subject = ""
	pdf := render(t, info, []delivery.Message{m, blank}, false)
	if n := len(pageObj.FindAll(pdf, -1)); n != 3 {
		t.Errorf("%d pages, want 3", n)
	}
	for _, want := range []string{
		"/Title (", "Seán \\(Jack\\) O'Brien \\\\", "LA 70801", "Bâton Rouge",
		"\\(name not given\\)", "Rivers ? \\(and lakes\\) \\\\ ?", "and nb", "…)Tj",
	} {
		if !bytes.Contains(pdf, []byte(cp(want))) {
			t.Errorf("lacks %q", want)
		}
	}
	for i, p := range pageStreams(t, pdf) {
		if strings.ContainsAny(p, "\x00\x1f") {
			t.Errorf("page %d: control characters left", i+1)
		}
	}
}

func TestDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := Write(&a, testInfo(), threeLetters()); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, testInfo(), threeLetters()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two runs differ")
	}
	if !bytes.Contains(a.Bytes(), []byte("/CreationDate (D:20261126093000)")) {
		t.Error("creation date is not Info.Date")
	}
	if len(pageObj.FindAll(a.Bytes(), -1)) != 6 {
		t.Error("compressed packet does not have 6 pages")
	}
}

func TestRefuses(t *testing.T) {
	one := threeLetters()[:1]
	many := make([]delivery.Message, MaxLetters+1)
	noDate := testInfo()
	noDate.Date = time.Time{}
	other := threeLetters()
	other[1].Office.BioguideID = "S000148"
	otherCampaign := threeLetters()
	otherCampaign[2].Campaign.ID = 8
	for _, c := range []struct {
		name    string
		info    Info
		letters []delivery.Message
		is      error
		msg     string
	}{
		{"nil", testInfo(), nil, ErrNoLetters, "no letters"},
		{"empty", testInfo(), []delivery.Message{}, ErrNoLetters, "no letters"},
		{"too many", testInfo(), many, ErrTooManyLetters, "(got 5001)"},
		{"no date", noDate, one, nil, "Date is required"},
		{"other office", testInfo(), other, nil, "letter 2 (id 2) is for office S000148, not P000197"},
		{"other campaign", testInfo(), otherCampaign, nil, "letter 3 (id 3) is for campaign 8, not 7"},
	} {
		var buf bytes.Buffer
		err := Write(&buf, c.info, c.letters)
		if err == nil || (c.is != nil && !errors.Is(err, c.is)) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.msg)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written", c.name, buf.Len())
		}
	}
}

func TestSanitize(t *testing.T) {
	for _, c := range []struct {
		in, out   string
		multiline bool
	}{
		{"Hernández Núñez Gómez García Peña", "Hernández Núñez Gómez García Peña", false},
		{"François Müller Œuvre Šimon Žižka", "François Müller Œuvre Šimon Žižka", false},
		{"Herna\u0301ndez Pen\u0303a Garci\u0301a", "Hernández Peña García", false}, // NFD
		{"Łukasz Wałęsa, Dvořák, Ștefan, Ğül", "Lukasz Walesa, Dvorák, Stefan, Gül", false},
		{"Nguyễn", "Nguy?n", false},
		{"我爱你 Привет", "??? ??????", false},
		{"a 👍🏽 b ❤️ c 👨‍👩‍👧 d 🇺🇸 e", "a ? b ? c ? d ? e", false},
		{"“quotes” – dash — … €5", "“quotes” – dash — … €5", false},
		{"non\u2011breaking\u00a0space\u202fthin\u200bzero", "non-breaking space thinzero", false},
		{"a\x1fnb\x1f\x00b\x7f\u0085c", "anbb c", false},
		{"bad \xff byte", "bad ? byte", false},
		{"line one\r\nline two\rthree\n\tfour", "line one line two three four", false},
		{"line one\r\nline two\rthree\n\tfour\u2029five", "line one\nline two\nthree\n    four\n\nfive", true},
	} {
		if got := sanitize(c.in, c.multiline); got != c.out {
			t.Errorf("sanitize(%q, %v) = %q, want %q", c.in, c.multiline, got, c.out)
		}
	}
}

// Every rune comes out of sanitize as something the cp1252 translator
// maps (it writes '.' for what it cannot), so nothing is lost silently.
func TestSanitizeOutputIsCP1252(t *testing.T) {
	tr := fpdf.New("P", "mm", "Letter", "").UnicodeTranslatorFromDescriptor("")
	for r := rune(0); r <= 0x10ffff; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		for _, multiline := range []bool{false, true} {
			s := sanitize("x"+string(r)+"y", multiline)
			enc := tr(s)
			if len(enc) != len([]rune(s)) || strings.Count(enc, ".") != strings.Count(s, ".") {
				t.Fatalf("U+%04X: sanitize gives %q, cp1252 %q", r, s, enc)
			}
			for _, c := range []byte(enc) {
				if c < 0x20 && c != '\n' {
					t.Fatalf("U+%04X: control byte %#x left", r, c)
				}
			}
		}
	}
}

func TestOfficeLabel(t *testing.T) {
	d := func(n int) *int { return &n }
	for _, c := range []struct {
		o    delivery.Office
		want string
	}{
		{delivery.Office{Chamber: "house", State: "CA", District: d(11)}, "California, District 11"},
		{delivery.Office{Chamber: "senate", State: "CA"}, "Senate, California"},
		{delivery.Office{Title: "Senator", State: "NY"}, "Senate, New York"},
		{delivery.Office{Chamber: "house", State: "AK", District: d(0)}, "Alaska, At-large"},
		{delivery.Office{Chamber: "house", State: "DC", District: d(0)}, "District of Columbia"},
		{delivery.Office{Chamber: "house", State: "PR", District: d(0)}, "Puerto Rico"},
	} {
		if got := officeLabel(c.o); got != c.want {
			t.Errorf("officeLabel(%+v) = %q, want %q", c.o, got, c.want)
		}
	}
}

func TestCoverListsManyCities(t *testing.T) {
	var letters []delivery.Message
	for i := range 120 {
		letters = append(letters, letter(int64(i+1), delivery.Constituent{
			FirstName: "A", LastName: strconv.Itoa(i), Address1: "1 Main St",
			City: fmt.Sprintf("Town %03d", i%90), State: "CA", ZIP: "94000",
		}, paragraph))
	}
	pages := pageStreams(t, render(t, testInfo(), letters, false))
	if len(pages) != 121 {
		t.Fatalf("%d pages, want 121", len(pages))
	}
	cover := pages[0]
	if !strings.Contains(cover, "120 constituents from California") {
		t.Error("cover count")
	}
	// 30 towns have 2 letters and come first; the list ends with a sum.
	if !strings.Contains(cover, "(Town 000, CA)Tj") || !strings.Contains(cover, "more places)Tj") {
		t.Errorf("cover city list:\n%s", cover)
	}
}

func TestSender(t *testing.T) {
	var s delivery.Sender = Sender{}
	if s.Channel() != Name {
		t.Errorf("channel %q", s.Channel())
	}
	if !s.Accepts(context.Background(), delivery.Office{}) {
		t.Error("does not accept an office")
	}
	res, err := s.Send(context.Background(), threeLetters()[0])
	if err != nil || res.Detail != "held for the printed packet" || res.ProviderID != "" {
		t.Errorf("Send = %+v, %v", res, err)
	}
}

// PACKET_SAMPLE=/tmp/packet-sample.pdf go test -run Sample writes a
// sample packet to look at.
func TestSample(t *testing.T) {
	path := os.Getenv("PACKET_SAMPLE")
	if path == "" {
		t.Skip("set PACKET_SAMPLE to a file name to write a sample packet")
	}
	if err := os.WriteFile(path, render(t, testInfo(), threeLetters(), true), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLetterPageIsTheComposedLetter: a letter page prints the letter as
// delivery.Compose makes it (greeting, body, citation, the statement
// under its heading) under the postal sender block: no email or phone.
func TestLetterPageIsTheComposedLetter(t *testing.T) {
	m := letter(1, delivery.Constituent{Prefix: "Ms.", FirstName: "Ana", LastName: "Garcia", Address1: "1 Main St",
		City: "Oakland", State: "CA", ZIP: "94601", Phone: "510-555-0100", Email: "ana@example.org"}, "Please protect the river.")
	m.Salutation, m.Citation = "Dear Representative Pelosi,", "Figures: release 3."
	m.OrganizationStatement, m.Organization = "Friends of the Rivers has tested the creek since 2019.", "Friends of the Rivers"
	page := pageStreams(t, render(t, testInfo(), []delivery.Message{m}, false))[1]
	for _, want := range []string{"(Ms. Ana Garcia)Tj", "(1 Main St)Tj", "(Oakland, CA 94601)Tj", "(Dear Representative Pelosi,)Tj",
		"(Please protect the river.)Tj", "(Figures: release 3.)Tj", "(Statement from Friends of the Rivers:)Tj",
		"(Friends of the Rivers has tested the creek since 2019.)Tj"} {
		if !strings.Contains(page, want) {
			t.Errorf("letter page lacks %s:\n%s", want, page)
		}
	}
	for _, never := range []string{"ana@example.org", "555-0100"} {
		if strings.Contains(page, never) {
			t.Errorf("letter page prints %q", never)
		}
	}
}
