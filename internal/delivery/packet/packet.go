// Package packet is the printed-packet delivery channel: one PDF per
// office and campaign, which staff download and carry to the office on a
// lobby day.
//
// The channel has two halves. Sender is the delivery.Sender: it accepts
// every office (paper reaches anyone) and its Send does nothing but report
// "held for the printed packet"; the letter stays stored and waits for
// that office's packet. Write assembles the
// packet on demand, when staff ask for it, from the stored letters of one
// campaign and one office; nothing is rendered at send time and no PDF is
// kept.
//
// # Layout
//
// US Letter portrait. Page 1 is a cover sheet: organization, campaign
// title, the office (title, name and seat, e.g. "California, District
// 11"), the number of letters, the date, the total number of pages, the
// sentence "N constituents from <state> wrote to you about <campaign>" and
// the constituents' cities with counts. The cover carries no street
// address, email or phone. Then every letter starts on a new page: sender
// block (name, street address, city, state ZIP: what an office matches
// against its constituent records; never the email or phone), the date the
// letter was written (Message.CreatedAt in Info.Date's time zone), the office it is addressed to, the subject in bold
// and the letter as delivery.Compose makes it for every channel: the
// greeting (when the template has none), the body, the figures citation
// and the organization statement under its heading. A letter that does not fit flows onto further pages headed
// "<name> (continued)". The footer of every letter page reads
// "Letter k of N · page x of y".
//
// # Text
//
// The core PDF fonts (Helvetica, Times) are Windows-1252 only; see
// sanitize for what happens to other characters: accented Latin names
// (Hernández, Núñez, Peña, François, Šimon) are kept, Latin Extended-A
// letters lose their accent (Łukasz → Lukasz), everything else (Chinese,
// Cyrillic, emoji) becomes '?'.
//
// A Unicode TrueType font would keep more. DejaVu Sans from Debian's
// fonts-dejavu-core (DejaVuSans.ttf 760 KB, -Bold 709 KB) works with
// fpdf's AddUTF8FontFromBytes: fpdf subsets it (about 20 KB per font in
// the PDF), the output stays deterministic, and it covers Latin Extended,
// Vietnamese, Greek and Cyrillic, but no CJK. It would have to be embedded
// in the binary with go:embed (about 1.5 MB for regular and bold), because
// the runtime image (distroless/static) has no fonts, and a sanitizer is
// still needed: fpdf's UTF-8 MultiCell fails with "character outside the
// supported range" on anything beyond the BMP, such as emoji.
//
// # Size and memory
//
// fpdf builds the whole document in memory and writes it to w only at the
// end (Output), so the packet is not streamed, and nothing is written to
// w if rendering fails. Memory grows with the number of pages: about 5 MB
// live for 1,000 letters (1,100 pages, a 1.25 MB PDF) and 24 MB for
// 5,000. Write refuses more than MaxLetters letters; split a bigger
// office into several packets (by letter id range). Most of the time
// (about 1 s for 1,000 letters) goes to fpdf compressing each page with a
// fresh zlib writer; see BenchmarkWrite.
//
// # Determinism
//
// The same Info and letters give byte-identical PDFs: catalogs are
// sorted, the creation and modification dates are Info.Date, and nothing
// depends on maps or the clock.
package packet

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/outreach-org/outreach/internal/delivery"
)

// MaxLetters is the most letters one packet holds: at one or two pages a
// letter, some 5,500 sheets, about 24 MB of memory and several seconds
// to render.
const MaxLetters = 5000

// Errors returned by Write before anything is rendered.
var (
	ErrNoLetters      = errors.New("packet: no letters for this office and campaign")
	ErrTooManyLetters = fmt.Errorf("packet: more than %d letters; split the packet", MaxLetters)
)

// Info describes the packet as a whole.
type Info struct {
	Campaign     delivery.Campaign
	Office       delivery.Office
	Organization string    // who delivers it, printed on the cover
	Date         time.Time // printed on the cover and used as the PDF's dates; required
	// Signatories, when set, makes the packet a coalition sign-on letter's:
	// the cover counts the organizations that signed (one entry each,
	// "Tucson, AZ") instead of the constituents who wrote.
	Signatories []delivery.Constituent
}

