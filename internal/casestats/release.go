package casestats

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// ErrTooCloseToPrevious: the new release differs from an earlier one by
// so little that it cannot be published without revealing the few cases
// that changed (every error of this kind is a *TooCloseError with the
// reason). Wait for more data, or publish with a larger Rounding.
var ErrTooCloseToPrevious = errors.New("casestats: the release is too close to an earlier one")

// TooCloseError says why a release was refused against an earlier one.
type TooCloseError struct {
	// Previous is the position of the earlier release in the list given
	// to Figures; ReleaseID its id, when the caller knows it (the store
	// sets it).
	Previous  int
	ReleaseID int64
	// Reason says, in words and without any count, what would have been
	// revealed.
	Reason string
}

func (e *TooCloseError) Error() string {
	which := "an earlier release"
	if e.ReleaseID > 0 {
		which = fmt.Sprintf("release #%d", e.ReleaseID)
	}
	return fmt.Sprintf("casestats: the release is too close to %s: %s; wait for more case records, or publish with a larger rounding", which, e.Reason)
}

// Is makes errors.Is(err, ErrTooCloseToPrevious) true.
func (e *TooCloseError) Is(target error) bool { return target == ErrTooCloseToPrevious }

// interval is what a reader can infer about one exact count.
type interval struct{ lo, hi int }

// roundingPreimage is the set of exact counts that publish as v under
// threshold t and rounding r (contiguous because rounding is monotone).
func roundingPreimage(v, t, r int) (interval, bool) {
	if v == 0 {
		return interval{0, 0}, true
	}
	in := interval{-1, -1}
	for x := max(t, v-r-1); x <= v+r+1; x++ {
		if roundCount(x, t, r) == v {
			if in.lo < 0 {
				in.lo = x
			}
			in.hi = x
		}
	}
	return in, in.lo >= 0
}

// risk is a change between an earlier release and the candidate that a
// reader can pin down to a small number.
type risk struct {
	prev   int      // index of the earlier release
	q      quantity // the group whose change is pinned
	growth bool     // under the reading "cases were only added"
}

// readingSamples is how many random solutions are drawn per reading: a
// quantity that differs between two of them is certainly not pinned,
// which settles most quantities without an exhaustive search.
const readingSamples = 12

