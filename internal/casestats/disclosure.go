package casestats

// suppKind is why a number is (not) published.
type suppKind uint8

const (
	kPublished suppKind = iota
	// kSmall: primary suppression, a count from 1 to Threshold-1.
	// Shown as "fewer than 11"; a reader knows it is in [1, T-1].
	kSmall
	// kProtect: a count >= Threshold held back so that a small count cannot
	// be recovered (complementary suppression in a table, a difference of
	// nested headline counts, a group where everyone shares the attribute,
	// or a change since an earlier release). Shown as "not published"; a
	// reader may assume it is >= Threshold.
	kProtect
	// kWithheld: a cell of a table withheld as a whole (possibly zero).
	kWithheld
)

const inf = 1 << 40

// bounds are what a reader of the release knows about a value.
func (k suppKind) bounds(exact, t int) (lo, hi int) {
	switch k {
	case kSmall:
		return 1, t - 1
	case kProtect:
		return t, inf
	case kWithheld:
		return 0, inf
	}
	return exact, exact
}

// cvar is one count of the release. Figures that are the same number by
// definition (cases and children_separated; still_separated and the
// by_outcome "separated" cell; ...) share one cvar, so they are always
// published or suppressed together.
type cvar struct {
	key    string // canonical key
	exact  int
	kind   suppKind
	forced bool // held back because of an earlier release
}

type tmodel struct {
	spec     *tableSpec
	cats     []string
	cells    []*cvar
	linked   []bool // the cell is also a headline figure
	total    *cvar
	withheld bool
}

type model struct {
	p      Params
	vars   map[string]*cvar // every count key (headline, alias, "table.cat") -> its variable
	tables []*tmodel
	pairs  [][2]*cvar
	// withholdTable: tables withheld as a whole because of an earlier
	// release (by table key).
	withholdTable map[string]bool
}

// canonicalKey maps an alias to the key of the variable it shares.
func canonicalKey(k string) string {
	for _, cs := range countSpecs {
		if cs.key == k && cs.alias != "" {
			return cs.alias
		}
	}
	return k
}

func newModel(c *Counter, p Params) *model {
	m := &model{p: p, vars: map[string]*cvar{}, withholdTable: map[string]bool{}}
	cases := &cvar{key: "cases", exact: c.cases}
	m.vars["cases"] = cases
	for i := range tableSpecs {
		ts := &tableSpecs[i]
		t := &tmodel{spec: ts, total: cases}
		counts := c.tableCounts(ts.field)
		for j, cat := range fieldValues(ts.field) {
			key := ts.key + "." + cat
			v := &cvar{key: key, exact: counts[j]}
			m.vars[key] = v
			t.cats = append(t.cats, cat)
			t.cells = append(t.cells, v)
			t.linked = append(t.linked, false)
		}
		m.tables = append(m.tables, t)
	}
	for _, cs := range countSpecs {
		if cs.alias != "" {
			m.vars[cs.key] = m.vars[cs.alias]
			for _, t := range m.tables {
				for j, v := range t.cells {
					if v == m.vars[cs.alias] {
						t.linked[j] = true
					}
				}
			}
			continue
		}
		if cs.key != "cases" {
			m.vars[cs.key] = &cvar{key: cs.key, exact: c.headline(cs.key)}
		}
	}
	for _, np := range nestedPairs {
		m.pairs = append(m.pairs, [2]*cvar{m.vars[np[0]], m.vars[np[1]]})
	}
	return m
}

