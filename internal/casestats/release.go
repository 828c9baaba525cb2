package casestats

import (
	"errors"
	"sort"
)

// ErrTooCloseToPrevious: the new release's total differs from an earlier
// release's by a small amount that both releases pin down exactly (only
// possible with Rounding 1), so publishing it would reveal the added or
// removed cases. Wait for more data or publish with a larger Rounding.
var ErrTooCloseToPrevious = errors.New("casestats: the release is too close to an earlier one: its total would reveal the few cases that changed (wait for more data or use a larger rounding)")

// interval is what a reader can infer about one exact count.
type interval struct{ lo, hi int }

func (i interval) single() bool { return i.lo == i.hi }

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

// publicIntervals derives, from the public content of a release only, an
// interval for the exact value of every published count (keyed by canonical
// key): the rounding preimage, narrowed by every published percentage
// (which is computed from exact counts, so it can undo the rounding of its
// numerator and denominator when they are small).
func publicIntervals(f *Figures, usePercents bool) map[string]interval {
	t, r := f.Threshold, f.Rounding
	if t < DefaultThreshold {
		t = DefaultThreshold
	}
	if r < 1 {
		r = 1
	}
	m := map[string]interval{}
	if r > MaxRounding || t > MaxThreshold {
		return m // not one of ours: nothing to compare
	}
	put := func(key string, v *int) {
		if v == nil {
			return
		}
		if in, ok := roundingPreimage(*v, t, r); ok {
			m[canonicalKey(key)] = in
		}
	}
	for _, fig := range f.Figures {
		if fig.Type != TypePercent {
			put(fig.Key, fig.Value)
		}
	}
	for _, tab := range f.Tables {
		put("cases", tab.Total)
		for _, row := range tab.Rows {
			put(tab.Key+"."+row.Key, row.Value)
		}
	}
	if !usePercents {
		return m
	}
	for range 8 {
		changed := false
		for _, fig := range f.Figures {
			if fig.Type != TypePercent || fig.Percent == nil {
				continue
			}
			nk, dk := canonicalKey(fig.NumeratorKey), canonicalKey(fig.DenominatorKey)
			in, ok1 := m[nk]
			id, ok2 := m[dk]
			if !ok1 || !ok2 || (in.hi-in.lo+1)*(id.hi-id.lo+1) > 1<<20 {
				continue
			}
			nn, nd := interval{-1, -1}, interval{-1, -1}
			for x := in.lo; x <= in.hi; x++ {
				for y := max(id.lo, 1); y <= id.hi; y++ {
					if percentOf(x, y) != *fig.Percent {
						continue
					}
					if nn.lo < 0 || x < nn.lo {
						nn.lo = x
					}
					nn.hi = max(nn.hi, x)
					if nd.lo < 0 || y < nd.lo {
						nd.lo = y
					}
					nd.hi = max(nd.hi, y)
				}
			}
			if nn.lo < 0 {
				continue // inconsistent: ignore
			}
			if nn != in || nd != id {
				m[nk], m[dk] = nn, nd
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	return m
}

// differencingRisks compares a candidate release with earlier ones: a
// count published in both whose exact value a reader can pin down in both
// (through rounding 1, or through percentages) and whose change is between
// 1 and Threshold-1 would reveal those few cases (privacy.md: "a one-case
// change between two views reveals that case"). Keys are returned by how
// the candidate pins them: viaPct when dropping percentages is enough,
// viaRounding when the count itself must be held back.
func differencingRisks(previous []*Figures, cur *Figures) (viaPct, viaRounding []string) {
	plain := publicIntervals(cur, false)
	refined := publicIntervals(cur, true)
	seen := map[string]bool{}
	for _, prev := range previous {
		if prev == nil {
			continue
		}
		t := max(cur.Threshold, prev.Threshold)
		pv := publicIntervals(prev, true)
		for key, ci := range refined {
			pi, ok := pv[key]
			if !ok || !ci.single() || !pi.single() || seen[key] {
				continue
			}
			d := ci.lo - pi.lo
			if d < 0 {
				d = -d
			}
			if d >= 1 && d < t {
				seen[key] = true
				if plain[key].single() {
					viaRounding = append(viaRounding, key)
				} else {
					viaPct = append(viaPct, key)
				}
			}
		}
	}
	sort.Strings(viaPct)
	sort.Strings(viaRounding)
	return viaPct, viaRounding
}
