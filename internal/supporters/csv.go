package supporters

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-org/outreach/internal/action"
	"github.com/outreach-org/outreach/internal/attribution"
	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/usstate"
)

// MaxImportRows caps the data rows of one import file.
const MaxImportRows = 200000

// ImportColumns are the columns an import file may have (a header row
// names them, in any order, case-insensitive): email and consent are
// required.
var ImportColumns = []string{"email", "consent", "first_name", "last_name", "lang", "state", "district", "source", "campaign"}

// ConsentValues are what the consent column must say for a row to be
// imported: explicit consent, recorded where the address was collected.
// Anything else (empty, "no", "unknown") refuses the row.
var ConsentValues = []string{"yes", "y", "true", "1"}

// Parsed is an import file read and checked: the rows to import (sealed),
// and the rows refused, by line (the header is line 1).
type Parsed struct {
	Rows     []store.SupporterImport
	Refused  []store.RowError
	DataRows int
}

// ParseCSV reads an import file. A problem with the file itself (no
// header, no email or consent column, an unknown column, too many rows,
// not CSV) is an error and nothing is imported; a row that cannot be
// imported (no explicit consent, a bad address, state, district, language,
// source or campaign) is refused with its line, field and reason, never
// its content. Each good row's address and name are sealed here.
func ParseCSV(r io.Reader, k Keys, campaigns Campaigns) (Parsed, error) {
	var p Parsed
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return p, errors.New("the file is empty: the first row must name the columns (email,consent,...)")
	}
	if err != nil {
		return p, fmt.Errorf("not a CSV file: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if h == "language" {
			h = "lang"
		}
		known := false
		for _, c := range ImportColumns {
			known = known || c == h
		}
		if !known {
			return p, fmt.Errorf("column %d: unknown column %q (the columns are %s)", i+1, h, strings.Join(ImportColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return p, fmt.Errorf("column %q twice", h)
		}
		col[h] = i
	}
	for _, need := range []string{"email", "consent"} {
		if _, ok := col[need]; !ok {
			return p, fmt.Errorf("no %s column: an import needs email and consent (rows without explicit consent are refused)", need)
		}
	}
	campaignIDs := map[string]int64{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return p, fmt.Errorf("not CSV: %w", err) // names the line
		}
		line, _ := cr.FieldPos(0) // the file's line (blank lines are skipped)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		p.DataRows++
		if p.DataRows > MaxImportRows {
			return p, fmt.Errorf("more than %d rows: split the file", MaxImportRows)
		}
		get := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		refuse := func(field, reason string) {
			p.Refused = append(p.Refused, store.RowError{Line: line, Field: field, Reason: reason})
		}
		if !consented(get("consent")) {
			refuse("consent", "no explicit consent: the consent column must say yes")
			continue
		}
		email, err := auth.NormalizeEmail(get("email"))
		if err != nil {
			refuse("email", "not an email address")
			continue
		}
		first, last := get("first_name"), get("last_name")
		if len(first) > 100 || len(last) > 100 || hasControl(first) || hasControl(last) {
			refuse("first_name", "a name is at most 100 characters, without control characters")
			continue
		}
		row := store.SupporterImport{Line: line, Lang: "en"}
		switch l := strings.ToLower(get("lang")); l {
		case "", "en", "english":
		case "es", "spanish", "español", "espanol":
			row.Lang = "es"
		default:
			refuse("lang", "must be en or es")
			continue
		}
		if st := strings.ToUpper(get("state")); st != "" {
			if !usstate.Represented(st) {
				refuse("state", "not a state's USPS code")
				continue
			}
			row.State = st
		}
		if d := get("district"); d != "" {
			if !strings.Contains(d, "-") && row.State != "" {
				d = row.State + "-" + d
			}
			dist, err := ParseDistrict(d)
			if err != nil || (row.State != "" && dist.State != row.State) {
				refuse("district", "not a district of the row's state (12, CA-12, AK-0)")
				continue
			}
			row.State, row.District = dist.State, &dist.Number
		}
		if raw := get("source"); raw != "" {
			if row.Source = attribution.Token(raw); row.Source == "" {
				refuse("source", "a source code is up to 40 lowercase letters, digits, '.', '_' or '-'")
				continue
			}
		}
		if ref := get("campaign"); ref != "" {
			id, ok := campaignIDs[ref]
			if !ok {
				id, err = campaigns(ref)
				if errors.Is(err, store.ErrNotFound) {
					id = 0
				} else if err != nil {
					return p, err
				}
				campaignIDs[ref] = id
			}
			if id == 0 {
				refuse("campaign", "no such campaign")
				continue
			}
			row.CampaignID = id
		}
		row.EmailIndex = k.Index("email", email)
		if row.Sealed, err = k.SealJSON(PII{Email: email, FirstName: first, LastName: last}, action.OptInAAD(row.EmailIndex)); err != nil {
			return p, err
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}

func consented(v string) bool {
	v = strings.ToLower(v)
	for _, c := range ConsentValues {
		if v == c {
			return true
		}
	}
	return false
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// ExportHeader is the first row of an export. An export is also a valid
// import file but for its consent column, which only the organization can
// vouch for.
var ExportHeader = []string{"email", "first_name", "last_name", "lang", "state", "district", "source", "campaign", "origin", "joined_at", "status"}

// Writer writes supporters as CSV rows with their personal data opened.
type Writer struct {
	w    *csv.Writer
	keys Keys
	// Campaign names a campaign id in the export (its slug).
	Campaign func(id int64) string
	n        int
}

// NewWriter writes the header and answers a Writer.
func NewWriter(w io.Writer, k Keys, campaign func(int64) string) (*Writer, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportHeader); err != nil {
		return nil, err
	}
	return &Writer{w: cw, keys: k, Campaign: campaign}, nil
}

// Write writes one supporter. A row that cannot be opened (a key that is
// gone) is written without its personal data.
func (w *Writer) Write(sp store.Supporter) error {
	p, _ := Open(w.keys, sp)
	camp := ""
	if sp.CampaignID != 0 && w.Campaign != nil {
		camp = w.Campaign(sp.CampaignID)
	}
	w.n++
	if err := w.w.Write([]string{cell(p.Email), cell(p.FirstName), cell(p.LastName), sp.Lang, sp.State, districtNumber(sp.District), sp.Source, camp, sp.Origin,
		sp.JoinedAt.UTC().Format(time.RFC3339), Status(sp)}); err != nil {
		return err
	}
	if w.n%1000 == 0 {
		w.w.Flush()
	}
	return w.w.Error()
}

// Flush ends the export; it answers how many rows were written.
func (w *Writer) Flush() (int, error) {
	w.w.Flush()
	return w.n, w.w.Error()
}

func districtNumber(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// cell keeps spreadsheet programs from running a value as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