// allVars returns each distinct variable once.
func (m *model) allVars() []*cvar {
	seen := map[*cvar]bool{}
	var out []*cvar
	for _, v := range m.vars {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// suppress decides, from scratch, which counts are published.
func (m *model) suppress() {
	t := m.p.Threshold
	for _, v := range m.allVars() {
		switch {
		case v.exact >= 1 && v.exact < t:
			v.kind = kSmall
		case v.forced:
			v.kind = kProtect
		default:
			v.kind = kPublished
		}
	}
	// l-diversity: the outcome must take at least two values among the
	// documented cases, otherwise the whole outcome table is withheld.
	for _, tm := range m.tables {
		tm.withheld = false
		if m.withholdTable[tm.spec.key] {
			m.withhold(tm)
			continue
		}
		if tm.spec.field != fOutcome || tm.total.exact == 0 {
			continue
		}
		nonzero := 0
		for _, v := range tm.cells {
			if v.exact > 0 {
				nonzero++
			}
		}
		if nonzero < 2 {
			m.withhold(tm)
		}
	}
	// l-diversity for nested headline counts: if everyone in a published
	// group has the attribute (B == A > 0), B is not published.
	for _, pr := range m.pairs {
		a, b := pr[0], pr[1]
		if a.kind == kPublished && b.kind == kPublished && a.exact > 0 && a.exact == b.exact {
			b.kind = kProtect
		}
	}
	for changed := true; changed; {
		changed = false
		// A difference of two published nested counts is the count of a
		// group: it must not be in 1..T-1.
		for _, pr := range m.pairs {
			a, b := pr[0], pr[1]
			if a.kind == kPublished && b.kind == kPublished {
				if d := a.exact - b.exact; d >= 1 && d < t {
					b.kind = kProtect
					changed = true
				}
			}
		}
		if m.protectHeadlines() {
			changed = true
		}
		for _, tm := range m.tables {
			if m.protectTable(tm) {
				changed = true
			}
		}
	}
}

// headlineRanges computes what a reader can infer about the total and the
// nested headline counts: each count's bounds from its label, the total's
// range from every table, and the nesting (a subset count is at most its
// superset), propagated to a fixed point. With only "x <= y" constraints
// between interval-bounded integers, the propagated bounds are exact.
func (m *model) headlineRanges() map[*cvar]interval {
	t := m.p.Threshold
	r := map[*cvar]interval{}
	get := func(v *cvar) interval {
		if in, ok := r[v]; ok {
			return in
		}
		lo, hi := v.kind.bounds(v.exact, t)
		r[v] = interval{lo, hi}
		return r[v]
	}
	cases := m.vars["cases"]
	c := get(cases)
	for _, tm := range m.tables {
		pub, sumLo, sumHi := tableSums(tm, t)
		c.lo, c.hi = max(c.lo, pub+sumLo), min(c.hi, pub+sumHi)
	}
	r[cases] = c
	for changed := true; changed; {
		changed = false
		for _, pr := range m.pairs {
			a, b := get(pr[0]), get(pr[1])
			if b.lo > a.lo {
				a.lo, changed = b.lo, true
			}
			if a.hi < b.hi {
				b.hi, changed = a.hi, true
			}
			r[pr[0]], r[pr[1]] = a, b
		}
	}
	return r
}

// protectHeadlines makes sure no suppressed headline count (or the total)
// is pinned down by the counts it is nested in or contains; if one is, its
// smallest published superset is held back too (the total only as a last
// resort, which happens only for tiny data sets).
func (m *model) protectHeadlines() bool {
	rng := m.headlineRanges()
	cases := m.vars["cases"]
	for _, pr := range m.pairs {
		for _, v := range pr {
			if v.kind == kPublished || rng[v].hi > rng[v].lo {
				continue
			}
			var up *cvar
			for _, q := range m.pairs {
				if q[1] == v && q[0].kind == kPublished && (up == nil || up == cases) {
					up = q[0]
				}
			}
			if up == nil && cases.kind == kPublished && v != cases {
				up = cases
			}
			if up == nil {
				continue
			}
			up.kind = kProtect
			return true
		}
	}
	return false
}

func tableSums(tm *tmodel, t int) (pub, sumLo, sumHi int) {
	for _, v := range tm.cells {
		if v.kind == kPublished {
			pub += v.exact
			continue
		}
		l, h := v.kind.bounds(v.exact, t)
		sumLo += l
		sumHi += h
	}
	return pub, sumLo, sumHi
}

func (m *model) withhold(tm *tmodel) {
	tm.withheld = true
	for _, v := range tm.cells {
		v.kind = kWithheld
	}
}

// protectTable adds complementary suppressions to a table until no
// suppressed cell (nor a suppressed total) is determined by the published
// cells, the total and what the labels say about suppressed cells. If no
// candidate is left, the table is withheld as a whole. It reports whether
// anything changed.
func (m *model) protectTable(tm *tmodel) bool {
	if tm.withheld {
		return false
	}
	t := m.p.Threshold
	changed := false
	for {
		total := m.headlineRanges()[tm.total]
		if tableProtected(tm, t, total) {
			return changed
		}
		best := -1
		for i, v := range tm.cells {
			if v.kind != kPublished || v.exact < t {
				continue
			}
			if best < 0 || less(tm, i, best) {
				best = i
			}
		}
		if best < 0 {
			m.withhold(tm)
			return true
		}
		tm.cells[best].kind = kProtect
		changed = true
	}
}

// less orders complement candidates: cells that are not also headline
// figures first, then the smallest.
func less(tm *tmodel, i, j int) bool {
	if tm.linked[i] != tm.linked[j] {
		return !tm.linked[i]
	}
	return tm.cells[i].exact < tm.cells[j].exact
}

// feasibleRanges returns, for each suppressed cell of the table (and the
// total, last, if it is suppressed), the range of values consistent with
// the published cells, what is known of the total and the bounds the labels
// give. With one linear equation (cells sum to the total) and interval
// bounds, every integer in these ranges is attainable.
func feasibleRanges(tm *tmodel, t int, total interval) (idx []int, lo, hi []int) {
	pub, sumLo, sumHi := tableSums(tm, t)
	for i, v := range tm.cells {
		if v.kind == kPublished {
			continue
		}
		l, h := v.kind.bounds(v.exact, t)
		idx = append(idx, i)
		lo = append(lo, max(l, total.lo-pub-(sumHi-h)))
		hi = append(hi, min(h, total.hi-pub-(sumLo-l)))
	}
	if tm.total.kind != kPublished {
		idx = append(idx, -1)
		lo = append(lo, max(total.lo, pub+sumLo))
		hi = append(hi, min(total.hi, pub+sumHi))
	}
	return idx, lo, hi
}

// tableProtected reports whether no suppressed cell (nor a suppressed
// total) is determined, and whether the suppressed cells together are not
// a determined count from 1 to t-1 (two "fewer than 11" cells whose sum is
// the total minus the published cells are a group of that many people).
func tableProtected(tm *tmodel, t int, total interval) bool {
	_, lo, hi := feasibleRanges(tm, t, total)
	for i := range lo {
		if hi[i] <= lo[i] {
			return false
		}
	}
	pub, sumLo, sumHi := tableSums(tm, t)
	if sumHi == 0 {
		return true // nothing suppressed
	}
	rlo, rhi := max(total.lo-pub, sumLo), min(total.hi-pub, sumHi)
	return !(rlo == rhi && rlo >= 1 && rlo < t)
}

// roundCount rounds a publishable count (0 or >= t) half up to a multiple
// of r, never below t.
func roundCount(x, t, r int) int {
	if x <= 0 {
		return 0
	}
	q := (x + r/2) / r * r
	if q < t {
		q = (t + r - 1) / r * r
	}
	return q
}

// preimageLow is the smallest exact count that publishes as v (v > 0)
// under threshold t and rounding r.
func preimageLow(v, t, r int) int {
	for x := max(t, v-r); x <= v; x++ {
		if roundCount(x, t, r) == v {
			return x
		}
	}
	return v
}

// percentOfPublished is the published percentage of num out of den: a
// whole percent, half up, of the published counts, so it tells nothing
// the counts do not. It is shown only when both counts are published and
// the published denominator means at least minDen cases (the smallest
// exact count it can stand for is at least minDen), a rule that also
// depends on public numbers only.
func percentOfPublished(num, den *int, t, r, minDen int) (float64, bool) {
	if num == nil || den == nil || *den <= 0 || preimageLow(*den, t, r) < minDen {
		return 0, false
	}
	return float64((200**num + *den) / (2 * *den)), true
}
