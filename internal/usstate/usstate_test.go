package usstate

import (
	"slices"
	"testing"
)

func TestTableIsConsistent(t *testing.T) {
	codes, fips := map[string]bool{}, map[string]bool{}
	for _, p := range places {
		if len(p.Code) != 2 || len(p.FIPS) != 2 || p.Name == "" || p.Kind == 0 {
			t.Errorf("malformed row %+v", p)
		}
		if codes[p.Code] || fips[p.FIPS] {
			t.Errorf("duplicate code or FIPS in %+v", p)
		}
		codes[p.Code], fips[p.FIPS] = true, true
	}
	// 50 states, DC and the five territories with a delegate.
	if got := len(Codes()); got != 56 {
		t.Fatalf("Codes() has %d places, want 56", got)
	}
	n := 0
	for _, p := range places {
		if p.Kind == State {
			n++
		}
	}
	if n != 50 {
		t.Fatalf("%d states, want 50", n)
	}
}

func TestLookups(t *testing.T) {
	if p, ok := ByFIPS("06"); !ok || p.Code != "CA" {
		t.Fatalf("ByFIPS(06) = %+v %v", p, ok)
	}
	if p, ok := Lookup("PR"); !ok || p.FIPS != "72" || p.Kind != Territory {
		t.Fatalf("Lookup(PR) = %+v %v", p, ok)
	}
	if Name("GU") != "Guam" || Name("ZZ") != "ZZ" {
		t.Fatalf("Name: %q %q", Name("GU"), Name("ZZ"))
	}
	if Represented("UM") || !Represented("DC") || Represented("ZZ") {
		t.Fatal("Represented is wrong for UM, DC or ZZ")
	}
	if _, ok := Names()["UM"]; ok {
		t.Fatal("Names lists an unrepresented place")
	}
	s := SortedCodes()
	if !slices.IsSorted(s) || s[0] != "AK" || len(s) != 56 {
		t.Fatalf("SortedCodes = %v", s)
	}
}
