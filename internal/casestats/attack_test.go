package casestats

// The attacker: what a reader can work out from the public JSON of one
// release, or of two releases, and nothing else. It shares no code with
// the disclosure control it attacks: it parses the JSON into its own
// types, reads the labels as the documentation describes them (doc.go,
// README), builds its own integer program over the exact counts and
// decides with its own exhaustive solver (bounds propagation and
// branching, checked against brute-force enumeration below) whether a
// count, a sum of cells of a table, a difference of nested counts, or the
// change of any of these between two releases, has a single possible
// value. A single possible value from 1 to Threshold-1 is a leak.

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

// ---- the public JSON, as the attacker reads it ----

type atkRelease struct {
	Threshold      int    `json:"threshold"`
	Rounding       int    `json:"rounding"`
	MinDenominator int    `json:"min_denominator"`
	PercentBasis   string `json:"percent_basis"`
	Figures        []struct {
		Key            string   `json:"key"`
		Type           string   `json:"type"`
		Value          *int64   `json:"value"`
		Percent        *float64 `json:"percent"`
		Suppressed     bool     `json:"suppressed"`
		Display        string   `json:"display"`
		NumeratorKey   string   `json:"numerator_key"`
		DenominatorKey string   `json:"denominator_key"`
	} `json:"figures"`
	Tables []struct {
		Key      string `json:"key"`
		Field    string `json:"field"`
		Total    *int64 `json:"total"`
		Withheld bool   `json:"withheld"`
		Rows     []struct {
			Key        string `json:"key"`
			Value      *int64 `json:"value"`
			Suppressed bool   `json:"suppressed"`
			Display    string `json:"display"`
		} `json:"rows"`
	} `json:"tables"`
}

// What the documentation says about the keys (doc.go): figures that are
// the same number, and headline counts nested in one another.
var atkSame = map[string]string{
	"children_separated":     "cases",
	"still_separated":        "by_outcome.separated",
	"reunified":              "by_outcome.reunified",
	"deported_without_child": "by_outcome.deported_without_child",
}

var atkNested = [][2]string{ // second within first
	{"cases", "parents_handed_form"}, {"cases", "forms_premarked"}, {"cases", "forms_english_only"},
	{"cases", "language_barrier"}, {"cases", "told_no_rights"}, {"cases", "threatened_permanent_separation"},
	{"cases", "credible_fear_positive"}, {"cases", "credible_fear_positive_withdrawn"},
	{"parents_handed_form", "forms_premarked"}, {"parents_handed_form", "forms_english_only"},
	{"credible_fear_positive", "credible_fear_positive_withdrawn"},
}

const atkBig = int64(1) << 32

// ---- the attacker's integer program ----

// aRow: lo <= sum c[i]*x[idx[i]] <= hi.
type aRow struct {
	idx    []int
	c      []int64
	lo, hi int64
}

type aProg struct {
	lo, hi []int64
	rows   []aRow
	nodes  int
}

func (p *aProg) v(lo, hi int64) int {
	p.lo, p.hi = append(p.lo, lo), append(p.hi, hi)
	return len(p.lo) - 1
}

func (p *aProg) row(idx []int, c []int64, lo, hi int64) {
	p.rows = append(p.rows, aRow{slices.Clone(idx), slices.Clone(c), lo, hi})
}

func atkFloorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func atkCeilDiv(a, b int64) int64 { return -atkFloorDiv(-a, b) }

