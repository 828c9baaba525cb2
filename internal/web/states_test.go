package web_test

import (
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store/storetest"
	"github.com/outreach-org/outreach/internal/web"
)

// Supporters reading Spanish see places' Spanish names: on the lookup page
// ("Nueva York"), and in the campaign form's list of states, which is in
// Spanish alphabetical order ("Carolina del Norte" among the C's, the
// territories last). English pages keep the English names and order.
func TestSpanishStateNames(t *testing.T) {
	f := newServer(t, web.Deps{})
	_, en := f.get(t, "/?q=10001")
	_, es := f.get(t, "/?q=10001&lang=es")
	if !strings.Contains(en, "New York") || strings.Contains(en, "Nueva York") {
		t.Errorf("English lookup page of 10001 should say New York")
	}
	if !strings.Contains(es, "Nueva York") {
		t.Errorf("Spanish lookup page of 10001 should say Nueva York")
	}

	a := newActionServer(t, storetest.SQLite(t), unique("estados"), campaign.Live)
	order := func(body string, names ...string) []int {
		var at []int
		for _, n := range names {
			at = append(at, strings.Index(body, ">"+n+"</option>"))
		}
		return at
	}
	_, page := a.get(t, "/c/"+a.camp.Slug+"?lang=es")
	at := order(page, "California", "Carolina del Norte", "Colorado", "Nueva York", "Wyoming", "Puerto Rico", "Islas Vírgenes de EE. UU.")
	for i, p := range at {
		if p < 0 {
			t.Fatalf("Spanish campaign form lacks option %d of %v", i, at)
		}
		if i > 0 && p < at[i-1] {
			t.Errorf("Spanish state options out of order at %d: %v", i, at)
		}
	}
	_, page = a.get(t, "/c/"+a.camp.Slug)
	at = order(page, "Colorado", "New York", "North Carolina", "Wyoming", "Puerto Rico")
	for i, p := range at {
		if p < 0 || (i > 0 && p < at[i-1]) {
			t.Errorf("English state options: %v", at)
			break
		}
	}
}
