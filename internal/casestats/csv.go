package casestats

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// DefaultMaxErrors is used by ParseCSV when maxErrors <= 0.
const DefaultMaxErrors = 100

// MaxLineBytes bounds one line of an imported CSV file (a valid row is a few
// hundred bytes); a longer line stops the import with a row error, so a
// hostile file cannot make the parser buffer without bound.
const MaxLineBytes = 16 << 10

var errLineTooLong = errors.New("line too long")

// safeName: a header or key we may repeat back to the user.
var safeName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// describeColumn names an unknown column without echoing a name that could
// be identifying (only short snake_case names are repeated).
func describeColumn(name string, pos int) (field string, hidden string) {
	if safeName.MatchString(name) {
		if _, bad := LooksIdentifying(name); !bad {
			return name, ""
		}
	}
	kind, ok := LooksIdentifying(name)
	if !ok {
		kind = "not shown"
	} else {
		kind = "looks like " + kind
	}
	return "column " + strconv.Itoa(pos), kind
}

func normalizeHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(h)
}

// ParseCSV reads a CSV file of case records: a header row naming the
// columns (any order; case, surrounding spaces, and spaces or dashes for
// underscores are tolerated; a UTF-8 BOM and CRLF line endings are
// accepted), then one record per row. Values are normalised (see
// Record.Normalize) and validated.
//
// It streams: memory stays constant whatever the file size (one row at a
// time; lines longer than MaxLineBytes are refused).
//
// Errors: header problems (unknown, missing, duplicated or unnamed
// columns) are reported with Row 0; row problems with their 1-based data row
// number (the first row after the header is row 1). At most maxErrors
// errors are collected (DefaultMaxErrors if maxErrors <= 0); when the limit
// is reached reading stops, so len(errs) == maxErrors means there may be
// more. Malformed CSV (e.g. a stray quote) and over-long lines are reported
// as a row error and stop reading. No error ever contains a value from the
// file; an unknown column is named only when its name is a short snake_case
// word that does not look identifying, otherwise by its position.
//
// err is reserved for failures that are not the file's fault: reading r, or
// fn returning an error (which stops reading and is returned wrapped).
//
// fn (may be nil) is called, in file order, for each valid row as long as
// no error has been found so far; after the first error it is no longer
// called, but reading goes on to report more errors. So fn sees a prefix of
// the file, and the result is usable only when errs is empty and err is nil.
// The intended use is all-or-nothing inside a database transaction: insert
// in fn, then commit only if len(errs) == 0 && err == nil, else roll back.
// A caller that cannot hold a transaction open can validate first with
// fn == nil and then parse the same bytes again with fn (validate, then
// apply).
//
// n is the number of data rows read (when errs is empty and err is nil,
// every one of them was passed to fn).
func ParseCSV(r io.Reader, maxErrors int, fn func(Record) error) (n int, errs []FieldError, err error) {
	if maxErrors <= 0 {
		maxErrors = DefaultMaxErrors
	}
	br := bufio.NewReaderSize(&lineLimitReader{r: r, max: MaxLineBytes}, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1

	full := func() bool { return len(errs) >= maxErrors }
	add := func(e FieldError) {
		if !full() {
			errs = append(errs, e)
		}
	}
	// readErr turns a csv reading error into a row error or a real error.
	readErr := func(e error, row int) error {
		var pe *csv.ParseError
		switch {
		case errors.Is(e, errLineTooLong):
			add(FieldError{Row: row, Reason: fmt.Sprintf("line is longer than %d bytes; reading stopped", MaxLineBytes)})
			return nil
		case errors.As(e, &pe):
			// pe.Err is a fixed message (e.g. `bare " in non-quoted field`): no data.
			add(FieldError{Row: row, Reason: fmt.Sprintf("malformed CSV on line %d: %v; reading stopped", pe.Line, pe.Err)})
			return nil
		}
		return fmt.Errorf("casestats: reading CSV: %w", e)
	}

	header, e := cr.Read()
	if e == io.EOF {
		return 0, []FieldError{{Reason: "the file is empty: expected a header row"}}, nil
	}
	if e != nil {
		return 0, errs, readErr(e, 0)
	}
	ncols := len(header)
	colOf := [numFields]int{}
	for i := range colOf {
		colOf[i] = -1
	}
	unknown := make([]bool, ncols)
	unknownName := make([]string, ncols) // how to refer to an unknown column
	for pos, h := range header {
		name := normalizeHeader(h)
		i := fieldIndexByName(name)
		switch {
		case name == "":
			unknown[pos] = true
			unknownName[pos] = "column " + strconv.Itoa(pos+1)
			add(FieldError{Field: unknownName[pos], Reason: "column has no name"})
		case i < 0:
			unknown[pos] = true
			field, hidden := describeColumn(strings.TrimSpace(h), pos+1)
			unknownName[pos] = field
			reason := "unknown column; accepted columns are: " + strings.Join(fieldNames[:], ", ")
			if hidden != "" {
				reason = "unknown column (name " + hidden + "); accepted columns are: " + strings.Join(fieldNames[:], ", ")
			}
			add(FieldError{Field: field, Reason: reason})
		case colOf[i] >= 0:
			add(FieldError{Field: fieldNames[i], Reason: fmt.Sprintf("column appears more than once (columns %d and %d)", colOf[i]+1, pos+1)})
		default:
			colOf[i] = pos
		}
	}
	for i, c := range colOf {
		if c < 0 {
			add(FieldError{Field: fieldNames[i], Reason: "column is missing"})
		}
	}
	apply := len(errs) == 0 && fn != nil

	for !full() {
		row, e := cr.Read()
		if e == io.EOF {
			break
		}
		if e != nil {
			if rerr := readErr(e, n+1); rerr != nil {
				return n, errs, rerr
			}
			break
		}
		n++
		if len(row) != ncols {
			add(FieldError{Row: n, Reason: fmt.Sprintf("row has %d fields; the header has %d", len(row), ncols)})
			for pos, v := range row {
				if kind, ok := LooksIdentifying(v); ok {
					add(FieldError{Row: n, Field: "column " + strconv.Itoa(pos+1), Reason: identifyingReason(kind)})
				}
			}
			apply = false
			continue
		}
		var rec Record
		canonical := true
		for i, c := range colOf {
			if c >= 0 {
				v, ok := normalizeValue(i, row[c])
				*rec.field(i) = v
				canonical = canonical && ok
			}
		}
		rowOK := true
		for pos, isUnknown := range unknown {
			if !isUnknown {
				continue
			}
			if kind, ok := LooksIdentifying(row[pos]); ok {
				add(FieldError{Row: n, Field: unknownName[pos], Reason: identifyingReason(kind)})
				rowOK = false
			}
		}
		for _, fe := range rec.validate(canonical) {
			if colOf[fieldIndexByName(fe.Field)] < 0 {
				continue // missing column: already reported once in the header
			}
			fe.Row = n
			add(fe)
			rowOK = false
		}
		if !rowOK {
			apply = false
			continue
		}
		if apply {
			if ferr := fn(rec); ferr != nil {
				return n, errs, fmt.Errorf("casestats: row %d: %w", n, ferr)
			}
		}
	}
	return n, errs, nil
}

// lineLimitReader fails once a line exceeds max bytes; the bytes before
// the offending point are still delivered, so earlier rows parse normally.
type lineLimitReader struct {
	r    io.Reader
	max  int
	line int
	err  error
}

func (l *lineLimitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for k := 0; k < n; {
		i := bytes.IndexByte(p[k:n], '\n')
		if i < 0 {
			i = n - k
		} else {
			i++ // include the newline in this line's segment
		}
		if l.line+i > l.max+1 {
			l.err = errLineTooLong
			return k + (l.max + 1 - l.line), l.err
		}
		if p[k+i-1] == '\n' {
			l.line = 0
		} else {
			l.line += i
		}
		k += i
	}
	return n, err
}