// prop narrows lo/hi to bounds consistency (sound: no solution is lost).
func (p *aProg) prop(lo, hi []int64) bool {
	for range 2000 {
		changed := false
		for _, r := range p.rows {
			var mn, mx int64
			for k, i := range r.idx {
				a, b := r.c[k]*lo[i], r.c[k]*hi[i]
				mn += min(a, b)
				mx += max(a, b)
			}
			if mn > r.hi || mx < r.lo {
				return false
			}
			for k, i := range r.idx {
				c := r.c[k]
				if c == 0 {
					continue
				}
				a, b := c*lo[i], c*hi[i]
				restMin, restMax := mn-min(a, b), mx-max(a, b)
				// r.lo - restMax <= c*x <= r.hi - restMin
				l, h := r.lo-restMax, r.hi-restMin
				var nl, nh int64
				if c > 0 {
					nl, nh = atkCeilDiv(l, c), atkFloorDiv(h, c)
				} else {
					nl, nh = atkCeilDiv(h, c), atkFloorDiv(l, c)
				}
				if nl > lo[i] {
					lo[i], changed = nl, true
				}
				if nh < hi[i] {
					hi[i], changed = nh, true
				}
				if lo[i] > hi[i] {
					return false
				}
			}
		}
		if !changed {
			return true
		}
	}
	return true // not at a fixed point, but what was done is sound
}

const atkBudget = 2_000_000

// solve finds a solution within lo/hi (nil if none), exhaustively.
func (p *aProg) solve(lo, hi []int64) []int64 {
	p.nodes++
	if p.nodes > atkBudget {
		panic("attacker: search budget exhausted (the search would not be exhaustive)")
	}
	lo, hi = slices.Clone(lo), slices.Clone(hi)
	if !p.prop(lo, hi) {
		return nil
	}
	best := -1
	for i := range lo {
		if lo[i] < hi[i] && (best < 0 || hi[i]-lo[i] < hi[best]-lo[best]) {
			best = i
		}
	}
	if best < 0 {
		return lo
	}
	mid := lo[best] + (hi[best]-lo[best])/2
	h2 := slices.Clone(hi)
	h2[best] = mid
	if s := p.solve(lo, h2); s != nil {
		return s
	}
	l2 := slices.Clone(lo)
	l2[best] = mid + 1
	return p.solve(l2, hi)
}

// sample finds a solution by a randomised search (a different one each
// time): solutions are certificates that a quantity can take two values.
func (p *aProg) sample(lo, hi []int64, rng *rand.Rand) []int64 {
	p.nodes++
	if p.nodes > atkBudget {
		panic("attacker: search budget exhausted (the search would not be exhaustive)")
	}
	lo, hi = slices.Clone(lo), slices.Clone(hi)
	if !p.prop(lo, hi) {
		return nil
	}
	var open []int
	for i := range lo {
		if lo[i] < hi[i] {
			open = append(open, i)
		}
	}
	if len(open) == 0 {
		return lo
	}
	i := open[rng.IntN(len(open))]
	v := lo[i] + rng.Int64N(hi[i]-lo[i]+1)
	l1, h1 := slices.Clone(lo), slices.Clone(hi)
	l1[i], h1[i] = v, v
	if s := p.sample(l1, h1, rng); s != nil {
		return s
	}
	if v > lo[i] {
		h2 := slices.Clone(hi)
		h2[i] = v - 1
		if s := p.sample(lo, h2, rng); s != nil {
			return s
		}
	}
	if v < hi[i] {
		l2 := slices.Clone(lo)
		l2[i] = v + 1
		return p.sample(l2, hi, rng)
	}
	return nil
}

// aLin is a linear expression over the program's variables.
type aLin map[int]int64

// with returns a copy of p with a new variable z equal to every one of
// forms (several linear expressions known to be equal: giving them all
// lets bounds propagation see what each one implies).
func (p *aProg) with(forms []aLin) (*aProg, int) {
	q := &aProg{lo: slices.Clone(p.lo), hi: slices.Clone(p.hi), rows: slices.Clone(p.rows)}
	var span int64
	for _, e := range forms {
		var s int64
		for i, k := range e {
			s += atkAbs(k) * max(atkAbs(p.lo[i]), atkAbs(p.hi[i]))
		}
		span = max(span, s)
	}
	z := q.v(-span, span)
	for _, e := range forms {
		idx, c := []int{z}, []int64{-1}
		keys := make([]int, 0, len(e))
		for i := range e {
			keys = append(keys, i)
		}
		sort.Ints(keys)
		for _, i := range keys {
			if e[i] != 0 {
				idx, c = append(idx, i), append(c, e[i])
			}
		}
		q.row(idx, c, 0, 0)
	}
	return q, z
}

