package casestats

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func figuresJSON(t *testing.T, c *Counter, p Params, prev ...*Figures) string {
	t.Helper()
	f, err := c.Figures(p, prev...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// groupBy counts records per combination of the values of fields, like a
// SQL GROUP BY.
func groupBy(rs []Record, fields []string) map[Record]int64 {
	m := map[Record]int64{}
	for _, r := range rs {
		var k Record
		for _, f := range fields {
			*k.field(fieldIndexByName(f)) = r.Get(f)
		}
		m[k]++
	}
	return m
}

func TestAddNAndMarginsMatchAdd(t *testing.T) {
	rs := slices.Collect(Synthetic(5000, 42))
	var byRecord Counter
	for _, r := range rs {
		if err := byRecord.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	want := figuresJSON(t, &byRecord, Params{})

	var weighted Counter
	for r, n := range groupBy(rs, Fields) {
		if err := weighted.AddN(r, n); err != nil {
			t.Fatal(err)
		}
	}
	if got := figuresJSON(t, &weighted, Params{}); got != want {
		t.Error("AddN over distinct records differs from Add")
	}

	// two unions of margins: the table fields, and all the others
	tables := TableFields()
	var rest []string
	for _, f := range Fields {
		if !slices.Contains(tables, f) {
			rest = append(rest, f)
		}
	}
	var two Counter
	for _, fs := range [][]string{tables, rest} {
		for r, n := range groupBy(rs, fs) {
			if err := two.AddMargin(r, n, fs...); err != nil {
				t.Fatal(err)
			}
		}
	}
	if two.Len() != len(rs) {
		t.Errorf("Len = %d", two.Len())
	}
	if got := figuresJSON(t, &two, Params{}); got != want {
		t.Error("AddMargin over two unions of margins differs from Add")
	}

	// every minimal margin on its own, with an earlier release to compare to
	prev := decoded(t, compute(t, rs[:4000], Params{}))
	var each Counter
	for _, fs := range Margins() {
		for r, n := range groupBy(rs, fs) {
			if err := each.AddMargin(r, n, fs...); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got, w := figuresJSON(t, &each, Params{}, prev), figuresJSON(t, &byRecord, Params{}, prev); got != w {
		t.Error("AddMargin over every margin differs from Add")
	}
}

func TestMarginsCoverFieldsOnce(t *testing.T) {
	seen := map[string]int{}
	for _, m := range Margins() {
		for _, f := range m {
			seen[f]++
		}
	}
	for _, f := range Fields {
		if seen[f] != 1 {
			t.Errorf("%s is in %d margins", f, seen[f])
		}
	}
	for _, f := range TableFields() {
		if !slices.ContainsFunc(Margins(), func(m []string) bool { return len(m) == 1 && m[0] == f }) {
			t.Errorf("table field %s is not a margin of its own", f)
		}
	}
}

func TestAddMarginErrors(t *testing.T) {
	r := slices.Collect(Synthetic(1, 1))[0]
	var c Counter
	if err := c.AddMargin(r, 1, FieldFormPresented); !errors.Is(err, ErrMargins) {
		t.Errorf("part of a margin: %v", err)
	}
	if err := c.AddMargin(r, 1, "name"); !errors.Is(err, ErrMargins) || strings.Contains(err.Error(), "Maria") {
		t.Errorf("unknown field: %v", err)
	}
	bad := r
	bad.State = "Maria Lopez"
	if err := c.AddMargin(bad, 1, FieldState); !errors.Is(err, ErrInvalidRecord) || strings.Contains(err.Error(), "Maria") {
		t.Errorf("bad value: %v", err)
	}
	if err := c.AddN(r, -1); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("negative count: %v", err)
	}
	bad = r
	bad.FormPresented, bad.FormPremarked = "none", "yes"
	if err := c.AddMargin(bad, 1, FieldFormPresented, FieldFormPremarked, FieldFormEnglishOnly); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("form flags without a form: %v", err)
	}
	// a margin left out: Figures refuses
	if err := c.AddMargin(r, 20, TableFields()...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Figures(Params{}); !errors.Is(err, ErrMargins) {
		t.Errorf("missing margins: %v", err)
	}
	// nothing counted by the failed calls: an empty counter is fine
	var empty Counter
	if err := empty.AddN(r, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := empty.Figures(Params{}); err != nil {
		t.Errorf("empty counter: %v", err)
	}
}
