package tracking

import (
	"reflect"
	"testing"

	"github.com/outreach-org/outreach/internal/congress"
)

func TestGroupingsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range Groupings {
		if g.Name == "" || g.Title == "" || seen[g.Name] {
			t.Errorf("grouping %+v: needs a unique name and a title", g)
		}
		seen[g.Name] = true
		if l, ok := Lookup(g.Name); !ok || l.Name != g.Name {
			t.Errorf("Lookup(%q)", g.Name)
		}
	}
	if _, ok := Lookup("x; DROP TABLE letters"); ok {
		t.Error("unknown grouping found")
	}
	if g, ok := Lookup(""); !ok || g.Dim != DimNone || g.LabelOf(nil, "") != "All letters" {
		t.Error(`"" is the total`)
	}
	if got := Names("letters"); got != "office, state, party, chamber, campaign, channel, month, source, committee or letters" {
		t.Errorf("Names = %q", got)
	}
	ch, _ := Lookup("chamber")
	if ch.LabelOf(nil, "senate") != "Senate" || ch.LabelOf(nil, "") != "(none)" || ch.LabelOf(nil, "other") != "other" {
		t.Error("chamber labels")
	}
}

// A grouping with Keys is added up from the offices, an office counting
// under each of its keys: the way a committee grouping would be one entry.
func TestDerivedGroupingFromOffices(t *testing.T) {
	offices := []Group{
		{Key: "A", Party: "Democrat", Chamber: "house", Letters: 3, Delivered: 2, Replied: 1, Times: []Obs{{Days: 2, Events: 1}, {Days: 5, Censored: 1}}},
		{Key: "B", Party: "Republican", Chamber: "house", Letters: 4, Delivered: 4, Failed: 0, Replied: 2, Substantive: 1},
		{Key: "C", Party: "Democrat", Chamber: "senate", Letters: 1, Delivered: 1, Failed: 0},
	}
	committees := map[string][]string{"A": {"judiciary", "budget"}, "B": {"judiciary"}}
	g := Grouping{Name: "committee", Title: "Committee", Dim: DimOffice,
		Keys: func(_ *congress.Directory, o Group) []string { return committees[o.Key] }}
	if !g.Derived() {
		t.Fatal("a grouping with Keys is derived")
	}
	got := g.FromOffices(nil, offices)
	if len(got) != 2 || got[0].Key != "budget" || got[1].Key != "judiciary" {
		t.Fatalf("groups %+v", got)
	}
	if j := got[1]; j.Letters != 7 || j.Delivered != 6 || j.Replied != 3 || j.Substantive != 1 || len(j.Times) != 2 {
		t.Errorf("judiciary %+v", j)
	}
	party, _ := Lookup("party")
	byParty := party.FromOffices(nil, offices)
	if len(byParty) != 2 || byParty[0].Key != "Democrat" || byParty[0].Letters != 4 {
		t.Errorf("by party %+v", byParty)
	}
	if month, _ := Lookup("month"); month.Derived() {
		t.Error("months are not on office groups")
	}
	r := RatesOf(Group{Delivered: 4, Failed: 1, Replied: 2, Substantive: 1})
	if !reflect.DeepEqual(r, Rates{Failure: 0.2, Reply: 0.5, Substantive: 0.25}) {
		t.Errorf("rates %+v", r)
	}
}