// rangeOf returns the exact minimum and maximum of e over the integer
// solutions (ok false if there are none).
func (p *aProg) rangeOf(forms ...aLin) (mn, mx int64, ok bool) {
	q, z := p.with(forms)
	defer func() { p.nodes += q.nodes }()
	s := q.solve(q.lo, q.hi)
	if s == nil {
		return 0, 0, false
	}
	v := s[z]
	lo, hi := q.lo, q.hi
	a, b := lo[z], v // min in [a, b]
	for a < b {
		m := atkFloorDiv(a+b, 2)
		hi2 := slices.Clone(hi)
		hi2[z] = m
		if q.solve(lo, hi2) != nil {
			b = m
		} else {
			a = m + 1
		}
	}
	mn = a
	a, b = v, hi[z]
	for a < b {
		m := atkCeilDiv(a+b, 2)
		lo2 := slices.Clone(lo)
		lo2[z] = m
		if q.solve(lo2, hi) != nil {
			a = m
		} else {
			b = m - 1
		}
	}
	return mn, a, true
}

// pinned reports whether the quantity has a single possible value, and
// which: a solution, then an exhaustive search for one below it and one
// above it.
func (p *aProg) pinned(forms ...aLin) (v int64, single, ok bool) {
	q, z := p.with(forms)
	defer func() { p.nodes += q.nodes }()
	s := q.solve(q.lo, q.hi)
	if s == nil {
		return 0, false, false
	}
	v = s[z]
	hi2 := slices.Clone(q.hi)
	hi2[z] = v - 1
	if q.solve(q.lo, hi2) != nil {
		return v, false, true
	}
	lo2 := slices.Clone(q.lo)
	lo2[z] = v + 1
	return v, q.solve(lo2, q.hi) == nil, true
}

// ---- reading a release into the program ----

type atkVars struct {
	rel    *atkRelease
	t      int64
	count  map[string]int      // canonical key -> variable
	rows   map[string][]string // table key -> listed row keys ("table.row")
	tables []string
}

func atkCanon(k string) string {
	if a, ok := atkSame[k]; ok {
		return a
	}
	return k
}

// atkPreimage: the exact counts the documented rounding publishes as v
// (half up to a multiple of r; a count of at least t never below t).
func atkPreimage(v, t, r int64) (int64, int64, error) {
	if v == 0 {
		return 0, 0, nil
	}
	lo, hi := int64(-1), int64(-1)
	for x := max(t, v-r); x <= v+r; x++ {
		q := (x + r/2) / r * r
		if q < t {
			q = (t + r - 1) / r * r
		}
		if q == v {
			if lo < 0 {
				lo = x
			}
			hi = x
		}
	}
	if lo < 0 {
		return 0, 0, fmt.Errorf("%d is not a published rounded count", v)
	}
	return lo, hi, nil
}

