package web

import (
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/i18n"
)

// TestNoTargetsMessageNamesEveryCommittee: several committees are joined
// in the page's language, and a campaign naming none gets the general
// sentence; both name the supporter's members.
func TestNoTargetsMessageNamesEveryCommittee(t *testing.T) {
	dir, err := congress.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	pelosi, _ := dir.Member("P000197")
	two := campaign.Targets{{Kind: campaign.RuleCommittee, Committee: "HSHM"}, {Kind: campaign.RuleCommittee, Committee: "SSGA"}}
	got := noTargetsMessage(dir, two, []*congress.Member{pelosi}, i18n.English)
	if want := "sit on the House Committee on Homeland Security or the Senate Committee on Homeland Security and Governmental Affairs. Your members (Representative Nancy Pelosi) do not"; !strings.Contains(got, want) {
		t.Errorf("got %q, want it to contain %q", got, want)
	}
	got = noTargetsMessage(dir, two, []*congress.Member{pelosi}, i18n.Spanish)
	if want := "forman parte del House Committee on Homeland Security o del Senate Committee on Homeland Security and Governmental Affairs"; !strings.Contains(got, want) {
		t.Errorf("got %q, want it to contain %q", got, want)
	}
	offices := campaign.Targets{{Kind: campaign.RuleOffices, Offices: []string{"S001150"}}}
	if got := noTargetsMessage(dir, offices, []*congress.Member{pelosi}, i18n.English); !strings.Contains(got, "only to particular offices, and none of them represents you (your members: Representative Nancy Pelosi)") {
		t.Errorf("offices rule: %q", got)
	}
}
