package casestats

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Figures is one release: the public numbers and how they were protected.
// Its JSON form is the public one (it holds no exact counts). Values are
// rounded independently, so table rows need not add up to the total.
type Figures struct {
	Threshold      int `json:"threshold"`
	Rounding       int `json:"rounding"`
	MinDenominator int `json:"min_denominator"`
	// PercentBasis says what the percentages are computed from:
	// PercentOfPublished in every release made now. Releases made before
	// it existed have none: their percentages were computed, to one
	// decimal, from the exact counts (the differencing check reads them
	// that way).
	PercentBasis string   `json:"percent_basis,omitempty"`
	Note         string   `json:"note"`
	NoteES       string   `json:"note_es"`
	Figures      []Figure `json:"figures"`
	Tables       []Table  `json:"tables"`

	// Exact counts and suppression reasons, kept only in memory for the
	// package's own checks and tests. Never serialised or printed.
	exact map[string]int
	kinds map[string]suppKind
	// heldBack lists the count keys held back because of an earlier
	// release (for the staff preview; never serialised).
	heldBack []string
}

// PercentOfPublished is the PercentBasis of releases whose percentages are
// whole percents of the published (rounded) counts, so that they say
// nothing the counts do not.
const PercentOfPublished = "published_counts"

// Figure types.
const (
	TypeCount   = "count"
	TypePercent = "percent"
)

// Figure is a headline count or a percentage.
//
// A count has Value (nil when suppressed). A percentage has Percent (nil
// when not published; a whole number), NumeratorKey and DenominatorKey.
// Display and DisplayES are the exact text a letter quotes: "2,995",
// "fewer than 11", "not published", "43%".
type Figure struct {
	Key            string
	Type           string
	Label          string
	LabelES        string
	Value          *int
	Percent        *float64
	Suppressed     bool
	NumeratorKey   string
	DenominatorKey string
	Display        string
	DisplayES      string
}

type countJSON struct {
	Key        string `json:"key"`
	Type       string `json:"type"`
	Label      string `json:"label"`
	LabelES    string `json:"label_es"`
	Value      *int   `json:"value"`
	Suppressed bool   `json:"suppressed"`
	Display    string `json:"display"`
	DisplayES  string `json:"display_es"`
}

type percentJSON struct {
	Key            string   `json:"key"`
	Type           string   `json:"type"`
	Label          string   `json:"label"`
	LabelES        string   `json:"label_es"`
	Percent        *float64 `json:"percent"`
	Suppressed     bool     `json:"suppressed"`
	NumeratorKey   string   `json:"numerator_key"`
	DenominatorKey string   `json:"denominator_key"`
	Display        string   `json:"display"`
	DisplayES      string   `json:"display_es"`
}

// MarshalJSON writes a count as {"key","type","label","label_es","value",
// "suppressed","display","display_es"} (value null when suppressed) and a
// percentage with "percent", "numerator_key" and "denominator_key" instead
// of "value".
func (f Figure) MarshalJSON() ([]byte, error) {
	if f.Type == TypePercent {
		return json.Marshal(percentJSON{f.Key, f.Type, f.Label, f.LabelES, f.Percent, f.Suppressed, f.NumeratorKey, f.DenominatorKey, f.Display, f.DisplayES})
	}
	return json.Marshal(countJSON{f.Key, TypeCount, f.Label, f.LabelES, f.Value, f.Suppressed, f.Display, f.DisplayES})
}

// UnmarshalJSON reads either shape back (a figure with a denominator_key
// is a percentage).
func (f *Figure) UnmarshalJSON(b []byte) error {
	var u struct {
		countJSON
		Percent        *float64 `json:"percent"`
		NumeratorKey   string   `json:"numerator_key"`
		DenominatorKey string   `json:"denominator_key"`
	}
	if err := json.Unmarshal(b, &u); err != nil {
		return err
	}
	*f = Figure{Key: u.Key, Type: u.Type, Label: u.Label, LabelES: u.LabelES, Value: u.Value,
		Percent: u.Percent, Suppressed: u.Suppressed, NumeratorKey: u.NumeratorKey,
		DenominatorKey: u.DenominatorKey, Display: u.Display, DisplayES: u.DisplayES}
	if f.Type == "" {
		f.Type = TypeCount
		if f.DenominatorKey != "" {
			f.Type = TypePercent
		}
	}
	return nil
}

// Table is a breakdown of the documented cases by one field.
type Table struct {
	Key     string `json:"key"`
	Field   string `json:"field"`
	Label   string `json:"label"`
	LabelES string `json:"label_es"`
	Rows    []Row  `json:"rows"`
	// Total is the number of documented cases (the "cases" figure).
	Total *int `json:"total"`
	// Withheld: the whole table is not published (its outcome values were
	// not diverse enough, or no pattern of suppression could protect it).
	Withheld bool `json:"withheld"`
}