// read adds one release's variables and everything it says about them.
func (p *aProg) read(js []byte) (*atkVars, error) {
	var r atkRelease
	if err := json.Unmarshal(js, &r); err != nil {
		return nil, err
	}
	t, rd := int64(r.Threshold), int64(r.Rounding)
	if t < 11 || rd < 1 {
		return nil, fmt.Errorf("parameters %d/%d", t, rd)
	}
	av := &atkVars{rel: &r, t: t, count: map[string]int{}, rows: map[string][]string{}}
	withheld := map[string]bool{} // canonical keys of cells of withheld tables
	for _, tab := range r.Tables {
		if tab.Withheld {
			for _, row := range tab.Rows {
				withheld[tab.Key+"."+row.Key] = true
			}
		}
	}
	get := func(k string) int {
		k = atkCanon(k)
		if i, ok := av.count[k]; ok {
			return i
		}
		i := p.v(0, atkBig)
		av.count[k] = i
		return i
	}
	bound := func(key string, value *int64, suppressed bool, display string) error {
		i := get(key)
		var lo, hi int64
		switch {
		case !suppressed && value != nil:
			var err error
			if lo, hi, err = atkPreimage(*value, t, rd); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		case suppressed && display == fmt.Sprintf("fewer than %d", t):
			lo, hi = 1, t-1
		case suppressed && display == "not published":
			lo, hi = t, atkBig
			if withheld[atkCanon(key)] {
				lo = 0
			}
		default:
			return fmt.Errorf("%s: unreadable label %q", key, display)
		}
		p.lo[i], p.hi[i] = max(p.lo[i], lo), min(p.hi[i], hi)
		return nil
	}
	for _, f := range r.Figures {
		if f.Type == "percent" {
			continue
		}
		if err := bound(f.Key, f.Value, f.Suppressed, f.Display); err != nil {
			return nil, err
		}
	}
	casesDisplay := ""
	for _, f := range r.Figures {
		if f.Key == "cases" {
			casesDisplay = f.Display
		}
	}
	n := get("cases")
	for _, tab := range r.Tables {
		av.tables = append(av.tables, tab.Key)
		if err := bound("cases", tab.Total, tab.Total == nil, map[bool]string{true: casesDisplay, false: ""}[tab.Total == nil]); err != nil {
			return nil, err
		}
		idx, c := []int{n}, []int64{-1}
		for _, row := range tab.Rows {
			k := tab.Key + "." + row.Key
			if err := bound(k, row.Value, row.Suppressed, row.Display); err != nil {
				return nil, err
			}
			av.rows[tab.Key] = append(av.rows[tab.Key], k)
			idx, c = append(idx, get(k)), append(c, 1)
		}
		// rows not listed (quarters outside the span) are 0
		p.row(idx, c, 0, 0)
	}
	for _, pr := range atkNested {
		p.row([]int{get(pr[0]), get(pr[1])}, []int64{1, -1}, 0, atkBig)
	}
	// percentages
	pub := func(k string) *int64 {
		for _, f := range r.Figures {
			if f.Key == k && !f.Suppressed {
				return f.Value
			}
		}
		return nil
	}
	for _, f := range r.Figures {
		if f.Type != "percent" || f.Percent == nil {
			continue
		}
		num, den := get(f.NumeratorKey), get(f.DenominatorKey)
		switch r.PercentBasis {
		case "published_counts":
			// documented: a whole percent of the published counts,
			// half up, shown only when the smallest exact denominator
			// the published one allows is at least min_denominator.
			pn, pd := pub(f.NumeratorKey), pub(f.DenominatorKey)
			if pn == nil || pd == nil || *pd == 0 {
				return nil, fmt.Errorf("%s: percentage of an unpublished count", f.Key)
			}
			want := float64((200**pn + *pd) / (2 * *pd))
			if *f.Percent != want {
				return nil, fmt.Errorf("%s: %v%% is not derived from the published counts (%d of %d)", f.Key, *f.Percent, *pn, *pd)
			}
			if dlo, _, _ := atkPreimage(*pd, t, rd); dlo < int64(r.MinDenominator) {
				return nil, fmt.Errorf("%s: shown over a denominator that may be below %d", f.Key, r.MinDenominator)
			}
		default:
			// releases without a basis computed the percentage, to one
			// decimal and half up, from the exact counts:
			// (2P-1)*den <= 2000*num <= (2P+1)*den - 1 with P = 10*percent.
			P := int64(math.Round(*f.Percent * 10))
			p.row([]int{num, den}, []int64{2000, -(2*P - 1)}, 0, atkBig*4000)
			p.row([]int{num, den}, []int64{2000, -(2*P + 1)}, -atkBig*4000, -1)
			p.lo[den] = max(p.lo[den], 1)
		}
	}
	return av, nil
}

// ---- the quantities a reader would look at ----

// atkQ is the count of a group of people: a count (keys has one key), the
// difference of two nested counts (minus), or a sum of cells of one table
// (table set).
type atkQ struct {
	keys  []string
	minus bool
	table string
}

func (q atkQ) String() string {
	if q.minus {
		return q.keys[0] + " - " + q.keys[1]
	}
	return strings.Join(q.keys, " + ")
}

