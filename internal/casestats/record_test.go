package casestats

import (
	"slices"
	"strings"
	"testing"
)

func validRecord() Record {
	return Record{
		Quarter: "2018-Q2", State: "TX", ChildAgeBracket: "5-9", FacilityType: "cbp",
		FormPresented: "two_option", FormPremarked: "yes", FormEnglishOnly: "yes",
		LanguageBarrier: "yes", ToldNoRights: "no", ThreatenedPermanentSeparation: "unknown",
		CredibleFear: "positive", AsylumClaim: "withdrawn", Outcome: "deported_without_child",
	}
}

// assertNoEcho fails if any of the rejected values appears in the errors.
func assertNoEcho(t *testing.T, errs []FieldError, rejected ...string) {
	t.Helper()
	for _, e := range errs {
		all := e.Error() + "|" + e.Field + "|" + e.Reason
		for _, r := range rejected {
			if strings.Contains(all, r) {
				t.Errorf("error %q echoes rejected value %q", all, r)
			}
		}
	}
}

func TestFieldsAndAllowedValues(t *testing.T) {
	want := "quarter,state,child_age_bracket,facility_type,form_presented,form_premarked,form_english_only,language_barrier,told_no_rights,threatened_permanent_separation,credible_fear,asylum_claim,outcome"
	if got := strings.Join(Fields, ","); got != want {
		t.Fatalf("Fields = %s", got)
	}
	if len(States) != 56 || !slices.Contains(States, "PR") || !slices.Contains(States, "MP") || !slices.Contains(States, "DC") {
		t.Fatalf("States: %d %v", len(States), States)
	}
	if len(Quarters) != numQuarters || Quarters[0] != "2015-Q1" {
		t.Fatalf("Quarters %v", Quarters[:2])
	}
	// exported copies cannot change validation
	AllowedValues(FieldState)[0] = "ZZ"
	States[0] = "ZZ"
	r := validRecord()
	r.State = "ZZ"
	if len(r.Validate()) == 0 {
		t.Fatal("mutating exported copies changed validation")
	}
	if AllowedValues("nope") != nil {
		t.Fatal("unknown field has values")
	}
	if ValueLabel(FieldOutcome, "reunified", "es") != "Reunificados" || ValueLabel(FieldQuarter, "2018-Q2", "es") != "2018-T2" {
		t.Fatal("labels")
	}
}

func TestValidate(t *testing.T) {
	if errs := validRecord().Validate(); len(errs) != 0 {
		t.Fatalf("valid record: %v", errs)
	}
	r := validRecord()
	r.State = "Maria Lopez"
	r.Quarter = "June 14, 2018"
	r.ChildAgeBracket = "7"
	r.FacilityType = "A123456789"
	r.LanguageBarrier = "K'iche'"
	r.Outcome = ""
	r.CredibleFear = "123-45-6789"
	r.AsylumClaim = "pendiente"
	errs := r.Validate()
	reasons := map[string]string{}
	for _, e := range errs {
		if e.Row != 0 {
			t.Errorf("row %d for single record", e.Row)
		}
		reasons[e.Field] = e.Reason
	}
	want := map[string]string{
		"state":             "looks like a name; identifying data is never stored",
		"quarter":           "looks like a date; identifying data is never stored",
		"child_age_bracket": "looks like an exact age",
		"facility_type":     "looks like an A-number; identifying data is never stored",
		"language_barrier":  "looks like a language name",
		"outcome":           "is required",
		"credible_fear":     "looks like a Social Security number",
		"asylum_claim":      "must be one of: none, pending, withdrawn, denied, granted",
	}
	for f, w := range want {
		if !strings.HasPrefix(reasons[f], w) {
			t.Errorf("%s: reason %q, want prefix %q", f, reasons[f], w)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("got %d errors: %v", len(errs), errs)
	}
	assertNoEcho(t, errs, "Maria", "Lopez", "June", "A123456789", "K'iche'", "123-45-6789", "pendiente")

	r = validRecord()
	r.FormPresented = "none"
	errs = r.Validate()
	if len(errs) != 2 || errs[0].Field != FieldFormPremarked || errs[1].Field != FieldFormEnglishOnly {
		t.Fatalf("form consistency: %v", errs)
	}
	// Excel turns 10-13 into a date
	r = validRecord()
	r.ChildAgeBracket = "13-Oct"
	if errs := r.Validate(); len(errs) != 1 || !strings.Contains(errs[0].Reason, "spreadsheet") {
		t.Fatalf("excel hint: %v", errs)
	}
}

func TestNormalize(t *testing.T) {
	r := Record{
		Quarter: " 2018-q2 ", State: "tx", ChildAgeBracket: "10 – 13", FacilityType: "ICE Family",
		FormPresented: "Two-Option", FormPremarked: "YES", FormEnglishOnly: " No ",
		LanguageBarrier: "Unknown", ToldNoRights: "yes", ThreatenedPermanentSeparation: "no",
		CredibleFear: "Not Screened", AsylumClaim: "none", Outcome: "Released Together",
	}
	n := r.Normalize()
	if errs := n.Validate(); len(errs) != 0 {
		t.Fatalf("normalized: %+v %v", n, errs)
	}
	if n.Quarter != "2018-Q2" || n.ChildAgeBracket != "10-13" || n.FacilityType != "ice_family" || n.Outcome != "released_together" {
		t.Fatalf("%+v", n)
	}
	if r.Normalize().Get(FieldState) != "TX" || (Record{Quarter: "2018Q3"}).Normalize().Quarter != "2018-Q3" {
		t.Fatal("normalize")
	}
	// A non-matching value is only trimmed (case kept for name detection).
	if got := (Record{State: "  Maria Lopez "}).Normalize().State; got != "Maria Lopez" {
		t.Fatalf("%q", got)
	}
}
