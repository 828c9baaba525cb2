package casestats

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

func newTestRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func publicJSON(t *testing.T, f *Figures) []byte {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// issueRecords builds the data set of the report in issue #13: 236 cases
// (published as 235), 12 of them with a language barrier (published as
// 15), 232 reunified, 1 still separated and 3 parents deported without
// their child (both "fewer than 11"); then 20 more cases, 2 of which ended
// in separation.
func issueRecords() (first, second []Record) {
	base := Record{
		Quarter: "2018-Q2", State: "TX", ChildAgeBracket: "5-9", FacilityType: "cbp",
		FormPresented: "none", FormPremarked: "no", FormEnglishOnly: "no",
		LanguageBarrier: "no", ToldNoRights: "no", ThreatenedPermanentSeparation: "no",
		CredibleFear: "negative", AsylumClaim: "denied", Outcome: "reunified",
	}
	for i := range 236 {
		r := base
		if i < 12 {
			r.LanguageBarrier = "yes"
		}
		switch {
		case i == 100:
			r.Outcome = "separated"
		case i >= 101 && i < 104:
			r.Outcome = "deported_without_child"
		}
		first = append(first, r)
	}
	second = slices.Clone(first)
	for i := range 20 {
		r := base
		if i < 2 {
			r.Outcome = "separated"
		}
		second = append(second, r)
	}
	return first, second
}

func hasLeak(leaks []atkLeak, what string) bool {
	for _, l := range leaks {
		if strings.HasPrefix(l.String(), what) {
			return true
		}
	}
	return false
}

// TestAttackIssueScenario reproduces the report: from the public JSON
// alone, the reader must not recover the language-barrier count behind
// "15", nor the sum of the two "fewer than 11" outcome cells, nor how many
// of the 20 new cases ended in separation or deportation.
func TestAttackIssueScenario(t *testing.T) {
	first, second := issueRecords()
	f1 := compute(t, first, Params{})
	js1 := publicJSON(t, f1)
	leaks, undone := attackOne(t, js1)
	t.Logf("release 1: leaks %v; rounding undone %v", leaks, undone)
	if len(leaks) > 0 {
		t.Errorf("release 1 leaks small counts: %v", leaks)
	}
	if hasLeak(undone, "language_barrier") {
		t.Errorf("the percentage undoes the rounding of language_barrier: %v", undone)
	}
	prev := decoded(t, f1)
	f2, err := Compute(slices.Values(second), Params{}, prev)
	if errors.Is(err, ErrTooCloseToPrevious) {
		t.Logf("release 2 refused: %v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	checkRelease(t, f2)
	t.Logf("release 2 published; held back because of release 1: %v", f2.HeldBack())
	js2 := publicJSON(t, f2)
	if leaks, _ := attackOne(t, js2); len(leaks) > 0 {
		t.Errorf("release 2 leaks small counts: %v", leaks)
	}
	if leaks := attackPair(t, js1, js2); len(leaks) > 0 {
		t.Errorf("the two releases, differenced, leak: %v", leaks)
	}
}

// TestAttackFindsIssueLeakBeforeFix runs the attacker on the JSON that the
// code published for the data of the report before the fix
// (testdata/issue13-before-*.json, produced by commit 6870d96 from
// issueRecords): it must find the leaks of the report there, so the
// attacker is strong enough to be trusted when it finds nothing.
func TestAttackFindsIssueLeakBeforeFix(t *testing.T) {
	js1, err := os.ReadFile("testdata/issue13-before-release1.json")
	if err != nil {
		t.Fatal(err)
	}
	js2, err := os.ReadFile("testdata/issue13-before-release2.json")
	if err != nil {
		t.Fatal(err)
	}
	leaks, undone := attackOne(t, js1)
	t.Logf("release 1: leaks %v; rounding undone %v", leaks, undone)
	if !hasLeak(leaks, "by_outcome.separated + by_outcome.deported_without_child = 4") || !hasLeak(undone, "language_barrier = 12") {
		t.Errorf("the attacker misses the leaks of the report: %v %v", leaks, undone)
	}
	pair := attackPair(t, js1, js2)
	t.Logf("pair: %v", pair)
	if !hasLeak(pair, "change of by_outcome.separated + by_outcome.deported_without_child (cases only added) = 2") ||
		!hasLeak(pair, "change of by_outcome.separated + by_outcome.deported_without_child (any change) = 2") {
		t.Errorf("the attacker misses the change of 2: %v", pair)
	}
}

// attackSeeds is how many random data sets the attack tests try.
func attackSeeds(def uint64) uint64 { return propertySeeds(def) }

// smallCaseSet: up to a few hundred records over the real domains of the
// thirteen fields, skewed so that small cells are common.
func smallCaseSet(rng *rand.Rand) []Record {
	for {
		rs := randomCaseSet(rng)
		if len(rs) <= 400 {
			return rs
		}
	}
}

// TestAttackRandomReleases: the attacker finds nothing in random releases
// of up to a few hundred records.
func TestAttackRandomReleases(t *testing.T) {
	for seed := range attackSeeds(40) {
		rng := newTestRand(seed)
		rs := smallCaseSet(rng)
		p := randomParams(rng)
		f := compute(t, rs, p)
		if leaks, _ := attackOne(t, publicJSON(t, f)); len(leaks) > 0 {
			t.Fatalf("seed %d (n=%d, %+v): %v", seed, len(rs), p, leaks)
		}
	}
}

// TestAttackRandomReleasePairs: two consecutive releases (a few cases
// added, sometimes a few edited or removed) differenced by the attacker
// under both readings.
func TestAttackRandomReleasePairs(t *testing.T) {
	refused, published := 0, 0
	for seed := range attackSeeds(40) {
		rng := newTestRand(1000 + seed)
		rs := smallCaseSet(rng)
		if len(rs) < 20 {
			continue
		}
		p := randomParams(rng)
		cut := len(rs) - 1 - rng.IntN(min(len(rs)-1, 30))
		prevF := compute(t, rs[:cut], p)
		next := slices.Clone(rs)
		if rng.IntN(3) == 0 { // a few corrections
			for range 1 + rng.IntN(3) {
				i := rng.IntN(len(next))
				next[i].State = stateValues[rng.IntN(numStates)]
				next[i].Outcome = outcomeValues[rng.IntN(len(outcomeValues))]
			}
		}
		f, err := Compute(slices.Values(next), p, decoded(t, prevF))
		if errors.Is(err, ErrTooCloseToPrevious) {
			refused++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		published++
		checkRelease(t, f)
		js1, js2 := publicJSON(t, prevF), publicJSON(t, f)
		if leaks, _ := attackOne(t, js2); len(leaks) > 0 {
			t.Fatalf("seed %d: second release: %v", seed, leaks)
		}
		if leaks := attackPair(t, js1, js2); len(leaks) > 0 {
			t.Fatalf("seed %d (n=%d→%d, %+v): %v", seed, cut, len(next), p, leaks)
		}
	}
	t.Logf("release pairs: %d published, %d refused", published, refused)
	if published == 0 {
		t.Error("no pair was published: the test exercises nothing")
	}
}

// TestAttackReleaseChains: three releases in a row (records added, and
// sometimes one to three removed), each compared with all earlier ones;
// the attacker differences every pair.
func TestAttackReleaseChains(t *testing.T) {
	published, refused := 0, 0
	for seed := range attackSeeds(20) {
		rng := newTestRand(9000 + seed)
		rs := smallCaseSet(rng)
		if len(rs) < 30 {
			continue
		}
		p := randomParams(rng)
		c1 := len(rs) * (50 + rng.IntN(30)) / 100
		c2 := c1 + rng.IntN(len(rs)-c1)
		var prev []*Figures
		var jss [][]byte
		for _, cut := range []int{c1, c2, len(rs)} {
			cur := slices.Clone(rs[:cut])
			if rng.IntN(4) == 0 && len(cur) > 5 {
				cur = slices.Delete(cur, 0, 1+rng.IntN(3))
			}
			f, err := Compute(slices.Values(cur), p, prev...)
			if errors.Is(err, ErrTooCloseToPrevious) {
				refused++
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			published++
			js := publicJSON(t, f)
			for i, old := range jss {
				if leaks := attackPair(t, old, js); len(leaks) > 0 {
					t.Fatalf("seed %d (%+v): release %d against %d: %v", seed, p, len(jss), i, leaks)
				}
			}
			jss = append(jss, js)
			prev = append(prev, decoded(t, f))
		}
	}
	t.Logf("%d releases published, %d refused", published, refused)
}