// Write renders the packet for info.Office to w: a cover sheet, then the
// letters in the order given, each starting on a new page. letters must
// all be for info.Office and info.Campaign (checked when the ids are set)
// and may not be empty or longer than MaxLetters. Nothing is written to w
// unless the whole PDF was built.
func Write(w io.Writer, info Info, letters []delivery.Message) error {
	return write(w, info, letters, options{compress: true})
}

// options are for tests: uncompressed content streams can be searched.
type options struct {
	compress bool
}

// Geometry, in millimetres on US Letter (215.9 × 279.4).
const (
	marginX      = 25.4
	marginTop    = 22.0
	bodyBottom   = 254.0 // no text below this line, except the footer
	footerY      = 263.0
	bodyFont     = "Times"
	bodySize     = 12.0
	bodyLine     = 5.6 // line height of body text
	contentWidth = 215.9 - 2*marginX
	maxSubject   = 3 // lines of subject on a letter page
	maxTitle     = 3 // lines of campaign title on the cover
)

// totalPagesAlias is replaced by fpdf with the page count when the
// document is closed. It starts with a control character, which sanitize
// removes from all user text, so a letter cannot contain it.
const totalPagesAlias = "\x1fnb\x1f"

func validate(info Info, letters []delivery.Message) error {
	switch {
	case len(letters) == 0:
		return ErrNoLetters
	case len(letters) > MaxLetters:
		return fmt.Errorf("%w (got %d)", ErrTooManyLetters, len(letters))
	case info.Date.IsZero():
		return errors.New("packet: Info.Date is required (it is printed and fixes the PDF's dates)")
	}
	for i, m := range letters {
		if a, b := m.Office.BioguideID, info.Office.BioguideID; a != "" && b != "" && a != b {
			return fmt.Errorf("packet: letter %d (id %d) is for office %s, not %s", i+1, m.LetterID, a, b)
		}
		if a, b := m.Campaign.ID, info.Campaign.ID; a != 0 && b != 0 && a != b {
			return fmt.Errorf("packet: letter %d (id %d) is for campaign %d, not %d", i+1, m.LetterID, a, b)
		}
	}
	return nil
}