// forms returns linear expressions that all equal q in release av: the
// direct sum and, for cells of a table, the total minus the other cells
// (ok false when q is not about this release).
func (av *atkVars) forms(q atkQ) (out []aLin) {
	if q.minus {
		return []aLin{{av.count[q.keys[0]]: 1, av.count[q.keys[1]]: -1}}
	}
	direct := aLin{}
	for _, k := range q.keys {
		if i, ok := av.count[k]; ok {
			direct[i]++
		} // a row that is not listed is 0
	}
	out = append(out, direct)
	tk := q.table
	if tk == "" {
		if t, _, ok := strings.Cut(q.keys[0], "."); ok && len(av.rows[t]) > 0 {
			tk = t
		}
	}
	if rows := av.rows[tk]; len(rows) > 0 {
		comp := aLin{av.count["cases"]: 1}
		for _, k := range rows {
			if !slices.Contains(q.keys, k) {
				comp[av.count[k]]--
			}
		}
		out = append(out, comp)
	}
	return out
}

// quantities lists counts of groups of people in a release: every count,
// every difference of nested counts, and sums of cells of a table (all
// sums in the small tables; in the others, of the cells their labels
// leave open: pairs, all of them, all but one and all but two).
func (av *atkVars) quantities(p *aProg) []atkQ {
	var qs []atkQ
	keys := make([]string, 0, len(av.count))
	for k := range av.count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		qs = append(qs, atkQ{keys: []string{k}})
	}
	for _, pr := range atkNested {
		qs = append(qs, atkQ{keys: []string{pr[0], pr[1]}, minus: true})
	}
	for _, tk := range av.tables {
		rows := av.rows[tk]
		sum := func(set []string) atkQ { return atkQ{keys: slices.Clone(set), table: tk} }
		if len(rows) <= 6 {
			for m := 3; m < 1<<len(rows); m++ {
				if bits.OnesCount(uint(m)) < 2 {
					continue
				}
				var set []string
				for i, k := range rows {
					if m&(1<<i) != 0 {
						set = append(set, k)
					}
				}
				qs = append(qs, sum(set))
			}
			continue
		}
		var open []string // not pinned by their own label
		for _, k := range rows {
			if i := av.count[k]; p.lo[i] != p.hi[i] {
				open = append(open, k)
			}
		}
		for i := range open {
			for j := i + 1; j < len(open); j++ {
				qs = append(qs, sum([]string{open[i], open[j]}))
				if len(open) > 4 { // and all the others
					qs = append(qs, sum(slices.Delete(slices.Delete(slices.Clone(open), j, j+1), i, i+1)))
				}
			}
			rest := slices.Delete(slices.Clone(open), i, i+1)
			if len(rest) > 1 {
				qs = append(qs, sum(rest))
			}
		}
		if len(open) > 2 {
			qs = append(qs, sum(open))
		}
	}
	return qs
}

