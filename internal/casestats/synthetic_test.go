package casestats

import (
	"slices"
	"testing"
)

func TestSynthetic(t *testing.T) {
	a := slices.Collect(Synthetic(20_000, 1))
	b := slices.Collect(Synthetic(20_000, 1))
	c := slices.Collect(Synthetic(20_000, 2))
	if !slices.Equal(a, b) || slices.Equal(a, c) || len(a) != 20_000 {
		t.Fatal("not deterministic per seed")
	}
	q, st := map[string]int{}, map[string]int{}
	handed, pre, eng := 0, 0, 0
	for i, r := range a {
		if errs := r.Validate(); len(errs) != 0 {
			t.Fatalf("record %d invalid: %v", i, errs)
		}
		q[r.Quarter]++
		st[r.State]++
		if r.FormPresented != "none" {
			handed++
			if r.FormPremarked == "yes" {
				pre++
			}
			if r.FormEnglishOnly == "yes" {
				eng++
			}
		}
	}
	peak := 0
	for _, k := range []string{"2018-Q1", "2018-Q2", "2018-Q3", "2018-Q4", "2019-Q1", "2019-Q2"} {
		peak += q[k]
	}
	if frac := float64(peak) / 20000; frac < 0.75 || frac > 0.95 {
		t.Errorf("2018-Q1..2019-Q2 share %.2f", frac)
	}
	border := st["TX"] + st["AZ"] + st["CA"] + st["NM"]
	if frac := float64(border) / 20000; frac < 0.8 || frac > 0.95 || st["TX"] < st["AZ"] || len(st) < 15 {
		t.Errorf("border share %.2f, states %d", frac, len(st))
	}
	if fp, fe := float64(pre)/float64(handed), float64(eng)/float64(handed); fp < 0.3 || fp > 0.5 || fe < 0.5 || fe > 0.65 {
		t.Errorf("premarked %.2f english-only %.2f", fp, fe)
	}
	// stopping early works
	n := 0
	for range Synthetic(100, 3) {
		n++
		if n == 10 {
			break
		}
	}
}