func write(w io.Writer, info Info, letters []delivery.Message, opt options) error {
	if err := validate(info, letters); err != nil {
		return err
	}
	pdf := fpdf.New("P", "mm", "Letter", "")
	pdf.SetCompression(opt.compress)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(info.Date)
	pdf.SetModificationDate(info.Date)
	pdf.SetProducer("outreach", false)
	pdf.SetCreator("outreach packet", false)
	pdf.SetTitle(metaText(fmt.Sprintf("Letters to %s: %s", officeName(info.Office), info.Campaign.Title)), true)
	if org := metaText(info.Organization); org != "" {
		pdf.SetAuthor(org, true)
	}
	pdf.SetLang("en-US")
	pdf.SetMargins(marginX, marginTop, marginX)
	pdf.SetAutoPageBreak(false, 0) // pages are broken here, so their count is known
	pdf.AliasNbPages(totalPagesAlias)

	r := &renderer{
		pdf:   pdf,
		tr:    pdf.UnicodeTranslatorFromDescriptor(""), // cp1252
		info:  info,
		total: len(letters),
	}
	r.officeText = r.text(officeName(info.Office) + " · " + officeLabel(info.Office))
	r.cover(letters)
	for k := range letters {
		if pdf.Err() {
			break
		}
		r.letter(k+1, &letters[k])
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("packet: render: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("packet: write: %w", err)
	}
	return nil
}

type renderer struct {
	pdf        *fpdf.Fpdf
	tr         func(string) string
	info       Info
	total      int
	officeText string // footer, cp1252
}

// text makes a single-line field printable (cp1252 bytes).
func (r *renderer) text(s string) string { return r.tr(sanitize(s, false)) }

// para makes a multi-line field printable, keeping line breaks.
func (r *renderer) para(s string) string { return r.tr(sanitize(s, true)) }

// fit shortens an encoded single-line string to width w with an ellipsis.
func (r *renderer) fit(s string, w float64) string {
	if r.pdf.GetStringWidth(s) <= w {
		return s
	}
	const ellipsis = "\x85" // … in cp1252
	for len(s) > 0 && r.pdf.GetStringWidth(s+ellipsis) > w {
		s = s[:len(s)-1]
	}
	return strings.TrimRight(s, " ") + ellipsis
}

// lines wraps encoded text to width w in the current font, with fpdf's
// own algorithm (the one MultiCell uses), keeping at most max lines
// (0: all).
func (r *renderer) lines(s string, w float64, max int) []string {
	var out []string
	for _, l := range r.pdf.SplitLines([]byte(s), w) {
		out = append(out, string(l))
	}
	if max > 0 && len(out) > max {
		out = out[:max]
		out[max-1] = r.fit(out[max-1]+"\x85", w)
	}
	return out
}

func (r *renderer) setFont(family, style string, size float64, gray int) {
	r.pdf.SetFont(family, style, size)
	r.pdf.SetTextColor(gray, gray, gray)
}

// label prints a small grey capitalised caption at the current position.
func (r *renderer) label(s string, w float64, ln int) {
	r.setFont("Helvetica", "", 8, 110)
	r.pdf.CellFormat(w, 4.5, r.text(strings.ToUpper(s)), "", ln, "L", false, 0, "")
}

func (r *renderer) rule(y float64) {
	r.pdf.SetDrawColor(185, 185, 185)
	r.pdf.SetLineWidth(0.3)
	r.pdf.Line(marginX, y, marginX+contentWidth, y)
}

// footer prints the footer of the current page: the office on the left,
// right (already encoded) on the right.
func (r *renderer) footer(right string) {
	pdf := r.pdf
	r.rule(footerY - 2)
	r.setFont("Helvetica", "", 8, 110)
	rw := pdf.GetStringWidth(right) + 2
	pdf.SetXY(marginX, footerY)
	pdf.CellFormat(contentWidth-rw-4, 4, r.fit(r.officeText, contentWidth-rw-6), "", 0, "L", false, 0, "")
	pdf.SetXY(marginX+contentWidth-rw, footerY)
	pdf.CellFormat(rw, 4, right, "", 0, "R", false, 0, "")
}

func formatDate(t time.Time) string { return t.Format("2 January 2006") }

// place is one line of the cover's list of cities.
type place struct {
	name  string // "San Francisco, CA"
	count int
}

// places counts letters per city (case and spacing ignored), most first.
func places(letters []delivery.Message) []place {
	from := make([]delivery.Constituent, len(letters))
	for i := range letters {
		from[i] = letters[i].From
	}
	return placesOf(from)
}

// placesOf counts people (or organizations) per city, most first.
func placesOf(from []delivery.Constituent) []place {
	idx := map[string]int{}
	var out []place
	for i := range from {
		c := from[i]
		name := cityLine(c, false)
		if strings.TrimSpace(c.City) == "" {
			name = "City not given"
		}
		key := strings.ToLower(strings.Join(strings.Fields(name), " "))
		if j, ok := idx[key]; ok {
			out[j].count++
			continue
		}
		idx[key] = len(out)
		out = append(out, place{name: name, count: 1})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].count != out[j].count {
			return out[i].count > out[j].count
		}
		return strings.ToLower(out[i].name) < strings.ToLower(out[j].name)
	})
	return out
}

