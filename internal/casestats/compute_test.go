package casestats

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParamsFloors(t *testing.T) {
	p, err := Params{}.WithDefaults()
	if err != nil || p != (Params{11, 5, 30}) {
		t.Fatalf("defaults: %v %v", p, err)
	}
	for _, bad := range []Params{
		{Threshold: 10}, {Threshold: 1}, {Threshold: -11}, {Threshold: 5000},
		{Rounding: -1}, {Rounding: 1000},
		{MinDenominator: 29}, {MinDenominator: 1}, {MinDenominator: -30},
	} {
		if _, err := bad.WithDefaults(); !errors.Is(err, ErrParams) {
			t.Errorf("%+v accepted", bad)
		}
		if _, err := Compute(Synthetic(100, 1), bad); !errors.Is(err, ErrParams) {
			t.Errorf("Compute accepted %+v", bad)
		}
		var c Counter
		if _, err := c.Figures(bad); !errors.Is(err, ErrParams) {
			t.Errorf("Figures accepted %+v", bad)
		}
	}
	for _, ok := range []Params{{Threshold: 11}, {Threshold: 16, Rounding: 1, MinDenominator: 30}, {Rounding: 10, MinDenominator: 100}} {
		if _, err := ok.WithDefaults(); err != nil {
			t.Errorf("%+v refused: %v", ok, err)
		}
	}
}

func TestRoundCount(t *testing.T) {
	for _, c := range []struct{ x, t, r, want int }{
		{0, 11, 5, 0}, {11, 11, 5, 15}, {12, 11, 5, 15}, {13, 11, 5, 15}, {17, 11, 5, 15}, {18, 11, 5, 20},
		{2995, 11, 5, 2995}, {2997, 11, 5, 2995}, {2998, 11, 5, 3000}, {11, 11, 1, 11}, {13, 11, 10, 20},
		{16, 16, 5, 20}, {14, 11, 2, 14}, {15, 11, 2, 16},
	} {
		if got := roundCount(c.x, c.t, c.r); got != c.want {
			t.Errorf("roundCount(%d,%d,%d)=%d want %d", c.x, c.t, c.r, got, c.want)
		}
	}
}

func TestComputeRejectsInvalidRecords(t *testing.T) {
	r := validRecord()
	r.State = "tx" // not canonical
	_, err := Compute(slices.Values([]Record{validRecord(), r}), Params{})
	if !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), "record 2") || strings.Contains(err.Error(), "tx") {
		t.Fatalf("%v", err)
	}
	var c Counter
	r = validRecord()
	r.FormPresented = "none"
	if err := c.Add(r); !errors.Is(err, ErrInvalidRecord) || c.Len() != 0 {
		t.Fatalf("%v", err)
	}
}

// ---- building data sets with given counts ----

// recs returns n copies of validRecord modified by mut.
func recs(n int, mut func(*Record)) []Record {
	out := make([]Record, n)
	for i := range out {
		r := validRecord()
		if mut != nil {
			mut(&r)
		}
		out[i] = r
	}
	return out
}

func compute(t *testing.T, rs []Record, p Params, prev ...*Figures) *Figures {
	t.Helper()
	f, err := Compute(slices.Values(rs), p, prev...)
	if err != nil {
		t.Fatal(err)
	}
	checkRelease(t, f)
	return f
}

func row(f *Figures, table, key string) Row {
	for _, tab := range f.Tables {
		if tab.Key == table {
			for _, r := range tab.Rows {
				if r.Key == key {
					return r
				}
			}
		}
	}
	return Row{Key: "missing"}
}

func fig(f *Figures, key string) Figure {
	for _, x := range f.Figures {
		if x.Key == key {
			return x
		}
	}
	return Figure{Key: "missing"}
}

func table(f *Figures, key string) Table {
	for _, x := range f.Tables {
		if x.Key == key {
			return x
		}
	}
	return Table{}
}