// samples returns a few random solutions of the program.
func (p *aProg) samples(base *aProg) [][]int64 {
	rng := rand.New(rand.NewPCG(1, 2))
	var out [][]int64
	for range 12 {
		if s := p.sample(base.lo, base.hi, rng); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// varies reports whether e takes two values among the solutions.
func atkEval(e aLin, x []int64) int64 {
	var v int64
	for i, k := range e {
		v += k * x[i]
	}
	return v
}

func atkVaries(sols [][]int64, e aLin) bool {
	var first int64
	for n, s := range sols {
		var v int64
		for i, k := range e {
			v += k * s[i]
		}
		if n == 0 {
			first = v
		} else if v != first {
			return true
		}
	}
	return false
}

// atkLeak is one thing the attacker worked out.
type atkLeak struct {
	What  string
	Value int64
}

func (l atkLeak) String() string { return fmt.Sprintf("%s = %d", l.What, l.Value) }

// small reports whether a quantity pinned at v is a leak.
func atkSmall(v, t int64) bool { return v != 0 && atkAbs(v) < t }

// attackOne: every quantity of a single release that the JSON pins to a
// value from 1 to Threshold-1. pinnedRounded lists published rounded
// counts whose exact value it pins (not a leak of a small count, but a
// sign that the rounding was undone).
func attackOne(t *testing.T, js []byte) (leaks []atkLeak, pinnedRounded []atkLeak) {
	t.Helper()
	p := &aProg{}
	av, err := p.read(js)
	if err != nil {
		t.Fatalf("attacker cannot read the release: %v", err)
	}
	base := &aProg{lo: slices.Clone(p.lo), hi: slices.Clone(p.hi), rows: p.rows}
	if !base.prop(base.lo, base.hi) {
		t.Fatal("attacker: the release is inconsistent with its own documentation")
	}
	published := map[string]bool{}
	for _, f := range av.rel.Figures {
		if f.Type != "percent" && !f.Suppressed && f.Value != nil && *f.Value > 0 {
			published[atkCanon(f.Key)] = true
		}
	}
	for _, tab := range av.rel.Tables {
		for _, r := range tab.Rows {
			if !r.Suppressed && r.Value != nil && *r.Value > 0 {
				published[tab.Key+"."+r.Key] = true
			}
		}
	}
	samples := p.samples(base)
	for _, q := range av.quantities(base) {
		f0 := av.forms(q)[0]
		if atkVaries(samples, f0) {
			continue
		}
		// a common value that is not small matters only for a published
		// count (is its rounding undone?)
		if !atkSmall(atkEval(f0, samples[0]), av.t) && !published[q.String()] {
			continue
		}
		v, single, ok := p.pinned(av.forms(q)...)
		if !ok {
			t.Fatal("attacker: no exact counts are consistent with the release")
		}
		if !single {
			continue
		}
		if atkSmall(v, av.t) {
			leaks = append(leaks, atkLeak{q.String(), v})
		} else if published[q.String()] && av.rel.Rounding > 1 {
			pinnedRounded = append(pinnedRounded, atkLeak{q.String(), v})
		}
	}
	return leaks, pinnedRounded
}

// attackPair: every quantity whose change between two releases the two
// JSONs pin to a value from 1 to Threshold-1 (or -1 to -(Threshold-1)),
// read two ways: as two unrelated snapshots, and assuming (as a reader
// would when the total grew) that cases were only added, so that no count
// of any group went down.
func attackPair(t *testing.T, js1, js2 []byte) (leaks []atkLeak) {
	t.Helper()
	for _, growth := range []bool{false, true} {
		p := &aProg{}
		a, err := p.read(js1)
		if err != nil {
			t.Fatalf("attacker cannot read the first release: %v", err)
		}
		b, err := p.read(js2)
		if err != nil {
			t.Fatalf("attacker cannot read the second release: %v", err)
		}
		// a variable for the change of every count, tied to the two
		// releases, with the changes of a table's cells adding up to the
		// change of the total (what the two table sums imply)
		change := map[string]int{}
		for _, rel := range []*atkVars{a, b} {
			for k := range rel.count {
				if _, ok := change[k]; ok {
					continue
				}
				d := p.v(-atkBig, atkBig)
				if growth {
					p.lo[d] = 0 // no count of any group went down
				}
				change[k] = d
				idx, c := []int{d}, []int64{-1}
				if i, ok := b.count[k]; ok {
					idx, c = append(idx, i), append(c, 1)
				}
				if i, ok := a.count[k]; ok {
					idx, c = append(idx, i), append(c, -1)
				}
				p.row(idx, c, 0, 0)
			}
		}
		for _, tk := range b.tables {
			idx, c := []int{change["cases"]}, []int64{-1}
			for k, d := range change {
				if strings.HasPrefix(k, tk+".") {
					idx, c = append(idx, d), append(c, 1)
				}
			}
			p.row(idx, c, 0, 0)
		}
		if growth {
			for _, pr := range atkNested { // cases without the attribute only grow too
				p.row([]int{change[pr[0]], change[pr[1]]}, []int64{1, -1}, 0, atkBig)
			}
		}
		base := &aProg{lo: slices.Clone(p.lo), hi: slices.Clone(p.hi), rows: p.rows}
		if !base.prop(base.lo, base.hi) || base.solve(base.lo, base.hi) == nil {
			if !growth {
				t.Fatal("attacker: no exact counts are consistent with the two releases")
			}
			continue // records were edited or removed: growth is not a reading
		}
		t1 := max(a.t, b.t)
		samples := p.samples(base)
		seen := map[string]bool{}
		for _, rel := range []*atkVars{a, b} {
			for _, q := range rel.quantities(base) {
				if seen[q.String()] {
					continue
				}
				seen[q.String()] = true
				forms := atkChangeForms(q, change)
				if atkVaries(samples, forms[0]) || !atkSmall(atkEval(forms[0], samples[0]), t1) {
					continue
				}
				v, single, ok := p.pinned(forms...)
				if ok && single && atkSmall(v, t1) {
					reading := "any change"
					if growth {
						reading = "cases only added"
					}
					leaks = append(leaks, atkLeak{"change of " + q.String() + " (" + reading + ")", v})
				}
			}
		}
	}
	return leaks
}

// atkChangeForms: expressions equal to the change of q: the changes of
// its counts, and for cells of a table the change of the total minus the
// changes of the other cells.
func atkChangeForms(q atkQ, change map[string]int) []aLin {
	if q.minus {
		return []aLin{{change[q.keys[0]]: 1, change[q.keys[1]]: -1}}
	}
	direct := aLin{}
	for _, k := range q.keys {
		direct[change[k]]++
	}
	out := []aLin{direct}
	tk := q.table
	if tk == "" {
		tk, _, _ = strings.Cut(q.keys[0], ".")
	}
	comp := aLin{change["cases"]: 1}
	inTable := false
	for k, d := range change {
		if strings.HasPrefix(k, tk+".") {
			inTable = true
			if !slices.Contains(q.keys, k) {
				comp[d]--
			}
		}
	}
	if inTable {
		out = append(out, comp)
	}
	return out
}

// ---- checking the attacker's solver against brute force ----

func TestAttackerSolverExhaustive(t *testing.T) {
	rng := newTestRand(5)
	for trial := range 1000 {
		p := &aProg{}
		nv := 2 + rng.IntN(3)
		for range nv {
			lo := int64(rng.IntN(4))
			p.v(lo, lo+int64(rng.IntN(5)))
		}
		for range 1 + rng.IntN(3) {
			var idx []int
			var c []int64
			for i := range nv {
				if rng.IntN(2) == 0 {
					idx, c = append(idx, i), append(c, int64(rng.IntN(7)-3))
				}
			}
			if len(idx) == 0 {
				continue
			}
			lo := int64(rng.IntN(9) - 4)
			p.row(idx, c, lo, lo+int64(rng.IntN(4)))
		}
		e := aLin{}
		for i := range nv {
			e[i] = int64(rng.IntN(5) - 2)
		}
		// brute force
		var bmn, bmx int64 = math.MaxInt64, math.MinInt64
		x := make([]int64, nv)
		var rec func(int)
		rec = func(i int) {
			if i == nv {
				for _, r := range p.rows {
					var s int64
					for k, j := range r.idx {
						s += r.c[k] * x[j]
					}
					if s < r.lo || s > r.hi {
						return
					}
				}
				var s int64
				for j, k := range e {
					s += k * x[j]
				}
				bmn, bmx = min(bmn, s), max(bmx, s)
				return
			}
			for v := p.lo[i]; v <= p.hi[i]; v++ {
				x[i] = v
				rec(i + 1)
			}
		}
		rec(0)
		mn, mx, ok := p.rangeOf(e)
		v, single, ok2 := p.pinned(e)
		if ok2 != ok || (ok && (single != (bmn == bmx) || v < bmn || v > bmx)) {
			t.Fatalf("trial %d: pinned %d %v %v, brute force [%d,%d]", trial, v, single, ok2, bmn, bmx)
		}
		if ok != (bmn <= bmx) || (ok && (mn != bmn || mx != bmx)) {
			t.Fatalf("trial %d: solver [%d,%d] %v, brute force [%d,%d]", trial, mn, mx, ok, bmn, bmx)
		}
	}
}

func atkAbs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
