package casestats

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// What a reader can work out from public releases: an integer program over
// the exact counts behind one or two releases, built from nothing but
// their public content, and a small exact solver for it. The differencing
// check (release.go) uses it to find the changes between an earlier
// release and a candidate that have a single possible value.
//
// The program: one variable per count (the total, each headline count,
// each listed table cell; figures that are the same number share one),
// bounded by what its label says (the exact counts that round to the
// published value; 1..T-1 for "fewer than T"; at least T for "not
// published", or at least 0 in a withheld table), every table summing to
// the total, nested counts (a subset is at most its superset), and, for a
// release made before percentages were taken from the published counts,
// each percentage as the two linear inequalities that its rounding from
// the exact counts means. For two releases read as "cases were only
// added", every count, and every difference of nested counts, is at least
// its earlier value.

// lrow is lo <= sum c[k]*x[idx[k]] <= hi.
type lrow struct {
	idx    []int
	c      []int64
	lo, hi int64
}

// iprog is an integer program with bounded variables.
type iprog struct {
	lo, hi []int64
	rows   []lrow
	occ    [][]int // variable -> rows it appears in
	nodes  int     // search nodes used
	budget int     // search nodes allowed (0: default)
	spent  bool    // the budget ran out: an answer was not proved

	queued []bool // propagate's work list, reused
	queue  []int
}

func (p *iprog) newVar(lo, hi int64) int {
	p.lo, p.hi = append(p.lo, lo), append(p.hi, hi)
	p.occ = append(p.occ, nil)
	return len(p.lo) - 1
}

func (p *iprog) addRow(idx []int, c []int64, lo, hi int64) {
	r := len(p.rows)
	p.rows = append(p.rows, lrow{idx: slices.Clone(idx), c: slices.Clone(c), lo: lo, hi: hi})
	for _, i := range idx {
		p.occ[i] = append(p.occ[i], r)
	}
}

// extend returns a copy of p that can take more variables and rows
// without changing p.
func (p *iprog) extend() *iprog {
	q := &iprog{lo: slices.Clone(p.lo), hi: slices.Clone(p.hi), rows: slices.Clone(p.rows), budget: p.budget}
	q.occ = make([][]int, len(p.occ))
	for i, o := range p.occ {
		q.occ[i] = slices.Clip(o)
	}
	return q
}