// Row is one cell of a table. Key is the field value ("TX", "2018-Q2",
// "orr_shelter").
type Row struct {
	Key        string `json:"key"`
	Label      string `json:"label"`
	LabelES    string `json:"label_es"`
	Value      *int   `json:"value"`
	Suppressed bool   `json:"suppressed"`
	Display    string `json:"display"`
	DisplayES  string `json:"display_es"`
}

// String never shows exact counts (so %v in a log is safe).
func (f Figures) String() string {
	return fmt.Sprintf("casestats.Figures{threshold:%d rounding:%d figures:%d tables:%d}", f.Threshold, f.Rounding, len(f.Figures), len(f.Tables))
}

// GoString likewise hides the in-memory exact counts from %#v.
func (f Figures) GoString() string { return f.String() }

// FormatCount writes n with thousands separators ("2,995"), as used in
// English and in the Spanish of Mexico and the United States.
func FormatCount(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + FormatCount(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func displays(k suppKind, rounded, t int) (string, string) {
	switch k {
	case kPublished:
		s := FormatCount(rounded)
		return s, s
	case kSmall:
		return fmt.Sprintf("fewer than %d", t), fmt.Sprintf("menos de %d", t)
	}
	return NotPublished, NotPublishedES
}

// NotPublished (NotPublishedES in Spanish) is the display of a figure a
// release does not publish: a number hidden so that small counts cannot
// be worked out, a percentage of too small a group, or a withheld table.
const (
	NotPublished   = "not published"
	NotPublishedES = "no publicado"
)

// publish builds the public figures from the model's decisions.
func (m *model) publish() *Figures {
	t, r := m.p.Threshold, m.p.Rounding
	f := &Figures{
		Threshold: t, Rounding: r, MinDenominator: m.p.MinDenominator, PercentBasis: PercentOfPublished,
		exact: map[string]int{}, kinds: map[string]suppKind{},
	}
	f.Note, f.NoteES = methodNote(m.p)
	valueOf := func(v *cvar) *int {
		if v.kind != kPublished {
			return nil
		}
		x := roundCount(v.exact, t, r)
		return &x
	}
	for _, cs := range countSpecs {
		v := m.vars[cs.key]
		fig := Figure{Key: cs.key, Type: TypeCount, Label: cs.label, LabelES: cs.labelES,
			Value: valueOf(v), Suppressed: v.kind != kPublished}
		rounded := 0
		if fig.Value != nil {
			rounded = *fig.Value
		}
		fig.Display, fig.DisplayES = displays(v.kind, rounded, t)
		f.Figures = append(f.Figures, fig)
		f.exact[cs.key], f.kinds[cs.key] = v.exact, v.kind
	}
	for _, ps := range pctSpecs {
		num, den := valueOf(m.vars[ps.num]), valueOf(m.vars[ps.den])
		fig := Figure{Key: ps.key, Type: TypePercent, Label: ps.label, LabelES: ps.labelES,
			NumeratorKey: ps.num, DenominatorKey: ps.den, Suppressed: true,
			Display: NotPublished, DisplayES: NotPublishedES}
		if pc, ok := percentOfPublished(num, den, t, r, m.p.MinDenominator); ok {
			fig.Percent, fig.Suppressed = &pc, false
			fig.Display = strconv.FormatFloat(pc, 'f', 0, 64) + "%"
			fig.DisplayES = fig.Display
		}
		f.Figures = append(f.Figures, fig)
	}
	for _, tm := range m.tables {
		tab := Table{Key: tm.spec.key, Field: fieldNames[tm.spec.field], Label: tm.spec.label,
			LabelES: tm.spec.labelES, Total: valueOf(tm.total), Withheld: tm.withheld}
		first, last := 0, len(tm.cells)-1
		if tm.spec.field == fQuarter && !tm.withheld {
			// Only the span of quarters with cases (the others are 0).
			for first <= last && tm.cells[first].exact == 0 {
				first++
			}
			for last >= first && tm.cells[last].exact == 0 {
				last--
			}
		}
		for i, v := range tm.cells {
			f.exact[v.key], f.kinds[v.key] = v.exact, v.kind
			if i < first || i > last {
				continue
			}
			row := Row{Key: tm.cats[i], Label: ValueLabel(tab.Field, tm.cats[i], "en"),
				LabelES: ValueLabel(tab.Field, tm.cats[i], "es"), Value: valueOf(v), Suppressed: v.kind != kPublished}
			rounded := 0
			if row.Value != nil {
				rounded = *row.Value
			}
			row.Display, row.DisplayES = displays(v.kind, rounded, t)
			tab.Rows = append(tab.Rows, row)
		}
		f.Tables = append(f.Tables, tab)
	}
	return f
}

func methodNote(p Params) (string, string) {
	en, es := "Counts are not rounded. ", "Las cifras no se redondean. "
	if p.Rounding > 1 {
		en = fmt.Sprintf("Counts are rounded to the nearest %d, separately, so rows may not add up to the total. ", p.Rounding)
		es = fmt.Sprintf("Las cifras se redondean al múltiplo de %d más cercano, cada una por separado, por lo que las filas pueden no sumar el total. ", p.Rounding)
	}
	en += fmt.Sprintf("Counts from 1 to %d are shown as \u201cfewer than %d\u201d; zero is shown as 0. "+
		"Some other numbers are not published so that small counts cannot be worked out by subtraction, within this release or by comparing it with an earlier one. "+
		"Percentages are whole percents of the published counts, shown only for groups of at least %d.", p.Threshold-1, p.Threshold, p.MinDenominator)
	es += fmt.Sprintf("Las cifras de 1 a %d se muestran como \u00abmenos de %d\u00bb; el cero se muestra como 0. "+
		"Algunas otras cifras no se publican para que no se puedan deducir cifras pequeñas por resta, dentro de esta edición ni comparándola con una anterior. "+
		"Los porcentajes son porcentajes enteros de las cifras publicadas y solo se muestran para grupos de al menos %d.", p.Threshold-1, p.Threshold, p.MinDenominator)
	return en, es
}

// Keys lists every key a letter template may quote with {{stat "key"}}:
// the headline counts, the percentages and every table cell as
// "table.value" (e.g. "by_state.TX", "by_quarter.2018-Q2",
// "by_outcome.reunified").
func Keys() []string {
	var keys []string
	for _, cs := range countSpecs {
		keys = append(keys, cs.key)
	}
	for _, ps := range pctSpecs {
		keys = append(keys, ps.key)
	}
	for _, ts := range tableSpecs {
		for _, v := range fieldValues(ts.field) {
			keys = append(keys, ts.key+"."+v)
		}
	}
	return keys
}

// Value returns the English text a letter quotes for key: "2,995", "42.5%",
// "0", "fewer than 11" or "not published". ok is false for a key that is
// not in Keys.
func (f *Figures) Value(key string) (display string, ok bool) {
	return f.ValueLang(key, "en")
}

// Stat is Value under the name the letter package's StatSource interface
// uses, so a *Figures can be passed to it directly (Spanish:
// letter.StatFunc(func(k string) (string, bool) { return f.ValueLang(k, "es") })).
func (f *Figures) Stat(key string) (string, bool) { return f.Value(key) }

// ValueLang is Value in English or, with lang "es", Spanish ("menos de 11",
// "no publicado").
func (f *Figures) ValueLang(key, lang string) (string, bool) {
	es := strings.HasPrefix(lang, "es")
	pick := func(en, sp string) string {
		if es {
			return sp
		}
		return en
	}
	for _, fig := range f.Figures {
		if fig.Key == key {
			return pick(fig.Display, fig.DisplayES), true
		}
	}
	tkey, cat, found := strings.Cut(key, ".")
	if !found {
		return "", false
	}
	for _, tab := range f.Tables {
		if tab.Key != tkey {
			continue
		}
		for _, row := range tab.Rows {
			if row.Key == cat {
				return pick(row.Display, row.DisplayES), true
			}
		}
		// A valid category without a row is a quarter outside the span of
		// the data: zero.
		if i := fieldIndexByName(tab.Field); i >= 0 && valueIndex(i, cat) >= 0 {
			if tab.Withheld {
				return pick(NotPublished, NotPublishedES), true
			}
			return "0", true
		}
	}
	return "", false
}

// StatAvailable reports whether the release gives key a figure a letter
// can quote in a sentence: a number, zero, a percentage or "fewer than
// 11". It is false for a key that is not in Keys and for a figure shown as
// "not published" (the letter package's StatAvailability: templates guard
// such figures with {{if stat_available "key"}}).
func (f *Figures) StatAvailable(key string) bool {
	d, ok := f.Value(key)
	return ok && d != NotPublished
}

// Published reports whether key has a published number, zero included
// (templates can branch on it rather than quote "not published").
func (f *Figures) Published(key string) bool {
	for _, fig := range f.Figures {
		if fig.Key == key {
			return !fig.Suppressed
		}
	}
	tkey, cat, _ := strings.Cut(key, ".")
	for _, tab := range f.Tables {
		if tab.Key != tkey {
			continue
		}
		for _, row := range tab.Rows {
			if row.Key == cat {
				return !row.Suppressed
			}
		}
		i := fieldIndexByName(tab.Field)
		return i >= 0 && valueIndex(i, cat) >= 0 && !tab.Withheld
	}
	return false
}
