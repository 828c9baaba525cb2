package casestats

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode"
)

const header = "quarter,state,child_age_bracket,facility_type,form_presented,form_premarked,form_english_only,language_barrier,told_no_rights,threatened_permanent_separation,credible_fear,asylum_claim,outcome"

func csvRow(r Record) string {
	var parts []string
	for i := range numFields {
		parts = append(parts, *r.field(i))
	}
	return strings.Join(parts, ",")
}

func collect(t *testing.T, data string, maxErrors int) (int, []Record, []FieldError) {
	t.Helper()
	var got []Record
	n, errs, err := ParseCSV(strings.NewReader(data), maxErrors, func(r Record) error {
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatalf("err: %v", err)
	}
	return n, got, errs
}

func TestParseCSVValid(t *testing.T) {
	r := validRecord()
	data := header + "\n" + csvRow(r) + "\n" + csvRow(r) + "\n"
	n, got, errs := collect(t, data, 0)
	if n != 2 || len(got) != 2 || len(errs) != 0 || got[0] != r {
		t.Fatalf("n=%d got=%v errs=%v", n, got, errs)
	}
}

func TestParseCSVCRLFAndBOM(t *testing.T) {
	r := validRecord()
	// BOM, CRLF, columns in another order and in a spreadsheet's spelling,
	// values in mixed case: all accepted.
	cols := strings.Split(header, ",")
	vals := strings.Split(csvRow(r), ",")
	cols[0], cols[12] = cols[12], cols[0]
	vals[0], vals[12] = vals[12], vals[0]
	cols[1] = " State "
	cols[2] = "Child Age Bracket"
	vals[1] = "tx"
	vals[7] = "Yes"
	data := "\uFEFF" + strings.Join(cols, ",") + "\r\n" + strings.Join(vals, ",") + "\r\n" + strings.Join(vals, ",")
	n, got, errs := collect(t, data, 0)
	if n != 2 || len(errs) != 0 || len(got) != 2 || got[1] != r {
		t.Fatalf("n=%d errs=%v got=%+v", n, errs, got)
	}
	// BOM before a quoted header cell
	data = "\uFEFF\"quarter\"" + header[len("quarter"):] + "\r\n" + csvRow(r) + "\r\n"
	if _, _, errs := collect(t, data, 0); len(errs) != 0 {
		t.Fatalf("quoted header after BOM: %v", errs)
	}
}

func TestParseCSVHeaderErrors(t *testing.T) {
	r := validRecord()
	// unknown (safe name: echoed), unknown (identifying name: not echoed),
	// duplicate, missing (outcome), unnamed
	cols := strings.Split(header, ",")
	cols = cols[:12]                                         // drop outcome
	cols = append(cols, "notes", "Maria Lopez", "state", "") // unknown, identifying, duplicate, unnamed
	vals := strings.Split(csvRow(r), ",")[:12]
	vals = append(vals, "ok", "", "TX", "")
	called := false
	n, errs, err := ParseCSV(strings.NewReader(strings.Join(cols, ",")+"\n"+strings.Join(vals, ",")+"\n"), 0, func(Record) error {
		called = true
		return nil
	})
	if err != nil || called || n != 1 {
		t.Fatalf("err=%v called=%v n=%d", err, called, n)
	}
	byField := map[string]string{}
	for _, e := range errs {
		if e.Row != 0 {
			t.Errorf("header error with row %d: %v", e.Row, e)
		}
		byField[e.Field] = e.Reason
	}
	checks := map[string]string{
		"notes":     "unknown column;",
		"column 14": "unknown column (name looks like a name)",
		"state":     "column appears more than once (columns 2 and 15)",
		"outcome":   "column is missing",
		"column 16": "column has no name",
	}
	for f, want := range checks {
		if !strings.HasPrefix(byField[f], want) {
			t.Errorf("%s: %q, want %q", f, byField[f], want)
		}
	}
	if len(errs) != len(checks) {
		t.Errorf("errors: %v", errs)
	}
	assertNoEcho(t, errs, "Maria", "Lopez")
}

func TestParseCSVUnknownColumnValues(t *testing.T) {
	r := validRecord()
	data := header + ",comments\n" + csvRow(r) + ",A-123-456-789\n" + csvRow(r) + ",fine\n"
	_, got, errs := collect(t, data, 0)
	if len(got) != 0 {
		t.Fatal("fn called despite an unknown column")
	}
	if len(errs) != 2 || errs[1].Row != 1 || errs[1].Field != "comments" || errs[1].Reason != "looks like an A-number; identifying data is never stored" {
		t.Fatalf("%v", errs)
	}
	assertNoEcho(t, errs, "123-456-789")
}

func TestParseCSVBadValues(t *testing.T) {
	good := csvRow(validRecord())
	bad := map[string]func(*Record){
		"Maria Lopez":      func(r *Record) { r.State = "Maria Lopez" },
		"A# 12345678":      func(r *Record) { r.FacilityType = "A# 12345678" },
		"6/14/2018":        func(r *Record) { r.Quarter = "6/14/2018" },
		"(555) 123-4567":   func(r *Record) { r.Outcome = "(555) 123-4567" },
		"maria@x.org":      func(r *Record) { r.ToldNoRights = "maria@x.org" },
		"quizas":           func(r *Record) { r.ToldNoRights = "quizas" },
		"2017-Q5":          func(r *Record) { r.Quarter = "2017-Q5" },
		"987 65 4321":      func(r *Record) { r.CredibleFear = "987 65 4321" },
		"14 Jun 2018":      func(r *Record) { r.AsylumClaim = "14 Jun 2018" },
		"took him away":    func(r *Record) { r.Outcome = "took him away" },
		"\"Lopez, Maria\"": func(r *Record) { r.State = "Lopez, Maria" },
	}
	var lines []string
	var rejected []string
	wantRow := map[int]string{}
	lines = append(lines, header, good)
	row := 1
	for raw, mut := range bad {
		r := validRecord()
		mut(&r)
		row++
		wantRow[row] = raw
		line := csvRow(r)
		if strings.Contains(raw, ",") {
			line = strings.Replace(line, strings.Trim(raw, `"`), raw, 1)
		}
		lines = append(lines, line)
		rejected = append(rejected, strings.Trim(raw, `"`))
	}
	lines = append(lines, good)
	n, got, errs := collect(t, strings.Join(lines, "\n"), 0)
	if n != len(bad)+2 {
		t.Fatalf("n=%d", n)
	}
	if len(got) != 1 {
		t.Fatalf("fn called %d times; only the valid rows before the first error may be passed", len(got))
	}
	rows := map[int]bool{}
	for _, e := range errs {
		if e.Row < 2 || e.Field == "" || e.Reason == "" {
			t.Errorf("error without row/field/reason: %+v", e)
		}
		rows[e.Row] = true
	}
	if len(rows) != len(bad) {
		t.Errorf("rows with errors %v", rows)
	}
	assertNoEcho(t, errs, rejected...)
	// the error list as a whole (e.g. a 422 body) holds none of them either
	all := fmt.Sprint(errs)
	for _, r := range rejected {
		for _, word := range strings.Fields(r) {
			if len(word) > 3 && strings.IndexFunc(word, unicode.IsDigit) < 0 && strings.Contains(all, word) {
				t.Errorf("%q appears in errors", word)
			}
		}
	}
}

func TestParseCSVMaxErrorsAndRowShape(t *testing.T) {
	r := validRecord()
	r.State = "ZZ"
	var b strings.Builder
	b.WriteString(header + "\n")
	for range 50 {
		b.WriteString(csvRow(r) + "\n")
	}
	n, errs, err := ParseCSV(strings.NewReader(b.String()), 7, nil)
	if err != nil || len(errs) != 7 || n != 7 {
		t.Fatalf("n=%d errs=%d err=%v", n, len(errs), err)
	}
	// wrong number of fields, with an identifying value in it
	data := header + "\n" + csvRow(validRecord()) + ",123-45-6789\n"
	_, _, errs = collect(t, data, 0)
	if len(errs) != 2 || errs[0].Reason != "row has 14 fields; the header has 13" || errs[1].Field != "column 14" {
		t.Fatalf("%v", errs)
	}
	assertNoEcho(t, errs, "123-45-6789")
}

func TestParseCSVMalformedAndLimits(t *testing.T) {
	good := csvRow(validRecord())
	_, got, errs := collect(t, header+"\n"+good+"\n"+`2018-Q2,T"X`+good[9:]+"\n", 0)
	if len(got) != 1 || len(errs) != 1 || errs[0].Row != 2 || !strings.HasPrefix(errs[0].Reason, "malformed CSV on line 3") {
		t.Fatalf("got %d %v", len(got), errs)
	}
	assertNoEcho(t, errs, `T"X`)
	long := header + "\n" + good + "\n" + strings.Repeat("x", MaxLineBytes+10) + "\n" + good + "\n"
	n, got, errs := collect(t, long, 0)
	if n != 1 || len(got) != 1 || len(errs) != 1 || errs[0].Row != 2 || !strings.Contains(errs[0].Reason, "longer than") {
		t.Fatalf("n=%d got=%d %v", n, len(got), errs)
	}
	_, _, errs = collect(t, "", 0)
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "empty") {
		t.Fatalf("%v", errs)
	}
	// errors from fn and from the reader are returned as err
	boom := errors.New("db down")
	_, _, err := ParseCSV(strings.NewReader(header+"\n"+good+"\n"), 0, func(Record) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("fn error: %v", err)
	}
	_, _, err = ParseCSV(io.MultiReader(strings.NewReader(header+"\n"), errReader{}), 0, nil)
	if err == nil {
		t.Fatal("reader error not returned")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseCSV100k(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString(header + "\r\n")
	for r := range Synthetic(100_000, 7) {
		buf.WriteString(csvRow(r))
		buf.WriteString("\r\n")
	}
	var c Counter
	var heapAt1k, heapAtEnd uint64
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	fn := func(r Record) error {
		switch c.Len() {
		case 1000:
			heapAt1k = heap()
		case 99_999:
			heapAtEnd = heap()
		}
		return c.Add(r)
	}
	cpu0, wall0 := cpuTime(), time.Now()
	n, errs, err := ParseCSV(bytes.NewReader(buf.Bytes()), 0, fn)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	if err != nil || len(errs) != 0 || n != 100_000 || c.Len() != 100_000 {
		t.Fatalf("n=%d errs=%v err=%v", n, errs, err)
	}
	t.Logf("parsed, validated and counted 100,000 rows (%d bytes): %v CPU, %v wall (incl. 2 forced GCs); heap growth from row 1,000 to 100,000: %d bytes",
		buf.Len(), cpu, wall, int64(heapAtEnd)-int64(heapAt1k))
	if int64(heapAtEnd)-int64(heapAt1k) > 1<<20 {
		t.Errorf("memory grows with the file: %d -> %d", heapAt1k, heapAtEnd)
	}
}