func floorDiv64(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv64(a, b int64) int64 { return -floorDiv64(-a, b) }

// propagate narrows lo and hi to (near) bounds consistency, starting with
// the rows in dirty (all rows when nil). It never removes a solution; it
// returns false when it proves there is none. Work is bounded: on slowly
// converging cycles it stops early, which is still sound.
func (p *iprog) propagate(lo, hi []int64, dirty []int) bool {
	if len(p.queued) < len(p.rows) {
		p.queued = make([]bool, len(p.rows))
	}
	queued := p.queued
	queue := p.queue[:0]
	defer func() {
		for _, r := range queue {
			queued[r] = false
		}
		p.queue = queue[:0]
	}()
	push := func(r int) {
		if !queued[r] {
			queued[r] = true
			queue = append(queue, r)
		}
	}
	if dirty == nil {
		for r := range p.rows {
			push(r)
		}
	} else {
		for _, r := range dirty {
			push(r)
		}
	}
	limit := 64*len(p.rows) + 1024
	for head, steps := 0, 0; head < len(queue) && steps < limit; head, steps = head+1, steps+1 {
		r := queue[head]
		queued[r] = false
		row := &p.rows[r]
		var mn, mx int64
		for k, i := range row.idx {
			a, b := row.c[k]*lo[i], row.c[k]*hi[i]
			mn += min(a, b)
			mx += max(a, b)
		}
		if mn > row.hi || mx < row.lo {
			return false
		}
		for k, i := range row.idx {
			c := row.c[k]
			if c == 0 {
				continue
			}
			a, b := c*lo[i], c*hi[i]
			l, h := row.lo-(mx-max(a, b)), row.hi-(mn-min(a, b))
			var nl, nh int64
			if c > 0 {
				nl, nh = ceilDiv64(l, c), floorDiv64(h, c)
			} else {
				nl, nh = ceilDiv64(h, c), floorDiv64(l, c)
			}
			changed := false
			if nl > lo[i] {
				lo[i], changed = nl, true
			}
			if nh < hi[i] {
				hi[i], changed = nh, true
			}
			if lo[i] > hi[i] {
				return false
			}
			if changed {
				for _, o := range p.occ[i] {
					if o != r {
						push(o)
					}
				}
			}
		}
	}
	return true
}

const defaultSearchBudget = 200_000

func (p *iprog) tick() bool {
	p.nodes++
	b := p.budget
	if b == 0 {
		b = defaultSearchBudget
	}
	if p.nodes > b {
		p.spent = true
		return false
	}
	return true
}

// solve searches exhaustively (bisection, smallest domain first) for a
// solution within lo..hi. With the budget spent it gives up (p.spent).
func (p *iprog) solve(lo, hi []int64, dirty []int) []int64 {
	if !p.tick() {
		return nil
	}
	lo, hi = slices.Clone(lo), slices.Clone(hi)
	if !p.propagate(lo, hi, dirty) {
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
	if s := p.solve(lo, h2, p.occ[best]); s != nil || p.spent {
		return s
	}
	l2 := slices.Clone(lo)
	l2[best] = mid + 1
	return p.solve(l2, hi, p.occ[best])
}

// dive tries to find a solution by fixing random variables to random
// values, propagating after each, without ever going back: cheap, and
// enough almost always (nil when it runs into a contradiction). It
// changes lo and hi.
func (p *iprog) dive(lo, hi []int64, rng *rand.Rand) []int64 {
	var dirty []int
	open := make([]int, 0, len(lo))
	for {
		if !p.propagate(lo, hi, dirty) {
			return nil
		}
		open = open[:0]
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
		lo[i], hi[i] = v, v
		dirty = p.occ[i]
	}
}

// sample finds a solution by a randomised search, so that successive calls
// give different ones. It may change lo and hi.
func (p *iprog) sample(lo, hi []int64, dirty []int, rng *rand.Rand) []int64 {
	if !p.tick() {
		return nil
	}
	if !p.propagate(lo, hi, dirty) {
		return nil
	}
	n := 0
	pick := -1
	for i := range lo {
		if lo[i] < hi[i] {
			n++
			if rng.IntN(n) == 0 {
				pick = i
			}
		}
	}
	if pick < 0 {
		return lo
	}
	v := lo[pick] + rng.Int64N(hi[pick]-lo[pick]+1)
	l1, h1 := slices.Clone(lo), slices.Clone(hi)
	l1[pick], h1[pick] = v, v
	if s := p.sample(l1, h1, p.occ[pick], rng); s != nil || p.spent {
		return s
	}
	if v < hi[pick] {
		l2, h2 := slices.Clone(lo), slices.Clone(hi)
		l2[pick] = v + 1
		if s := p.sample(l2, h2, p.occ[pick], rng); s != nil || p.spent {
			return s
		}
	}
	if v > lo[pick] {
		hi[pick] = v - 1
		return p.sample(lo, hi, p.occ[pick], rng)
	}
	return nil
}

// lin is a linear expression: variable -> coefficient.
type lin map[int]int64

// bounds is the range of e over the box lo..hi.
func (e lin) bounds(lo, hi []int64) (int64, int64) {
	var mn, mx int64
	for i, k := range e {
		a, b := k*lo[i], k*hi[i]
		mn += min(a, b)
		mx += max(a, b)
	}
	return mn, mx
}

func (e lin) eval(x []int64) int64 {
	var s int64
	for i, k := range e {
		s += k * x[i]
	}
	return s
}

// pinned decides whether the quantity that equals every one of forms has a
// single possible value: a solution gives a value v, and exhaustive
// searches for one below v and one above v fail. proved is false when the
// search budget ran out (the caller should then assume the worst).
func (p *iprog) pinned(forms []lin) (v int64, single, proved bool) {
	q := p.extend()
	q.budget = p.budget
	var span int64
	for _, e := range forms {
		var s int64
		for i, k := range e {
			s += abs64(k) * max(abs64(p.lo[i]), abs64(p.hi[i]))
		}
		span = max(span, s)
	}
	z := q.newVar(-span, span)
	for _, e := range forms {
		keys := make([]int, 0, len(e)+1)
		for i := range e {
			keys = append(keys, i)
		}
		sort.Ints(keys)
		idx, c := []int{z}, []int64{-1}
		for _, i := range keys {
			if e[i] != 0 {
				idx, c = append(idx, i), append(c, e[i])
			}
		}
		q.addRow(idx, c, 0, 0)
	}
	defer func() { p.nodes += q.nodes }()
	s := q.solve(q.lo, q.hi, nil)
	if s == nil {
		return 0, false, !q.spent
	}
	v = s[z]
	hi := slices.Clone(q.hi)
	hi[z] = v - 1
	if q.solve(q.lo, hi, q.occ[z]) != nil {
		return v, false, true
	}
	lo := slices.Clone(q.lo)
	lo[z] = v + 1
	other := q.solve(lo, q.hi, q.occ[z]) != nil
	return v, !other, !q.spent
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// ---- reading a release ----

// readVars are the variables of one release in a program.
type readVars struct {
	t      int64
	count  map[string]int      // canonical key -> variable
	rows   map[string][]string // table key -> listed cells ("table.value")
	tables []string
}

// read adds the variables of release f and everything its public content
// says about them. big bounds the counts from above (a number larger than
// any count can be).
func (p *iprog) read(f *Figures, big int64) (*readVars, error) {
	t, r := int64(f.Threshold), int64(f.Rounding)
	if t < DefaultThreshold || t > MaxThreshold || r < 1 || r > MaxRounding {
		return nil, fmt.Errorf("casestats: a release with threshold %d and rounding %d cannot be read", t, r)
	}
	rv := &readVars{t: t, count: map[string]int{}, rows: map[string][]string{}}
	withheld := map[string]bool{}
	for _, tab := range f.Tables {
		if tab.Withheld {
			for _, row := range tab.Rows {
				withheld[tab.Key+"."+row.Key] = true
			}
		}
	}
	get := func(k string) int {
		k = canonicalKey(k)
		if i, ok := rv.count[k]; ok {
			return i
		}
		i := p.newVar(0, big)
		rv.count[k] = i
		return i
	}
	small := fmt.Sprintf("fewer than %d", t)
	bound := func(key string, value *int, suppressed bool, display string) error {
		i := get(key)
		var lo, hi int64
		switch {
		case !suppressed && value != nil:
			in, ok := roundingPreimage(*value, int(t), int(r))
			if !ok {
				return fmt.Errorf("casestats: %s: %d is not a published count", key, *value)
			}
			lo, hi = int64(in.lo), int64(in.hi)
		case suppressed && display == small:
			lo, hi = 1, t-1
		case suppressed:
			lo, hi = t, big
			if withheld[canonicalKey(key)] {
				lo = 0
			}
		default:
			return fmt.Errorf("casestats: %s has neither a value nor a suppression", key)
		}
		p.lo[i], p.hi[i] = max(p.lo[i], lo), min(p.hi[i], hi)
		return nil
	}
	var cases *Figure
	for k := range f.Figures {
		x := &f.Figures[k]
		if x.Type == TypePercent {
			continue
		}
		if x.Key == "cases" {
			cases = x
		}
		if err := bound(x.Key, x.Value, x.Suppressed, x.Display); err != nil {
			return nil, err
		}
	}
	n := get("cases")
	for _, tab := range f.Tables {
		rv.tables = append(rv.tables, tab.Key)
		if tab.Total != nil {
			if err := bound("cases", tab.Total, false, ""); err != nil {
				return nil, err
			}
		} else if cases != nil {
			if err := bound("cases", nil, true, cases.Display); err != nil {
				return nil, err
			}
		}
		idx, c := []int{n}, []int64{-1}
		for _, row := range tab.Rows {
			k := tab.Key + "." + row.Key
			if err := bound(k, row.Value, row.Suppressed, row.Display); err != nil {
				return nil, err
			}
			rv.rows[tab.Key] = append(rv.rows[tab.Key], k)
			idx, c = append(idx, get(k)), append(c, 1)
		}
		p.addRow(idx, c, 0, 0) // cells not listed are 0
	}
	for _, np := range nestedPairs {
		p.addRow([]int{get(np[0]), get(np[1])}, []int64{1, -1}, 0, 2*big)
	}
	if f.PercentBasis == "" {
		// An older release: one decimal, half up, of the exact counts:
		// (2P-1)*den <= 2000*num <= (2P+1)*den - 1, with P = 10*percent.
		for _, x := range f.Figures {
			if x.Type != TypePercent || x.Percent == nil {
				continue
			}
			num, den := get(x.NumeratorKey), get(x.DenominatorKey)
			P := int64(math.Round(*x.Percent * 10))
			p.lo[den] = max(p.lo[den], 1)
			p.addRow([]int{num, den}, []int64{2000, -(2*P - 1)}, 0, 4000*big)
			p.addRow([]int{num, den}, []int64{2000, -(2*P + 1)}, -4000*big, -1)
		}
	}
	return rv, nil
}

// ---- the quantities a reader looks at ----

// quantity is the count of a group of people: a count (one key), the
// difference of two nested counts (minus), or a sum of cells of one table.
type quantity struct {
	keys  []string
	minus bool
	table string
}

func (q quantity) String() string {
	if q.minus {
		return q.keys[0] + " - " + q.keys[1]
	}
	return strings.Join(q.keys, " + ")
}

// quantities lists the groups a reader would check in a release: every
// count, every difference of nested counts, and sums of cells of a table
// (every sum in a table of at most six rows; in larger tables, of the cells
// that their labels leave open: every pair, all of them, all but one, and
// all but two).
func (rv *readVars) quantities(lo, hi []int64) []quantity {
	var qs []quantity
	keys := make([]string, 0, len(rv.count))
	for k := range rv.count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		qs = append(qs, quantity{keys: []string{k}})
	}
	for _, np := range nestedPairs {
		qs = append(qs, quantity{keys: []string{np[0], np[1]}, minus: true})
	}
	for _, tk := range rv.tables {
		rows := rv.rows[tk]
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
				qs = append(qs, quantity{keys: set, table: tk})
			}
			continue
		}
		var open []string
		for _, k := range rows {
			if i := rv.count[k]; lo[i] != hi[i] {
				open = append(open, k)
			}
		}
		for i := range open {
			for j := i + 1; j < len(open); j++ {
				qs = append(qs, quantity{keys: []string{open[i], open[j]}, table: tk})
				if len(open) > 4 { // and all the others
					rest := slices.Delete(slices.Delete(slices.Clone(open), j, j+1), i, i+1)
					qs = append(qs, quantity{keys: rest, table: tk})
				}
			}
			if rest := slices.Delete(slices.Clone(open), i, i+1); len(rest) > 1 {
				qs = append(qs, quantity{keys: rest, table: tk})
			}
		}
		if len(open) > 2 {
			qs = append(qs, quantity{keys: open, table: tk})
		}
	}
	return qs
}

// smallChange reports whether a change pinned at v reveals a small group.
func smallChange(v, t int64) bool { return v != 0 && abs64(v) < t }