func TestComplementarySingleCell(t *testing.T) {
	age := func(b string) func(*Record) { return func(r *Record) { r.ChildAgeBracket = b } }
	var rs []Record
	rs = append(rs, recs(5, age("0-4"))...)
	rs = append(rs, recs(40, age("5-9"))...)
	rs = append(rs, recs(300, age("10-13"))...)
	rs = append(rs, recs(200, age("14-17"))...)
	f := compute(t, rs, Params{})
	if d := row(f, "by_child_age_bracket", "0-4").Display; d != "fewer than 11" {
		t.Fatalf("0-4: %s", d)
	}
	if r := row(f, "by_child_age_bracket", "5-9"); !r.Suppressed || r.Display != "not published" {
		t.Fatalf("next smallest not suppressed: %+v", r)
	}
	if r := row(f, "by_child_age_bracket", "14-17"); r.Suppressed || *r.Value != 200 {
		t.Fatalf("%+v", r)
	}
	if v, _ := f.Value("by_child_age_bracket.0-4"); v != "fewer than 11" {
		t.Fatal(v)
	}
	if v, _ := f.ValueLang("by_child_age_bracket.0-4", "es"); v != "menos de 11" {
		t.Fatal(v)
	}
}

func TestComplementaryNeedsSlack(t *testing.T) {
	// 1 + 11: with one complement of exactly 11, "fewer than 11" + "at
	// least 11" = 12 would pin both; a second complement is needed.
	age := func(b string) func(*Record) { return func(r *Record) { r.ChildAgeBracket = b } }
	var rs []Record
	rs = append(rs, recs(1, age("0-4"))...)
	rs = append(rs, recs(11, age("5-9"))...)
	rs = append(rs, recs(500, age("14-17"))...)
	f := compute(t, rs, Params{})
	for _, k := range []string{"0-4", "5-9", "14-17"} {
		if !row(f, "by_child_age_bracket", k).Suppressed {
			t.Errorf("%s published", k)
		}
	}
	if r := row(f, "by_child_age_bracket", "10-13"); r.Suppressed || *r.Value != 0 {
		t.Errorf("zero cell: %+v", r)
	}
}

// TestSmallCellsSumHeldBack: two "fewer than 11" cells (1 and 3) next to
// published cells and a published total add up to exactly 4 cases; a
// third cell is held back so the pair cannot be worked out.
func TestSmallCellsSumHeldBack(t *testing.T) {
	age := func(b string) func(*Record) { return func(r *Record) { r.ChildAgeBracket = b } }
	var rs []Record
	rs = append(rs, recs(1, age("0-4"))...)
	rs = append(rs, recs(3, age("5-9"))...)
	rs = append(rs, recs(200, age("10-13"))...)
	rs = append(rs, recs(300, age("14-17"))...)
	f := compute(t, rs, Params{Rounding: 1})
	if r := row(f, "by_child_age_bracket", "10-13"); !r.Suppressed || r.Display != "not published" {
		t.Fatalf("no complement: %+v", r)
	}
	if leaks, _ := attackOne(t, publicJSON(t, f)); len(leaks) > 0 {
		t.Fatal(leaks)
	}
}

func TestTwoTensWithheld(t *testing.T) {
	// 10 + 10 = 20 and nothing else: both "fewer than 11" cells are pinned
	// at 10 and no cell is left to suppress: the table is withheld.
	age := func(b string) func(*Record) { return func(r *Record) { r.ChildAgeBracket = b } }
	rs := append(recs(10, age("0-4")), recs(10, age("5-9"))...)
	f := compute(t, rs, Params{})
	tab := table(f, "by_child_age_bracket")
	if !tab.Withheld {
		t.Fatalf("%+v", tab)
	}
	for _, r := range tab.Rows {
		if !r.Suppressed || r.Display != "not published" {
			t.Errorf("%+v", r)
		}
	}
}

func TestHeadlineDifferencesAndLinks(t *testing.T) {
	// 100 cases, 95 told they had no rights: publishing both reveals that
	// 5 were not. 40 forms, 40 pre-marked: everyone handed a form got a
	// pre-marked one (l-diversity).
	rs := recs(100, func(r *Record) {
		r.ToldNoRights = "yes"
		r.FormPresented = "none"
		r.FormPremarked = "no"
		r.FormEnglishOnly = "no"
	})
	for i := range 5 {
		rs[i].ToldNoRights = "unknown"
	}
	for i := 10; i < 50; i++ {
		rs[i].FormPresented, rs[i].FormPremarked = "two_option", "yes"
	}
	// outcomes: 3 still separated (small), rest split
	for i := range rs {
		rs[i].Outcome = []string{"reunified", "released_together"}[i%2]
	}
	for i := range 3 {
		rs[i].Outcome = "separated"
	}
	f := compute(t, rs, Params{})
	if x := fig(f, "told_no_rights"); !x.Suppressed || x.Display != "not published" {
		t.Errorf("told_no_rights: %+v", x)
	}
	if x := fig(f, "pct_told_no_rights"); x.Percent != nil {
		t.Errorf("percentage of a held-back count: %+v", x)
	}
	if x := fig(f, "forms_premarked"); !x.Suppressed {
		t.Errorf("forms_premarked == parents_handed_form published: %+v", x)
	}
	if x := fig(f, "still_separated"); x.Display != "fewer than 11" || row(f, "by_outcome", "separated").Display != "fewer than 11" {
		t.Errorf("linked: %+v", x)
	}
	if x := fig(f, "cases"); *x.Value != 100 || fig(f, "children_separated").Display != "100" {
		t.Errorf("cases %+v", x)
	}
}