// constituents counts distinct writers: the same name at the same street
// address and ZIP counts once.
func constituents(letters []delivery.Message) int {
	seen := map[string]bool{}
	for i := range letters {
		c := letters[i].From
		key := strings.ToLower(strings.Join(strings.Fields(strings.Join(
			[]string{c.FirstName, c.LastName, c.Address1, c.ZIP}, "\x00")), " "))
		seen[key] = true
	}
	return len(seen)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func (r *renderer) cover(letters []delivery.Message) {
	pdf, info := r.pdf, r.info
	pdf.AddPage()

	pdf.SetXY(marginX, marginTop)
	if info.Organization != "" {
		r.setFont("Helvetica", "B", 11, 60)
		pdf.CellFormat(contentWidth, 5.5, r.fit(r.text(info.Organization), contentWidth), "", 1, "L", false, 0, "")
	}
	signOn := len(info.Signatories) > 0
	r.setFont("Helvetica", "", 10, 110)
	kind := "Constituent letters for hand delivery"
	if signOn {
		kind = "Coalition sign-on letter"
	}
	pdf.CellFormat(contentWidth, 5, r.text(kind), "", 1, "L", false, 0, "")

	pdf.Ln(8)
	r.setFont("Helvetica", "B", 22, 0)
	for _, l := range r.lines(r.text(info.Campaign.Title), contentWidth, maxTitle) {
		pdf.CellFormat(contentWidth, 9.5, l, "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
	r.rule(pdf.GetY())
	pdf.Ln(7)

	r.label("To", contentWidth, 1)
	r.setFont("Helvetica", "B", 16, 0)
	pdf.CellFormat(contentWidth, 7.5, r.fit(r.text(officeName(info.Office)), contentWidth), "", 1, "L", false, 0, "")
	r.setFont("Helvetica", "", 12, 40)
	pdf.CellFormat(contentWidth, 6, r.text(officeLabel(info.Office)), "", 1, "L", false, 0, "")

	pdf.Ln(7)
	col := contentWidth / 3
	y := pdf.GetY()
	facts := [3][2]string{
		{"Letters", strconv.Itoa(len(letters))},
		{"Date", formatDate(info.Date)},
		{"Pages in this packet", totalPagesAlias},
	}
	if signOn {
		facts[0] = [2]string{"Organizations", strconv.Itoa(len(info.Signatories))}
	}
	for i, f := range facts {
		x := marginX + float64(i)*col
		pdf.SetXY(x, y)
		r.label(f[0], col, 2)
		r.setFont("Helvetica", "B", 15, 0)
		pdf.SetX(x)
		v := f[1]
		if v != totalPagesAlias {
			v = r.text(v)
		}
		pdf.CellFormat(col, 7.5, v, "", 2, "L", false, 0, "")
	}
	pdf.SetXY(marginX, y+12+9)

	// The note, on a light panel.
	n := constituents(letters)
	note := fmt.Sprintf("%s from %s wrote to you about “%s”.",
		plural(n, "constituent", "constituents"), stateName(info.Office.State), info.Campaign.Title)
	whereLabel, ps := "Where they live", places(letters)
	if signOn {
		note = fmt.Sprintf("%s signed this letter to you about “%s”; the full list follows the letter.",
			plural(len(info.Signatories), "organization", "organizations"), info.Campaign.Title)
		whereLabel, ps = "Where the organizations are", placesOf(info.Signatories)
	}
	r.setFont("Helvetica", "", 13, 0)
	const pad = 5.0
	noteLines := r.lines(r.text(note), contentWidth-2*pad, 4)
	top := pdf.GetY()
	pdf.SetFillColor(241, 243, 246)
	pdf.Rect(marginX, top, contentWidth, float64(len(noteLines))*6.5+2*pad-1.5, "F")
	pdf.SetXY(marginX+pad, top+pad-0.5)
	for _, l := range noteLines {
		pdf.SetX(marginX + pad)
		pdf.CellFormat(contentWidth-2*pad, 6.5, l, "", 1, "L", false, 0, "")
	}
	pdf.SetXY(marginX, top+float64(len(noteLines))*6.5+2*pad-1.5+9)

	// Where they live: two columns, top to bottom, as many rows as fit;
	// the rest summed up on the last line.
	r.label(whereLabel, contentWidth, 1)
	r.rule(pdf.GetY() + 0.5)
	pdf.Ln(2.5)
	const rowH, gap = 5.6, 10.0
	colW := (contentWidth - gap) / 2
	top = pdf.GetY()
	rows := max(int((bodyBottom-top)/rowH), 1)
	shown := ps
	var rest []place
	if len(ps) > 2*rows {
		shown, rest = ps[:2*rows-1], ps[2*rows-1:]
	}
	r.setFont("Helvetica", "", 10.5, 0)
	cell := func(i int, name string, count int) {
		x := marginX + float64(i/rows)*(colW+gap)
		yy := top + float64(i%rows)*rowH
		num := strconv.Itoa(count)
		pdf.SetXY(x, yy)
		numW := pdf.GetStringWidth(num) + 3
		pdf.CellFormat(colW-numW, rowH, r.fit(r.text(name), colW-numW-2), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "B", 10.5)
		pdf.CellFormat(numW, rowH, num, "", 0, "R", false, 0, "")
		pdf.SetFont("Helvetica", "", 10.5)
	}
	for i, p := range shown {
		cell(i, p.name, p.count)
	}
	if len(rest) > 0 {
		sum := 0
		for _, p := range rest {
			sum += p.count
		}
		pdf.SetFont("Helvetica", "I", 10.5)
		cell(len(shown), fmt.Sprintf("and %d more places", len(rest)), sum)
	}

	r.footer(r.text("Cover sheet · " + plural(len(letters), "letter follows", "letters follow")))
}

// letter prints letter k (1-based) on as many pages as it needs.
func (r *renderer) letter(k int, m *delivery.Message) {
	pdf := r.pdf
	pdf.AddPage()
	pdf.SetXY(marginX, marginTop)

	name := r.text(fullName(m.From))
	if name == "" {
		name = "(name not given)"
	}
	written := m.CreatedAt
	if written.IsZero() {
		written = r.info.Date
	} else {
		written = written.In(r.info.Date.Location())
	}

	// The delivered form of the letter (delivery.Compose), with the
	// postal sender block, which heads the page.
	composed := delivery.Compose(*m, delivery.PostalSender)

	// Sender block, with the date on the right of its first line.
	r.setFont(bodyFont, "", bodySize, 0)
	date := r.text(formatDate(written))
	dateW := pdf.GetStringWidth(date) + 2
	pdf.CellFormat(contentWidth-dateW, bodyLine, r.fit(name, contentWidth-dateW-5), "", 0, "L", false, 0, "")
	pdf.CellFormat(dateW, bodyLine, date, "", 1, "R", false, 0, "")
	address := composed.Sender
	if fullName(m.From) != "" {
		address = address[1:] // the name is the first line, printed above
	}
	for _, l := range address {
		if l = r.text(l); l != "" {
			pdf.CellFormat(contentWidth, bodyLine, r.fit(l, contentWidth), "", 1, "L", false, 0, "")
		}
	}
	pdf.Ln(bodyLine)
	to := r.text("To: " + officeName(r.info.Office) + ", " + officeLabel(r.info.Office))
	pdf.CellFormat(contentWidth, bodyLine, r.fit(to, contentWidth), "", 1, "L", false, 0, "")
	pdf.Ln(bodyLine)

	subject := m.Subject
	if strings.TrimSpace(subject) == "" {
		subject = r.info.Campaign.Title
	}
	r.setFont(bodyFont, "B", bodySize, 0)
	for _, l := range r.lines(r.text(subject), contentWidth, maxSubject) {
		pdf.CellFormat(contentWidth, bodyLine, l, "", 1, "L", false, 0, "")
	}
	pdf.Ln(bodyLine * 0.6)

	// Body: wrapped here with fpdf's algorithm so the pages are known
	// before the first footer is printed, then printed page by page with
	// MultiCell (each chunk is already wrapped, so MultiCell keeps it).
	body := composed.TextWithoutSender()
	r.setFont(bodyFont, "", bodySize, 0)
	all := r.lines(strings.TrimRight(r.para(body), "\n "), contentWidth, 0)
	firstTop := pdf.GetY()
	contTop := marginTop + 11
	var pages [][]string
	for top := firstTop; ; top = contTop {
		if len(pages) > 0 { // no blank lines at the top of a continuation page
			for len(all) > 0 && strings.TrimSpace(all[0]) == "" {
				all = all[1:]
			}
			if len(all) == 0 {
				break
			}
		}
		n := min(int((bodyBottom-top)/bodyLine), len(all))
		pages = append(pages, all[:n])
		all = all[n:]
		if len(all) == 0 {
			break
		}
	}

	for x, chunk := range pages {
		if x > 0 {
			pdf.AddPage()
			r.setFont("Helvetica", "I", 9, 90)
			pdf.SetXY(marginX, marginTop)
			pdf.CellFormat(contentWidth, 5, r.fit(name+" (continued)", contentWidth), "", 1, "L", false, 0, "")
			r.rule(marginTop + 6.5)
			pdf.SetXY(marginX, contTop)
			r.setFont(bodyFont, "", bodySize, 0)
		}
		if len(chunk) > 0 {
			pdf.SetX(marginX)
			pdf.MultiCell(contentWidth, bodyLine, strings.Join(chunk, "\n"), "", "L", false)
		}
		r.footer(r.text(fmt.Sprintf("Letter %d of %d · page %d of %d", k, r.total, x+1, len(pages))))
	}
}
