package campaign_test

import (
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
)

// signOn is a valid sign-on letter to the Judiciary Committees' leaders.
func signOn() campaign.Campaign {
	c := valid()
	c.Kind = campaign.SignOn
	c.Targets = campaign.Targets{{Kind: campaign.RuleLeaders, Committee: "SSJU"}, {Kind: campaign.RuleLeaders, Committee: "HSJU"}}
	c.Template = "{{.salutation}},\n\nWe, the undersigned organizations, ask the {{.committee_names}} to hold oversight hearings on family separation.\n\nRespectfully,"
	return c
}

// TestSignOnKind: a sign-on letter may write to the chair and ranking
// member (refused to a constituent campaign), refuses the supporter's own
// members and the supporter's merge fields, needs a closing date before it
// is live, and cannot change kind once public.
func TestSignOnKind(t *testing.T) {
	c := signOn()
	c.Normalize()
	if _, err := campaign.Validate(&c, nil); err != nil {
		t.Fatalf("a valid sign-on letter was refused: %v", err)
	}

	cons := signOn()
	cons.Kind = campaign.Constituent
	cons.Normalize()
	if fe := fieldsOf(validate(&cons))["targets[0]"]; !strings.Contains(fe.Message, "organizational (sign-on) letter") {
		t.Errorf("constituent campaign with a leaders rule: %+v", fe)
	}

	own := signOn()
	own.Targets = campaign.Targets{{Kind: campaign.RuleSenate}}
	own.Normalize()
	if fe := fieldsOf(validate(&own))["targets[0]"]; !strings.Contains(fe.Message, "a sign-on letter has no constituent") {
		t.Errorf("sign-on letter to my senators: %+v", fe)
	}

	note := signOn()
	note.Template += "\n{{.first_name}} {{.personal_note}}"
	note.Normalize()
	fe := fieldsOf(validate(&note))["template"]
	if !strings.Contains(fe.Message, "cannot use {{.first_name}} in a sign-on letter") || fe.Line != 6 {
		t.Errorf("supporter field in a sign-on letter: %+v", fe)
	}

	live := signOn()
	live.Status, live.SummaryES, live.CallToActionES = campaign.Live, "Pida los registros.", "Firme."
	live.Normalize()
	if fe := fieldsOf(validate(&live))["ends_at"]; !strings.Contains(fe.Message, "closing date") {
		t.Errorf("live sign-on letter without a closing date: %+v", fe)
	}
	end := time.Now().Add(48 * time.Hour)
	live.EndsAt = &end
	if err := validate(&live); err != nil {
		t.Errorf("live sign-on letter with a closing date: %v", err)
	}

	prev := live
	back := live
	back.Kind = campaign.Constituent
	back.Targets = campaign.TargetBoth
	if _, err := campaign.Validate(&back, &prev); !strings.Contains(fieldsOf(err)["kind"].Message, "cannot change once the campaign has been live") {
		t.Errorf("kind changed after going live: %v", err)
	}

	bad := signOn()
	bad.Kind = "petition"
	if fe := fieldsOf(validate(&bad))["kind"]; !strings.Contains(fe.Message, "must be constituent") {
		t.Errorf("unknown kind: %+v", fe)
	}
}

// TestSignOnOffices: leaders rules reach the chair and ranking member, a
// committee rule every member, offices each once.
func TestSignOnOffices(t *testing.T) {
	dir := directory(t)
	leaders := dir.Leaders("SSJU")
	if len(leaders) != 2 {
		t.Fatalf("SSJU leaders: %d", len(leaders))
	}
	tg := campaign.Targets{{Kind: campaign.RuleLeaders, Committee: "SSJU"}, {Kind: campaign.RuleOffices, Offices: []string{leaders[0].BioguideID}}}
	got := tg.SignOnOffices(dir)
	if len(got) != 2 {
		t.Errorf("leaders and a repeated office: %d offices", len(got))
	}
	all := campaign.Targets{{Kind: campaign.RuleCommittee, Committee: "SSJU"}}.SignOnOffices(dir)
	if len(all) < 15 {
		t.Errorf("every member of Senate Judiciary: %d offices", len(all))
	}
	for _, m := range all {
		if _, ok := dir.SeatOn(m.BioguideID, "SSJU"); !ok {
			t.Errorf("%s does not sit on SSJU", m.Name)
		}
	}
}