func TestOutcomeLDiversity(t *testing.T) {
	f := compute(t, recs(500, nil), Params{}) // every outcome deported_without_child
	if tab := table(f, "by_outcome"); !tab.Withheld {
		t.Fatalf("%+v", tab)
	}
	if x := fig(f, "deported_without_child"); !x.Suppressed || x.Display != "not published" {
		t.Fatalf("%+v", x)
	}
	if x := fig(f, "reunified"); !x.Suppressed {
		t.Fatalf("zero outcome of a withheld table published: %+v", x)
	}
}

func TestTinyDataSet(t *testing.T) {
	// 11 cases, all told no rights: the held-back count would be pinned at
	// exactly 11 by the published total, so the total is held back too.
	f := compute(t, recs(11, func(r *Record) { r.ToldNoRights = "yes" }), Params{})
	if x := fig(f, "told_no_rights"); !x.Suppressed {
		t.Fatalf("%+v", x)
	}
	if x := fig(f, "cases"); !x.Suppressed || x.Display != "not published" || table(f, "by_state").Total != nil {
		t.Fatalf("%+v", x)
	}
	f = compute(t, recs(7, nil), Params{})
	if x := fig(f, "cases"); x.Display != "fewer than 11" {
		t.Fatalf("%+v", x)
	}
	f = compute(t, nil, Params{})
	if x := fig(f, "cases"); x.Suppressed || *x.Value != 0 || x.Display != "0" {
		t.Fatalf("zero: %+v", x)
	}
}