// differencingRisks compares a candidate release with each earlier one,
// from their public content only, the way a reader would: for every
// quantity (every count, difference of nested counts and the sums of
// cells listed by quantities) in either release, it decides whether its
// change between the two releases has a single possible value from 1 to
// Threshold-1 (or down by as much), under two readings: two unrelated
// snapshots (records may have been corrected or removed), and "cases were
// only added" (no count of any group went down), when that reading is
// possible at all. big is larger than any count can be.
func differencingRisks(previous []*Figures, cur *Figures, big int64) ([]risk, error) {
	var out []risk
	for pi, prev := range previous {
		if prev == nil {
			continue
		}
		for _, growth := range []bool{false, true} {
			rs, err := pairRisks(prev, cur, growth, big)
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				r.prev = pi
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// pairProgram is the reader's program for two releases: the variables of
// each and, for every count, a variable for its change, tied to the two
// (with the redundant rows that the changes of a table's cells add up to
// the change of the total, and of nested counts, which lets bounds
// propagation see what a sum of rows implies). growth adds the reading
// "cases were only added": no change is negative.
type pairProgram struct {
	*iprog
	a, b  *readVars
	delta map[string]int // canonical key -> variable of its change
}

func newPairProgram(prev, cur *Figures, growth bool, big int64) (*pairProgram, error) {
	p := &pairProgram{iprog: &iprog{}, delta: map[string]int{}}
	var err error
	if p.a, err = p.read(prev, big); err != nil {
		return nil, err
	}
	if p.b, err = p.read(cur, big); err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range p.a.count {
		keys[k] = true
	}
	for k := range p.b.count {
		keys[k] = true
	}
	for k := range keys {
		d := p.newVar(-big, big)
		if growth {
			p.lo[d] = 0
		}
		p.delta[k] = d
		idx, c := []int{d}, []int64{-1}
		if i, ok := p.b.count[k]; ok {
			idx, c = append(idx, i), append(c, 1)
		}
		if i, ok := p.a.count[k]; ok {
			idx, c = append(idx, i), append(c, -1)
		}
		p.addRow(idx, c, 0, 0) // not listed in a release: 0 there
	}
	for _, tk := range p.b.tables {
		idx, c := []int{p.delta["cases"]}, []int64{-1}
		for k := range keys {
			if strings.HasPrefix(k, tk+".") {
				idx, c = append(idx, p.delta[k]), append(c, 1)
			}
		}
		p.addRow(idx, c, 0, 0)
	}
	if growth {
		for _, np := range nestedPairs {
			p.addRow([]int{p.delta[np[0]], p.delta[np[1]]}, []int64{1, -1}, 0, 2*big)
		}
	}
	return p, nil
}

// direct is the change of q as the sum (or difference) of the changes of
// its counts.
func (p *pairProgram) direct(q quantity) lin {
	if q.minus {
		return lin{p.delta[q.keys[0]]: 1, p.delta[q.keys[1]]: -1}
	}
	e := lin{}
	for _, k := range q.keys {
		e[p.delta[k]]++
	}
	return e
}

// forms returns expressions that all equal the change of q: the direct
// one and, for cells, the change of the total minus the changes of the
// table's other cells (giving both lets bounds propagation see what each
// implies).
func (p *pairProgram) forms(q quantity) []lin {
	out := []lin{p.direct(q)}
	if q.minus {
		return out
	}
	tk := q.table
	if tk == "" {
		tk, _, _ = strings.Cut(q.keys[0], ".")
	}
	if len(p.a.rows[tk])+len(p.b.rows[tk]) > 0 {
		comp := lin{p.delta["cases"]: 1}
		for k, d := range p.delta {
			if strings.HasPrefix(k, tk+".") && !slices.Contains(q.keys, k) {
				comp[d]--
			}
		}
		out = append(out, comp)
	}
	return out
}

func pairRisks(prev, cur *Figures, growth bool, big int64) ([]risk, error) {
	p, err := newPairProgram(prev, cur, growth, big)
	if err != nil {
		return nil, err
	}
	lo, hi := slices.Clone(p.lo), slices.Clone(p.hi)
	rng := rand.New(rand.NewPCG(0x0dd5, 0xd1ff))
	var samples [][]int64
	if p.propagate(lo, hi, nil) {
		for range readingSamples {
			s := p.dive(slices.Clone(lo), slices.Clone(hi), rng)
			if s == nil { // a dead end: search properly
				s = p.sample(slices.Clone(lo), slices.Clone(hi), nil, rng)
			}
			if s != nil {
				samples = append(samples, s)
			}
		}
	}
	if len(samples) == 0 {
		if growth {
			return nil, nil // cases were corrected or removed: not a possible reading
		}
		// Two snapshots of real data are always consistent; if the reader's
		// program has no solution, assume the worst.
		return []risk{{q: quantity{keys: []string{"cases"}}}}, nil
	}
	p.lo, p.hi = lo, hi
	t := max(p.a.t, p.b.t)
	var out []risk
	seen := map[string]bool{}
	for _, rv := range []*readVars{p.a, p.b} {
		for _, q := range rv.quantities(lo, hi) {
			name := q.String()
			if seen[name] {
				continue
			}
			seen[name] = true
			// A quantity that takes two values among the samples is not
			// pinned; one that takes a value that is not a small change
			// is not pinned to a small one either.
			if e := p.direct(q); varies(samples, e) || !smallChange(e.eval(samples[0]), t) {
				continue
			}
			forms := p.forms(q)
			// Every sample shows the same small change: if the bounds
			// alone allow nothing else it is pinned; otherwise prove or
			// refute that nothing else is possible (a search that runs out
			// of budget counts as pinned).
			rlo, rhi := int64(math.MinInt64), int64(math.MaxInt64)
			for _, e := range forms {
				l, h := e.bounds(lo, hi)
				rlo, rhi = max(rlo, l), min(rhi, h)
			}
			if rlo == rhi {
				out = append(out, risk{q: q, growth: growth})
				continue
			}
			v, single, proved := p.pinned(forms)
			if !proved || (single && smallChange(v, t)) {
				out = append(out, risk{q: q, growth: growth})
			}
		}
	}
	return out, nil
}

// varies reports whether e takes two values among the solutions.
func varies(sols [][]int64, e lin) bool {
	for _, s := range sols[1:] {
		if e.eval(s) != e.eval(sols[0]) {
			return true
		}
	}
	return false
}

// fix holds back, in the candidate, what the risks need held back, in
// rounds (the caller checks again after each): first every published
// count whose own change is pinned; failing that, the published counts of
// pinned groups; failing that, for each risk the smallest published cell
// of its table, or the published count a headline count is nested in.
// Never the total, nor a cell that holds every case of its table (hiding
// it hides nothing). When nothing is left to hold back, the release is
// refused: the total itself, or a whole table, would have to go.
func (m *model) fix(risks []risk) error {
	t := m.p.Threshold
	cases := m.vars["cases"]
	eligible := func(v *cvar) bool {
		if v == nil || v.kind != kPublished || v.exact < t || v == cases || v.exact == cases.exact {
			return false
		}
		return true
	}
	force := func(vs ...*cvar) bool {
		done := false
		for _, v := range vs {
			if eligible(v) {
				v.forced, done = true, true
			}
		}
		return done
	}
	// Round 1: counts whose own change is pinned.
	done := false
	for _, r := range risks {
		if len(r.q.keys) == 1 {
			done = force(m.vars[r.q.keys[0]]) || done
		}
	}
	if done {
		return nil
	}
	// Round 2: the published counts of pinned groups.
	for _, r := range risks {
		for _, k := range r.q.keys {
			done = force(m.vars[k]) || done
		}
	}
	if done {
		return nil
	}
	// Round 3: what the pinned group is worked out from.
	var refusal error
	for _, r := range risks {
		if len(r.q.keys) == 1 && r.q.keys[0] == "cases" {
			refusal = &TooCloseError{Previous: r.prev, Reason: "the number of documented cases changed by too few"}
			continue
		}
		tk := r.q.table
		if tk == "" && !r.q.minus {
			tk, _, _ = strings.Cut(r.q.keys[0], ".")
		}
		found := false
		for _, tm := range m.tables {
			if tm.spec.key != tk {
				continue
			}
			found = true
			var best *cvar
			for _, v := range tm.cells {
				if eligible(v) && (best == nil || v.exact < best.exact) {
					best = v
				}
			}
			if force(best) {
				done = true
			} else if refusal == nil {
				refusal = &TooCloseError{Previous: r.prev, Reason: fmt.Sprintf("the whole table \u201c%s\u201d would have to be held back", tm.spec.label)}
			}
		}
		if found {
			continue
		}
		parent := false
		for _, np := range nestedPairs {
			if slices.Contains(r.q.keys, np[1]) && force(m.vars[np[0]]) {
				parent, done = true, true
			}
		}
		if !parent && refusal == nil {
			refusal = &TooCloseError{Previous: r.prev, Reason: fmt.Sprintf("the change in \u201c%s\u201d would reveal a few cases", KeyLabel(r.q.keys[len(r.q.keys)-1]))}
		}
	}
	if done {
		return nil
	}
	if refusal == nil {
		refusal = &TooCloseError{Previous: risks[0].prev, Reason: "the changes since then would reveal a few cases"}
	}
	return refusal
}

// KeyLabel is the English label of a count key ("Documented cases",
// "Cases by state or territory: AZ"), or the key itself if unknown.
func KeyLabel(k string) string {
	for _, cs := range countSpecs {
		if cs.key == k {
			return cs.label
		}
	}
	tk, v, _ := strings.Cut(k, ".")
	for _, ts := range tableSpecs {
		if ts.key == tk {
			return ts.label + ": " + ValueLabel(fieldNames[ts.field], v, "en")
		}
	}
	return k
}

// heldBackKeys lists the count keys held back because of an earlier
// release.
func (m *model) heldBackKeys() []string {
	var out []string
	for _, v := range m.allVars() {
		if v.forced && v.kind == kProtect {
			out = append(out, v.key)
		}
	}
	slices.Sort(out)
	return out
}

// checkChanged refuses a release that had to hold back, because of an
// earlier release, every count whose published value changed since the
// latest one: such a release would publish nothing new.
func (m *model) checkChanged(previous []*Figures, f *Figures) error {
	if len(m.heldBackKeys()) == 0 {
		return nil
	}
	last := len(previous) - 1
	old := publishedValues(previous[last])
	for k, v := range publishedValues(f) {
		if w, ok := old[k]; ok && w != v {
			return nil
		}
	}
	return &TooCloseError{Previous: last, Reason: "every count that changed would have to be held back"}
}

// publishedValues maps the canonical key of every published count to its
// value.
func publishedValues(f *Figures) map[string]int {
	out := map[string]int{}
	for _, x := range f.Figures {
		if x.Type != TypePercent && x.Value != nil {
			out[canonicalKey(x.Key)] = *x.Value
		}
	}
	for _, tab := range f.Tables {
		for _, r := range tab.Rows {
			if r.Value != nil {
				out[tab.Key+"."+r.Key] = *r.Value
			}
		}
	}
	return out
}

// HeldBack lists the keys of the counts of this release that were held
// back because of an earlier release (for the staff preview; a release
// decoded from JSON has none).
func (f *Figures) HeldBack() []string { return slices.Clone(f.heldBack) }
