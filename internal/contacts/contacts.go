// Package contacts is the office contacts directory: people in
// congressional offices (an office's immigration legislative assistant,
// say) that staff enter per office or import from CSV. It is kept apart
// from the built-in congressional data (internal/congress), so that a data
// refresh never touches it. The first contact of an office with an email
// address is where the email channel delivers that office's letters.
//
// This package checks and reads contacts; internal/store keeps them.
package contacts

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
)

// Contact is one person (or shared mailbox) in an office.
type Contact struct {
	BioguideID string `json:"bioguide_id"`
	Name       string `json:"name"`
	Role       string `json:"role"`  // "Immigration legislative assistant"
	Email      string `json:"email"` // where the email channel writes
	Fax        string `json:"fax"`   // 202-555-0143, optional
}

// Header is the CSV header of an import, in this order.
var Header = []string{"bioguide_id", "name", "role", "email", "fax"}

// Limits.
const (
	MaxPerOffice = 20   // contacts of one office
	MaxRows      = 5000 // data rows of one import
	MaxErrors    = 50   // problems reported before an import stops reading
	maxText      = 200
	maxEmail     = 254
)

// FieldError is one refused value: Row is the 1-based data row of an
// import (0 outside an import), Index the contact's place in a list (for
// the API's contacts[i].field), Field the column. The message never
// repeats the value.
type FieldError struct {
	Row     int    `json:"row,omitempty"`
	Index   int    `json:"-"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string {
	var b strings.Builder
	if e.Row > 0 {
		fmt.Fprintf(&b, "row %d: ", e.Row)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

var bioguideRe = regexp.MustCompile(`^[A-Z][0-9]{6}$`)

// Known says whether a bioguide id is a sitting member's.
type Known func(bioguideID string) bool

// Normalize trims every field, upper-cases the bioguide id, lower-cases
// the email's domain and writes a fax as 202-555-0143.
func (c *Contact) Normalize() {
	c.BioguideID = strings.ToUpper(strings.TrimSpace(c.BioguideID))
	c.Name = strings.Join(strings.Fields(c.Name), " ")
	c.Role = strings.Join(strings.Fields(c.Role), " ")
	c.Email = strings.TrimSpace(c.Email)
	if at := strings.LastIndexByte(c.Email, '@'); at > 0 {
		c.Email = c.Email[:at] + strings.ToLower(c.Email[at:])
	}
	c.Fax = strings.TrimSpace(c.Fax)
	if f, ok := normalFax(c.Fax); ok {
		c.Fax = f
	}
}

// Check normalizes c and returns what is wrong with it (nil when
// nothing). known may be nil (no check that the member sits).
func (c *Contact) Check(known Known) []FieldError {
	c.Normalize()
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{Field: field, Message: msg}) }
	switch {
	case c.BioguideID == "":
		bad("bioguide_id", "is required, like P000197")
	case !bioguideRe.MatchString(c.BioguideID):
		bad("bioguide_id", "must be a letter and six digits, like P000197")
	case known != nil && !known(c.BioguideID):
		bad("bioguide_id", "no sitting member of Congress has "+c.BioguideID)
	}
	switch {
	case c.Name == "":
		bad("name", "is required: the person's name, or the office's name for a shared mailbox")
	case len(c.Name) > maxText:
		bad("name", fmt.Sprintf("is longer than %d characters", maxText))
	case hasControl(c.Name):
		bad("name", "contains control characters")
	}
	switch {
	case len(c.Role) > maxText:
		bad("role", fmt.Sprintf("is longer than %d characters", maxText))
	case hasControl(c.Role):
		bad("role", "contains control characters")
	}
	if c.Email != "" {
		if len(c.Email) > maxEmail || !plainAddress(c.Email) {
			bad("email", "is not an email address like name@mail.house.gov")
		}
	}
	if c.Fax != "" {
		if _, ok := normalFax(c.Fax); !ok {
			bad("fax", "must be a 10-digit US number, like 202-555-0143")
		}
	}
	return errs
}

// CheckOffice checks one office's whole list (the API and the admin page
// replace an office's contacts at once): each contact, at most
// MaxPerOffice, no email twice. Every contact gets bioguideID.
func CheckOffice(bioguideID string, list []Contact, known Known) []FieldError {
	var errs []FieldError
	id := strings.ToUpper(strings.TrimSpace(bioguideID))
	if !bioguideRe.MatchString(id) || (known != nil && !known(id)) {
		return []FieldError{{Field: "bioguide_id", Message: "no sitting member of Congress has " + id}}
	}
	if len(list) > MaxPerOffice {
		errs = append(errs, FieldError{Field: "contacts", Message: fmt.Sprintf("an office has at most %d contacts", MaxPerOffice)})
	}
	seen := map[string]int{}
	for i := range list {
		list[i].BioguideID = id
		for _, e := range list[i].Check(nil) {
			e.Index = i
			errs = append(errs, e)
		}
		if em := strings.ToLower(list[i].Email); em != "" {
			if j, ok := seen[em]; ok {
				errs = append(errs, FieldError{Index: i, Field: "email", Message: fmt.Sprintf("is the same as contact %d's", j+1)})
			}
			seen[em] = i
		}
	}
	return errs
}

// Primary is the address the email channel uses for an office with these
// contacts (in order): the first contact's email that has one, or "".
func Primary(list []Contact) string {
	for _, c := range list {
		if c.Email != "" {
			return c.Email
		}
	}
	return ""
}

// ErrNoRows is an import without data rows.
var ErrNoRows = errors.New("the file has a header but no contacts")

// Parsed is a checked import: the contacts by office, in file order
// (Offices in order of first appearance), or the problems.
type Parsed struct {
	Offices  []string
	Contacts map[string][]Contact
	Rows     int
	Errors   []FieldError
}

// ParseCSV reads an import with the header bioguide_id,name,role,email,fax
// (any order; role, email and fax may be empty). It stops reading after
// MaxErrors problems. An error return means the file itself could not be
// read (not CSV, no header); row problems are in Parsed.Errors.
func ParseCSV(r io.Reader, known Known) (Parsed, error) {
	p := Parsed{Contacts: map[string][]Contact{}}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return p, errors.New("the file is empty: it needs the header " + strings.Join(Header, ","))
	}
	if err != nil {
		return p, fmt.Errorf("the file is not CSV: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; dup {
			return p, fmt.Errorf("the header names %q twice", h)
		}
		col[h] = i
	}
	var missing, unknown []string
	for _, h := range Header {
		if _, ok := col[h]; !ok {
			missing = append(missing, h)
		}
	}
	for h := range col {
		if !isHeader(h) {
			unknown = append(unknown, h)
		}
	}
	if len(missing) > 0 || len(unknown) > 0 {
		msg := "the header must be " + strings.Join(Header, ",")
		if len(missing) > 0 {
			msg += "; missing " + strings.Join(missing, ", ")
		}
		if len(unknown) > 0 {
			msg += "; unknown column " + strings.Join(unknown, ", ")
		}
		return p, errors.New(msg)
	}
	emails := map[string]int{} // bioguide|email -> row
	for len(p.Errors) < MaxErrors {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		p.Rows++
		row := p.Rows
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.Errors = append(p.Errors, FieldError{Row: row, Message: "not valid CSV: " + pe.Err.Error()})
				continue
			}
			return p, err
		}
		if p.Rows > MaxRows {
			p.Errors = append(p.Errors, FieldError{Row: row, Message: fmt.Sprintf("an import has at most %d rows", MaxRows)})
			break
		}
		if len(rec) != len(head) {
			p.Errors = append(p.Errors, FieldError{Row: row, Message: fmt.Sprintf("has %d fields, the header %d", len(rec), len(head))})
			continue
		}
		c := Contact{BioguideID: rec[col["bioguide_id"]], Name: rec[col["name"]], Role: rec[col["role"]], Email: rec[col["email"]], Fax: rec[col["fax"]]}
		errs := c.Check(known)
		for _, e := range errs {
			e.Row = row
			p.Errors = append(p.Errors, e)
		}
		if len(errs) > 0 {
			continue
		}
		if c.Email != "" {
			k := c.BioguideID + "|" + strings.ToLower(c.Email)
			if first, ok := emails[k]; ok {
				p.Errors = append(p.Errors, FieldError{Row: row, Field: "email", Message: fmt.Sprintf("the same office and email as row %d", first)})
				continue
			}
			emails[k] = row
		}
		if _, ok := p.Contacts[c.BioguideID]; !ok {
			p.Offices = append(p.Offices, c.BioguideID)
		}
		if len(p.Contacts[c.BioguideID]) == MaxPerOffice {
			p.Errors = append(p.Errors, FieldError{Row: row, Field: "bioguide_id", Message: fmt.Sprintf("an office has at most %d contacts", MaxPerOffice)})
			continue
		}
		p.Contacts[c.BioguideID] = append(p.Contacts[c.BioguideID], c)
	}
	if p.Rows == 0 {
		return p, ErrNoRows
	}
	if len(p.Errors) > 0 {
		p.Offices, p.Contacts = nil, nil
	}
	return p, nil
}

func isHeader(h string) bool {
	for _, x := range Header {
		if h == x {
			return true
		}
	}
	return false
}

// WriteCSV writes contacts with Header, for export and re-import.
func WriteCSV(w io.Writer, list []Contact) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	for _, c := range list {
		if err := cw.Write([]string{c.BioguideID, c.Name, c.Role, c.Email, c.Fax}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func hasControl(s string) bool { return strings.IndexFunc(s, unicode.IsControl) >= 0 }

// plainAddress accepts a bare address (no display name, no angle
// brackets) with a dot in its domain.
func plainAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	dom := s[at+1:]
	return at > 0 && strings.Contains(dom, ".") && !strings.HasPrefix(dom, ".") && !strings.HasSuffix(dom, ".")
}

// normalFax writes a US number as 202-555-0143 (a leading 1 or +1 is
// dropped); false when it is not one.
func normalFax(s string) (string, bool) {
	var d []byte
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, byte(r))
		case strings.ContainsRune(" -().+", r):
		default:
			return "", false
		}
	}
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	if len(d) != 10 || d[0] < '2' {
		return "", false
	}
	return string(d[:3]) + "-" + string(d[3:6]) + "-" + string(d[6:]), true
}