func TestValueKeysAndJSON(t *testing.T) {
	f := compute(t, slices.Collect(Synthetic(3000, 42)), Params{})
	keys := Keys()
	if len(keys) != len(countSpecs)+len(pctSpecs)+numQuarters+numStates+4+5+5 {
		t.Fatalf("%d keys", len(keys))
	}
	for _, k := range keys {
		if _, ok := f.Value(k); !ok {
			t.Errorf("Value(%q) not ok", k)
		}
	}
	var src interface{ Stat(string) (string, bool) } = f
	if v, ok := src.Stat("cases"); !ok || v != "3,000" {
		t.Errorf("Stat: %q", v)
	}
	if _, ok := f.Value("nope"); ok {
		t.Error("unknown key")
	}
	if v, _ := f.Value("by_quarter.2015-Q1"); v != "0" {
		t.Errorf("quarter outside span: %q", v)
	}
	if v, _ := f.Value("cases"); v != "3,000" {
		t.Errorf("cases: %q", v)
	}
	if v, _ := f.Value("pct_forms_premarked"); !strings.HasSuffix(v, "%") {
		t.Errorf("pct: %q", v)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"threshold":11`, `"rounding":5`, `"key":"children_separated","type":"count","label":"Children separated from their parents","label_es":`, `"denominator_key":"parents_handed_form"`, `"key":"by_state"`, `"total":3000`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	if strings.Contains(s, "exact") {
		t.Error("exact counts serialised")
	}
	var c Counter
	c.Add(validRecord())
	for _, p := range []string{fmt.Sprint(f), fmt.Sprintf("%+v", *f), fmt.Sprintf("%#v", f), fmt.Sprintf("%v %+v %#v", c, &c, c)} {
		if strings.Contains(p, "exact") || strings.Contains(p, "map[") {
			t.Errorf("printing leaks: %.200s", p)
		}
	}
	var g Figures
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(&g)
	if string(b2) != s {
		t.Error("JSON round trip differs")
	}
	if g.Figures[len(countSpecs)].Type != TypePercent {
		t.Error("type lost")
	}
	for _, k := range keys {
		v1, _ := f.Value(k)
		v2, _ := g.Value(k)
		if v1 != v2 || f.Published(k) != g.Published(k) {
			t.Errorf("%s: %q vs %q", k, v1, v2)
		}
	}
	// suppressed counts serialise as null
	if !strings.Contains(s, `"value":null,"suppressed":true,"display":"fewer than 11"`) {
		t.Error("no suppressed cell in a 3,000-case synthetic release")
	}
}

// ---- property tests ----

// randomWeights gives each of n categories a skewed weight; some are zero.
func randomWeights(rng *rand.Rand, n int, spread float64) []float64 {
	w := make([]float64, n)
	any := false
	for i := range w {
		if rng.Float64() < 0.35 {
			continue
		}
		w[i] = math.Exp(rng.NormFloat64() * spread)
		any = true
	}
	if !any {
		w[rng.IntN(n)] = 1
	}
	return w
}

func draw(rng *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := rng.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] > 0 {
			return i
		}
	}
	return 0
}

func randomCaseSet(rng *rand.Rand) []Record {
	var n int
	switch rng.IntN(5) {
	case 0:
		n = rng.IntN(40)
	case 1:
		n = 10 + rng.IntN(150)
	case 2:
		n = 50 + rng.IntN(600)
	case 3:
		n = 200 + rng.IntN(3000)
	default:
		n = 11 + rng.IntN(60)
	}
	spread := 0.5 + 2.5*rng.Float64()
	weights := make([][]float64, numFields)
	for i := range numFields {
		vals := fieldValues(i)
		switch i {
		case fQuarter: // a window of quarters
			w := make([]float64, len(vals))
			start, width := 8+rng.IntN(20), 1+rng.IntN(12)
			sub := randomWeights(rng, width, spread)
			copy(w[start:], sub)
			weights[i] = w
		case fState: // a handful of states
			w := make([]float64, len(vals))
			for range 1 + rng.IntN(15) {
				w[rng.IntN(len(vals))] = math.Exp(rng.NormFloat64() * spread)
			}
			weights[i] = w
		default:
			weights[i] = randomWeights(rng, len(vals), spread)
		}
	}
	out := make([]Record, n)
	for k := range out {
		var r Record
		for i := range numFields {
			*r.field(i) = fieldValues(i)[draw(rng, weights[i])]
		}
		if r.FormPresented == "none" {
			if r.FormPremarked == "yes" {
				r.FormPremarked = "no"
			}
			if r.FormEnglishOnly == "yes" {
				r.FormEnglishOnly = "unknown"
			}
		}
		out[k] = r
	}
	return out
}

func randomParams(rng *rand.Rand) Params {
	return Params{
		Threshold:      []int{11, 11, 11, 15, 16}[rng.IntN(5)],
		Rounding:       []int{1, 2, 5, 5, 5, 10}[rng.IntN(6)],
		MinDenominator: []int{30, 30, 50}[rng.IntN(3)],
	}
}

func TestPropertyRandomCaseSets(t *testing.T) {
	stats := map[string]int{}
	for seed := range propertySeeds(400) {
		rng := rand.New(rand.NewPCG(seed, 99))
		rs := randomCaseSet(rng)
		p := randomParams(rng)
		f, err := Compute(slices.Values(rs), p)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !checkRelease(t, f) {
			t.Fatalf("seed %d (n=%d, %+v) failed", seed, len(rs), p)
		}
		for _, tab := range f.Tables {
			if tab.Withheld {
				stats["withheld tables"]++
			}
			for _, r := range tab.Rows {
				switch {
				case r.Display == "not published":
					stats["complementary cells"]++
				case r.Suppressed:
					stats["small cells"]++
				}
			}
		}
		for _, x := range f.Figures {
			if x.Suppressed {
				stats["suppressed figures"]++
			}
		}
	}
	t.Logf("%d random releases: %v", propertySeeds(400), stats)
	if stats["complementary cells"] == 0 || stats["small cells"] == 0 || stats["withheld tables"] == 0 {
		t.Errorf("random sets do not exercise suppression: %v", stats)
	}
}

// checkRelease verifies every disclosure rule on a release, from its public
// JSON plus the exact counts kept in memory. It reports failures with
// t.Errorf and returns false if any.
func checkRelease(t *testing.T, f *Figures) bool {
	t.Helper()
	ok := true
	fail := func(format string, args ...any) {
		t.Helper()
		ok = false
		t.Errorf(format, args...)
	}
	T, R, MD := f.Threshold, f.Rounding, f.MinDenominator
	// Work from the public JSON, as a reader would.
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var g Figures
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	small := fmt.Sprintf("fewer than %d", T)
	bump := (T + R - 1) / R * R
	withheldCell := map[string]bool{}
	for _, tab := range g.Tables {
		if tab.Withheld {
			for _, v := range fieldValues(fieldIndexByName(tab.Field)) {
				withheldCell[tab.Key+"."+v] = true
			}
		}
	}
	aliasOf := map[string]string{}
	for _, cs := range countSpecs {
		if cs.alias != "" {
			aliasOf[cs.key] = cs.alias
			if cs.alias != "cases" {
				withheldCell[cs.key] = withheldCell[cs.alias]
			}
		}
	}
	checkCount := func(key string, value *int, suppressed bool, display string, exact int) {
		t.Helper()
		if exact >= 1 && exact < T && !suppressed {
			fail("%s: small count published", key)
		}
		if !suppressed {
			if value == nil {
				fail("%s: published without value", key)
				return
			}
			v := *value
			if v%R != 0 {
				fail("%s: %d not a multiple of %d", key, v, R)
			}
			if v >= 1 && v < T {
				fail("%s: published %d below threshold", key, v)
			}
			if (v == 0) != (exact == 0) {
				fail("%s: zero mismatch", key)
			}
			if exact > 0 && !(abs(v-exact) <= R/2 || (v == bump && exact < v)) {
				fail("%s: %d is not %d rounded", key, v, exact)
			}
			if display != FormatCount(v) {
				fail("%s: display %q", key, display)
			}
			return
		}
		if value != nil {
			fail("%s: suppressed with a value", key)
		}
		switch display {
		case small:
			if exact < 1 || exact >= T {
				fail("%s: labelled small but is not", key)
			}
		case "not published":
			if exact < T && !withheldCell[key] {
				fail("%s: held back below threshold outside a withheld table", key)
			}
		default:
			fail("%s: display %q", key, display)
		}
	}
	for _, x := range g.Figures {
		if x.Type == TypeCount {
			checkCount(x.Key, x.Value, x.Suppressed, x.Display, f.exact[x.Key])
		}
	}
	pubFig := map[string]Figure{}
	for _, x := range g.Figures {
		pubFig[x.Key] = x
	}
	// aliases show the same thing
	for k, a := range aliasOf {
		da, _ := g.Value(a)
		if pubFig[k].Display != da {
			fail("%s shows %q but %s shows %q", k, pubFig[k].Display, a, da)
		}
	}
	// percentages
	for _, x := range g.Figures {
		if x.Type != TypePercent || x.Percent == nil {
			continue
		}
		num, den := pubFig[x.NumeratorKey], pubFig[x.DenominatorKey]
		if num.Suppressed || den.Suppressed {
			fail("%s: published over a suppressed numerator or denominator", x.Key)
		}
		if d := f.exact[x.DenominatorKey]; d < MD {
			fail("%s: denominator %d < %d", x.Key, d, MD)
			continue
		}
		// a whole percent of the published counts, nothing else
		pn, pd := *num.Value, *den.Value
		want := float64((200*pn + pd) / (2 * pd))
		if math.Abs(*x.Percent-want) > 1e-9 {
			fail("%s: %v, want %v", x.Key, *x.Percent, want)
		}
	}
	// nested headline counts: no small published difference, no
	// homogeneous group
	for _, pr := range nestedPairs {
		a, bb := pubFig[pr[0]], pubFig[pr[1]]
		if a.Suppressed || bb.Suppressed {
			continue
		}
		ea, eb := f.exact[pr[0]], f.exact[pr[1]]
		if d := ea - eb; d >= 1 && d < T {
			fail("%s - %s = %d published", pr[0], pr[1], d)
		}
		if ea > 0 && ea == eb {
			fail("%s == %s published (everyone shares it)", pr[0], pr[1])
		}
	}
	bounds := func(display string, exact int, withheld bool) (int, int) {
		switch {
		case withheld:
			return 0, inf
		case display == small:
			return 1, T - 1
		case display == "not published":
			return T, inf
		}
		return exact, exact
	}
	// ---- solver check, per table, on exact counts ----
	casesFig := pubFig["cases"]
	for _, tab := range g.Tables {
		vals := fieldValues(fieldIndexByName(tab.Field))
		n := len(vals)
		x := make([]int, n) // true values
		lo := make([]int, n)
		hi := make([]int, n)
		unknown := make([]bool, n)
		rows := map[string]Row{}
		for _, r := range tab.Rows {
			rows[r.Key] = r
		}
		for i, v := range vals {
			key := tab.Key + "." + v
			x[i] = f.exact[key]
			r, listed := rows[v]
			if !listed { // quarters outside the span: known zeros
				if x[i] != 0 {
					fail("%s: unlisted but %d", key, x[i])
				}
				lo[i], hi[i] = 0, 0
				continue
			}
			checkCount(key, r.Value, r.Suppressed, r.Display, x[i])
			unknown[i] = r.Suppressed
			lo[i], hi[i] = bounds(r.Display, x[i], tab.Withheld)
		}
		total := f.exact["cases"]
		tlo, thi := total, total
		if tab.Total == nil {
			tlo, thi = bounds(casesFig.Display, total, false)
		} else if *tab.Total != roundCount(total, T, R) {
			fail("%s: total %d", tab.Key, *tab.Total)
		}
		sum := 0
		for i := range x {
			sum += x[i]
			if x[i] < lo[i] || x[i] > hi[i] {
				fail("%s.%s: true value outside what its label says", tab.Key, vals[i])
			}
		}
		if sum != total {
			fail("%s: cells sum to %d, total %d", tab.Key, sum, total)
		}
		// every unknown must have a second feasible assignment in which it
		// differs: move one unit between it and another unknown (or the
		// unknown total)
		for j := range n {
			if !unknown[j] {
				continue
			}
			found := false
			for _, d := range []int{1, -1} {
				if x[j]+d < lo[j] || x[j]+d > hi[j] || x[j]+d < 0 {
					continue
				}
				for k := range n {
					if k != j && unknown[k] && x[k]-d >= lo[k] && x[k]-d <= hi[k] && x[k]-d >= 0 {
						y := slices.Clone(x)
						y[j] += d
						y[k] -= d
						s := 0
						for _, v := range y {
							s += v
						}
						found = s == total
					}
					if found {
						break
					}
				}
				if !found && tab.Total == nil && total+d >= tlo && total+d <= thi {
					found = true // the total moves with it
				}
				if found {
					break
				}
			}
			if !found {
				fail("%s.%s: suppressed cell is determined by the rest of the table", tab.Key, vals[j])
			}
		}
		if tab.Total == nil {
			moved := false
			for j := range n {
				if unknown[j] && ((x[j]+1 <= hi[j] && total+1 <= thi) || (x[j]-1 >= lo[j] && x[j]-1 >= 0 && total-1 >= tlo)) {
					moved = true
				}
			}
			if !moved {
				fail("%s: suppressed total is determined by the cells", tab.Key)
			}
		}
	}
	// ---- solver check for nested headline counts ----
	type hv struct{ x, lo, hi int }
	hs := map[string]*hv{}
	for _, pr := range nestedPairs {
		for _, k := range pr {
			x := pubFig[k]
			e := f.exact[k]
			l, h := bounds(x.Display, e, false)
			hs[k] = &hv{e, l, h}
		}
	}
	feasible := func(a map[string]int) bool {
		for k, v := range a {
			if v < hs[k].lo || v > hs[k].hi {
				return false
			}
		}
		for _, pr := range nestedPairs {
			if a[pr[1]] > a[pr[0]] {
				return false
			}
		}
		return true
	}
	for k, v := range hs {
		if v.lo == v.hi {
			continue // published
		}
		found := false
		for _, d := range []int{1, -1} {
			a := map[string]int{}
			for kk, vv := range hs {
				a[kk] = vv.x
			}
			a[k] += d
			// drag suppressed supersets up / subsets down with it
			for range 3 {
				for _, pr := range nestedPairs {
					if a[pr[1]] > a[pr[0]] {
						if pr[0] == k || hs[pr[0]].lo == hs[pr[0]].hi {
							a[pr[1]] = a[pr[0]]
						} else {
							a[pr[0]] = a[pr[1]]
						}
					}
				}
			}
			if a[k] == v.x+d && feasible(a) {
				found = true
				break
			}
		}
		if !found {
			fail("%s: suppressed headline count is determined by the counts it is nested in", k)
		}
	}
	return ok
}

// propertySeeds is how many random case sets a property test tries
// (CASESTATS_SEEDS=20000 for a longer run).
func propertySeeds(def uint64) uint64 {
	if n, err := strconv.ParseUint(os.Getenv("CASESTATS_SEEDS"), 10, 64); err == nil && n > 0 {
		return n
	}
	return def
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
