package casestats

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// publishedCounts maps every published count key (canonical) to its value.
func publishedCounts(f *Figures) map[string]int { return publishedValues(f) }

// decoded returns f as a reader (and the store) would have it.
func decoded(t *testing.T, f *Figures) *Figures {
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var g Figures
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func tooClose(t *testing.T, err error) *TooCloseError {
	t.Helper()
	var tc *TooCloseError
	if !errors.As(err, &tc) || !errors.Is(err, ErrTooCloseToPrevious) {
		t.Fatalf("want a refusal against the earlier release, got %v", err)
	}
	return tc
}

func TestReleaseTooCloseUnrounded(t *testing.T) {
	rs := slices.Collect(Synthetic(2003, 5))
	p := Params{Rounding: 1}
	prev := decoded(t, compute(t, rs[:2000], p))
	_, err := Compute(slices.Values(rs), p, prev)
	if tc := tooClose(t, err); tc.Reason != "the number of documented cases changed by too few" || tc.Previous != 0 {
		t.Fatalf("%+v", tc)
	}
	if msg := err.Error(); !strings.Contains(msg, "too close to an earlier release") || !strings.Contains(msg, "larger rounding") {
		t.Fatal(msg)
	}
	tc := &TooCloseError{ReleaseID: 7, Reason: "x"}
	if !strings.Contains(tc.Error(), "release #7: x;") {
		t.Fatal(tc.Error())
	}
	// with the default rounding the same release is fine
	prev5 := decoded(t, compute(t, rs[:2000], Params{}))
	f := compute(t, rs, Params{}, prev5)
	assertNoSmallDifferences(t, prev5, f)
	// every earlier release counts, not only the latest
	_, err = Compute(slices.Values(rs), p, prev, prev5)
	if tc := tooClose(t, err); tc.Previous != 0 {
		t.Fatalf("%+v", tc)
	}
}

// TestReleaseOnlyEditsRefused: two records corrected at rounding 1 change a
// few cells by one or two; every one of them has to be held back, so the
// release would publish nothing new and is refused.
func TestReleaseOnlyEditsRefused(t *testing.T) {
	rs := slices.Collect(Synthetic(3000, 6))
	p := Params{Rounding: 1}
	prev := decoded(t, compute(t, rs, p))
	rs[0].State, rs[0].Outcome, rs[0].ChildAgeBracket = "AZ", "reunified", "14-17"
	rs[1].State = "NM"
	without := compute(t, rs, p)
	found := false // without the check, the edits show as changes of 1 or 2
	pc, wc := publishedCounts(prev), publishedCounts(without)
	for k, v := range wc {
		if pv, ok := pc[k]; ok && v != pv && abs(v-pv) < 11 {
			found = true
		}
	}
	if !found {
		t.Fatal("test data does not exercise the check")
	}
	_, err := Compute(slices.Values(rs), p, prev)
	if tc := tooClose(t, err); tc.Reason != "every count that changed would have to be held back" {
		t.Fatalf("%+v", tc)
	}
}

// TestReleaseChangedCellsHeldBack: at rounding 1, 40 new cases, 3 of them
// in Arizona: the Arizona count, published exactly in both, would show the
// 3; it is held back (with a complement) while the rest is published.
func TestReleaseChangedCellsHeldBack(t *testing.T) {
	rs := slices.Collect(Synthetic(3000, 8))
	p := Params{Rounding: 1}
	prev := decoded(t, compute(t, rs, p))
	if x := row(prev, "by_state", "AZ"); x.Suppressed || *x.Value < 11 {
		t.Fatalf("AZ in the first release: %+v", x)
	}
	next := slices.Clone(rs)
	for i := range 40 {
		r := rs[i]
		r.State = "TX"
		if i < 3 {
			r.State = "AZ"
		}
		next = append(next, r)
	}
	f := compute(t, next, p, prev)
	if x := row(f, "by_state", "AZ"); !x.Suppressed || x.Display != "not published" {
		t.Fatalf("AZ: %+v", x)
	}
	if !slices.Contains(f.HeldBack(), "by_state.AZ") {
		t.Fatalf("held back: %v", f.HeldBack())
	}
	if x := row(f, "by_state", "TX"); x.Suppressed && !slices.Contains(f.HeldBack(), "by_state.TX") {
		t.Fatalf("TX: %+v", x)
	}
	assertNoSmallDifferences(t, prev, f)
	if len(decoded(t, f).HeldBack()) != 0 {
		t.Error("the held-back list is serialised")
	}
}

func assertNoSmallDifferences(t *testing.T, prev, cur *Figures) {
	t.Helper()
	if cur.Rounding == 1 && prev.Rounding == 1 {
		pc, cc := publishedCounts(prev), publishedCounts(cur)
		for k, v := range cc {
			if pv, ok := pc[k]; ok && v != pv && abs(v-pv) < max(prev.Threshold, cur.Threshold) {
				t.Errorf("%s: %d -> %d", k, pv, v)
			}
		}
	}
	rs, err := differencingRisks([]*Figures{prev}, decoded(t, cur), 1<<30)
	if err != nil || len(rs) > 0 {
		t.Errorf("risks remain: %v %v", rs, err)
	}
}

// TestPercentFromPublishedCounts: a percentage is a whole percent of the
// published counts, so two data sets that publish the same counts publish
// the same percentages, byte for byte; and none is shown over a
// denominator that could stand for fewer than MinDenominator cases.
func TestPercentFromPublishedCounts(t *testing.T) {
	mk := func(n, cf, wd int) []Record {
		rs := recs(n, func(r *Record) { r.CredibleFear = "negative"; r.AsylumClaim = "denied" })
		for i := range cf {
			rs[i].CredibleFear, rs[i].AsylumClaim = "positive", "pending"
		}
		for i := range wd {
			rs[i].AsylumClaim = "withdrawn"
		}
		return rs
	}
	// 31 of 600 passed credible fear, 13 of them withdrew: before, 41.9%
	// pinned both counts despite rounding (published 30 and 15).
	a := compute(t, mk(600, 36, 13), Params{})
	x := fig(a, "pct_credible_fear_positive_withdrawn")
	if x.Percent == nil || *x.Percent != 43 || x.Display != "43%" { // 15 of 35
		t.Fatalf("%+v", x)
	}
	if a.PercentBasis != PercentOfPublished || !strings.Contains(string(publicJSON(t, a)), `"percent_basis":"published_counts"`) {
		t.Fatal("percent basis not published")
	}
	// other exact counts, the same published ones: the same JSON
	for _, c := range [][3]int{{600, 34, 14}, {601, 37, 12}, {599, 35, 17}} {
		b := compute(t, mk(c[0], c[1], c[2]), Params{})
		if !bytes.Equal(publicJSON(t, a), publicJSON(t, b)) {
			t.Errorf("%v: the JSON differs although the published counts are the same", c)
		}
	}
	// 30 published stands for 28..32: no percentage over it
	c := compute(t, mk(600, 31, 13), Params{})
	if x := fig(c, "pct_credible_fear_positive_withdrawn"); x.Percent != nil || x.Display != "not published" {
		t.Fatalf("percentage over a group that may be smaller than 30: %+v", x)
	}
	if v := fig(c, "credible_fear_positive"); v.Value == nil || *v.Value != 30 {
		t.Fatalf("%+v", v)
	}
	// with rounding 1 the denominator is exact: 30 is enough
	d := compute(t, mk(600, 30, 13), Params{Rounding: 1})
	if x := fig(d, "pct_credible_fear_positive_withdrawn"); x.Percent == nil || *x.Percent != 43 {
		t.Fatalf("%+v", x)
	}
}

// TestOlderReleasePercentagesRead: an earlier release made when
// percentages came from exact counts (no percent_basis) pins the
// language-barrier count at 12 through its percentage; a new unrounded
// release showing 14 would reveal a change of 2, so it is held back. The
// same earlier release read as if its percentages came from published
// counts would not pin it (the check really reads the old percentages).
func TestOlderReleasePercentagesRead(t *testing.T) {
	first, _ := issueRecords()
	var old map[string]any
	if err := json.Unmarshal(publicJSON(t, compute(t, first, Params{})), &old); err != nil {
		t.Fatal(err)
	}
	delete(old, "percent_basis")
	for _, x := range old["figures"].([]any) {
		if f := x.(map[string]any); f["key"] == "pct_language_barrier" {
			f["percent"], f["suppressed"], f["display"] = 5.1, false, "5.1%" // 12 of 236
		}
	}
	js, _ := json.Marshal(old)
	var prev Figures
	if err := json.Unmarshal(js, &prev); err != nil {
		t.Fatal(err)
	}
	next := slices.Clone(first)
	for i := range 40 {
		r := first[200]
		if i < 2 {
			r.LanguageBarrier = "yes"
		}
		next = append(next, r)
	}
	f := compute(t, next, Params{Rounding: 1}, &prev)
	if x := fig(f, "language_barrier"); !x.Suppressed {
		t.Fatalf("a change of 2 published: %+v", x)
	}
	prev.PercentBasis = PercentOfPublished // pretend: now nothing pins 12
	prev.Figures[len(countSpecs)+3].Percent = nil
	g := compute(t, next, Params{Rounding: 1}, &prev)
	if x := fig(g, "language_barrier"); x.Suppressed {
		t.Fatalf("held back without a reason: %+v", x)
	}
}

func TestPropertyReleaseSequences(t *testing.T) {
	tooCloseN, ok := 0, 0
	for seed := range propertySeeds(60) {
		rng := rand.New(rand.NewPCG(seed, 7))
		rs := randomCaseSet(rng)
		if len(rs) < 20 {
			continue
		}
		p := randomParams(rng)
		cut := len(rs) - rng.IntN(min(len(rs), 15))
		prev := decoded(t, compute(t, rs[:cut], p))
		// the next release: a few more cases and a couple of edits
		next := slices.Clone(rs)
		for range rng.IntN(3) {
			i := rng.IntN(len(next))
			next[i].State = stateValues[rng.IntN(numStates)]
		}
		f, err := Compute(slices.Values(next), p, prev)
		if errors.Is(err, ErrTooCloseToPrevious) {
			tooCloseN++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ok++
		if !checkRelease(t, f) {
			t.Fatalf("seed %d", seed)
		}
		assertNoSmallDifferences(t, prev, f)
	}
	t.Logf("release pairs: %d published, %d refused as too close", ok, tooCloseN)
	if ok == 0 {
		t.Error("nothing published")
	}
}

// TestGrowthReading: four states at 17 (published 15) each get one more
// case; the total stays at 235 (233, then 237). Read as two snapshots,
// nothing is pinned; read as "cases were only added", each of the four
// went up by at least one and the total by at most four, so each got
// exactly one new case. The release is checked under that reading too:
// holding the four back leaves nothing new, so it is refused.
func TestGrowthReading(t *testing.T) {
	mk := func(extra int) []Record {
		var rs []Record
		add := func(n int, state, outcome string) {
			rs = append(rs, recs(n, func(r *Record) { r.State, r.Outcome = state, outcome })...)
		}
		add(165, "TX", "reunified")
		add(17+extra, "AZ", "separated")
		add(17+extra, "NM", "separated")
		add(17+extra, "CA", "reunified")
		add(17+extra, "FL", "reunified")
		return rs
	}
	first := compute(t, mk(0), Params{})
	unprotected := compute(t, mk(1), Params{}) // no earlier release given
	if v := fig(first, "cases"); *v.Value != 235 || *fig(unprotected, "cases").Value != 235 {
		t.Fatalf("cases %v", v)
	}
	if r := row(unprotected, "by_state", "AZ"); *r.Value != 20 || *row(first, "by_state", "AZ").Value != 15 {
		t.Fatalf("AZ %+v", r)
	}
	leaks := attackPair(t, publicJSON(t, first), publicJSON(t, unprotected))
	if !hasLeak(leaks, "change of by_state.AZ (cases only added) = 1") || hasLeak(leaks, "change of by_state.AZ (any change)") {
		t.Fatalf("the example does not need the growth reading: %v", leaks)
	}
	_, err := Compute(slices.Values(mk(1)), Params{}, decoded(t, first))
	if tc := tooClose(t, err); tc.Reason != "every count that changed would have to be held back" {
		t.Fatalf("%+v", tc)
	}
}
