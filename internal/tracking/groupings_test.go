package tracking

import (
	"fmt"
	"math/rand/v2"
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

// Merge adds the time-to-reply observations up by day, near and far
// (past the array it adds them in) and negative: the merged curve is that
// of all the observations.
func TestMergeAddsUpDays(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var gs []Group
	var all []Obs
	for i := 0; i < 40; i++ {
		g := Group{Key: fmt.Sprint(i), Party: []string{"D", "R"}[i%2]}
		for j := 0; j < 30; j++ {
			o := Obs{Days: r.IntN(3000) - 2, Events: r.IntN(3), Censored: r.IntN(3)}
			g.Times = append(g.Times, o)
			all = append(all, o)
		}
		gs = append(gs, g)
	}
	m := Merge(gs, func(Group) []string { return []string{""} })
	if len(m) != 1 {
		t.Fatal(m)
	}
	for i := 1; i < len(m[0].Times); i++ {
		if m[0].Times[i].Days <= m[0].Times[i-1].Days {
			t.Fatalf("not one observation per day, by days: %v", m[0].Times)
		}
	}
	if a, b := fmt.Sprint(KaplanMeier(all)), fmt.Sprint(KaplanMeier(m[0].Times)); a != b {
		t.Errorf("curve\n%s\nmerged\n%s", a, b)
	}
	if p := Merge(gs, func(g Group) []string { return []string{g.Party} }); len(p) != 2 ||
		KaplanMeier(p[0].Times).N+KaplanMeier(p[1].Times).N != KaplanMeier(all).N {
		t.Errorf("by party %v", p)
	}
}
