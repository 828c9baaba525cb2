package campaign_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/campaign"
)

// TestExplainTargets: the explanation names, rule by rule, what a sample
// ZIP's supporter would write to, with the seat that qualifies an office.
func TestExplainTargets(t *testing.T) {
	dir := directory(t)
	tg := campaign.Targets{{Kind: campaign.RuleHouse}, {Kind: campaign.RuleCommittee, Committee: "SSJU04"}, {Kind: campaign.RuleCommittee, Committee: "HSHM"}}
	ex, err := tg.Explain(dir, "94110")
	if err != nil {
		t.Fatal(err)
	}
	if want := "for ZIP 94110: Rep. Nancy Pelosi; Sen. Alex Padilla (Border Security and Immigration, ranking member)"; ex.Summary != want {
		t.Errorf("summary %q, want %q", ex.Summary, want)
	}
	if len(ex.Rules) != 3 || ex.Rules[2].Note != "none of this ZIP's members sits on it" || len(ex.Rules[2].Offices) != 0 {
		t.Errorf("rules: %+v", ex.Rules)
	}
	if !strings.Contains(ex.Rules[1].Label, "Subcommittee on Border Security and Immigration (Senate Committee on the Judiciary)") {
		t.Errorf("label %q", ex.Rules[1].Label)
	}
	// A senator reached by two rules is listed once, with the seat.
	both := campaign.Targets{{Kind: campaign.RuleSenate}, {Kind: campaign.RuleCommittee, Committee: "SSJU"}}
	ex, _ = both.Explain(dir, "94110")
	if want := "for ZIP 94110: Sen. Alex Padilla (Judiciary); Sen. Adam B. Schiff (Judiciary)"; ex.Summary != want {
		t.Errorf("summary %q, want %q", ex.Summary, want)
	}
	if _, err := tg.Explain(dir, "9411"); err == nil {
		t.Error("a bad sample ZIP was explained")
	}
	none := campaign.Targets{{Kind: campaign.RuleCommittee, Committee: "HSHM"}}
	if ex, _ := none.Explain(dir, "94110"); !strings.Contains(ex.Summary, "no office") {
		t.Errorf("summary for no office: %q", ex.Summary)
	}
}

func TestTargetsCheckIDs(t *testing.T) {
	dir := directory(t)
	tg := campaign.Targets{{Kind: campaign.RuleCommittee, Committee: "SSXX"}, {Kind: campaign.RuleOffices, Offices: []string{"P000145", "Z999999"}}}
	errs := tg.CheckIDs(dir)
	if len(errs) != 2 || errs[0].Field != "targets[0]" || !strings.Contains(errs[0].Message, `"SSXX" is not a committee`) ||
		errs[1].Field != "targets[1]" || !strings.Contains(errs[1].Message, `"Z999999" is not the bioguide id`) {
		t.Errorf("errors: %+v", errs)
	}
	if errs := campaign.TargetBoth.CheckIDs(dir); len(errs) != 0 {
		t.Errorf("chamber rules: %+v", errs)
	}
}

// TestTargetsJSON: rules round-trip, and the former chamber names become
// the equivalent rules.
func TestTargetsJSON(t *testing.T) {
	for in, want := range map[string]string{
		`"both"`:   `[{"kind":"house"},{"kind":"senate"}]`,
		`"senate"`: `[{"kind":"senate"}]`,
		`[{"kind":"committee","committee":"SSJU"},{"kind":"offices","offices":["P000145"]}]`: `[{"kind":"committee","committee":"SSJU"},{"kind":"offices","offices":["P000145"]}]`,
	} {
		var tg campaign.Targets
		if err := json.Unmarshal([]byte(in), &tg); err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(tg); string(b) != want {
			t.Errorf("%s → %s, want %s", in, b, want)
		}
	}
	var tg campaign.Targets
	if err := json.Unmarshal([]byte(`"governors"`), &tg); err == nil || !strings.HasPrefix(err.Error(), "targets: ") {
		t.Errorf("governors: %v", err)
	}
	if b, _ := json.Marshal(campaign.Targets(nil)); string(b) != "[]" {
		t.Errorf("nil targets: %s", b)
	}
}

// TestTargetsOffices: every office a campaign could write to, across all
// supporters (the coverage page).
func TestTargetsOffices(t *testing.T) {
	dir := directory(t)
	ju, _ := dir.Committee("SSJU")
	if got := (campaign.Targets{{Kind: campaign.RuleCommittee, Committee: "SSJU"}}).Offices(dir); len(got) != len(ju.Seats) {
		t.Errorf("SSJU rule reaches %d offices, want its %d seats", len(got), len(ju.Seats))
	}
	if got := campaign.TargetSenate.Offices(dir); len(got) != 100 {
		t.Errorf("senate rule reaches %d offices", len(got))
	}
	got := (campaign.Targets{{Kind: campaign.RuleLeaders, Committee: "HSJU"}}).Offices(dir)
	if len(got) != 2 {
		t.Errorf("leaders: %v", got)
	}
}
