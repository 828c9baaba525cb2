package campaign_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/letter"
)

// release8 publishes children_separated but not pct_forms_premarked.
func release8() campaign.Release {
	n := 5570
	return campaign.Release{ID: 8, AsOf: time.Date(2026, 11, 3, 14, 5, 0, 0, time.UTC), Figures: &casestats.Figures{Figures: []casestats.Figure{
		{Key: "children_separated", Type: casestats.TypeCount, Label: "Children separated", Value: &n, Display: "5,570"},
		{Key: "pct_forms_premarked", Type: casestats.TypePercent, Label: "Forms already marked", Suppressed: true, Display: casestats.NotPublished},
	}}}
}

func TestReleaseSource(t *testing.T) {
	r := release8()
	id, date, ok := r.Release()
	if !ok || id != "8" || date != "November 3, 2026" {
		t.Errorf("Release() = %q, %q, %v", id, date, ok)
	}
	if !r.StatAvailable("children_separated") || r.StatAvailable("pct_forms_premarked") {
		t.Error("StatAvailable wrong")
	}
	if _, _, ok := (campaign.Release{}).Release(); ok {
		t.Error("the zero Release has a release")
	}
	if got := campaign.Citation("Families Together", "https://example.org/stats", r); got != "Figures: Families Together statistics release 8 of November 3, 2026, https://example.org/stats." {
		t.Errorf("Citation = %q", got)
	}
	r.Synthetic = true
	if got := campaign.Citation("Families Together", "https://example.org/stats", r); !strings.HasPrefix(got, "Figures: synthetic demonstration data, not real cases (Families Together statistics release 8 of November 3, 2026") {
		t.Errorf("synthetic Citation = %q", got)
	}
	if got := campaign.Citation("X", "u", campaign.Release{}); got != "" {
		t.Errorf("Citation without a release = %q", got)
	}
}

func TestValidateWithRefusesUnpublishedFigure(t *testing.T) {
	c := valid()
	c.Template = "Dear {{.member_name}},\n{{stat \"children_separated\"}} children.\nAnd {{stat \"pct_forms_premarked\"}} of forms.\n"
	c.OrganizationStatement = `{{if stat_available "pct_forms_premarked"}}{{stat "pct_forms_premarked"}} premarked.{{end}}`
	_, err := campaign.ValidateWith(&c, nil, release8())
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 1 {
		t.Fatalf("err = %v", err)
	}
	fe := ve.Errors[0]
	if fe.Field != "template" || fe.Line != 3 || fe.Column != 7 || !strings.Contains(fe.Message, `"pct_forms_premarked" (Forms already marked) is not published in statistics release 8`) ||
		!strings.Contains(fe.Message, `{{if stat_available "pct_forms_premarked"}}`) {
		t.Errorf("error = %+v", fe)
	}
	// Guarded, it is accepted; with no release there is nothing to check.
	c.Template = "Dear {{.member_name}},\n{{if stat_available \"pct_forms_premarked\"}}And {{stat \"pct_forms_premarked\"}} of forms.{{end}}\n"
	if _, err := campaign.ValidateWith(&c, nil, release8()); err != nil {
		t.Errorf("guarded: %v", err)
	}
	c.Template = "{{stat \"pct_forms_premarked\"}}"
	if _, err := campaign.ValidateWith(&c, nil, campaign.Release{}); err != nil {
		t.Errorf("no release: %v", err)
	}
}

// A committee field printed where most members have none is refused with
// its position and the way to guard it; guarded, the letter is saved, and
// a member without seats gets the sentence left out, not "As , please".
func TestValidateWithRefusesBlankCommitteeField(t *testing.T) {
	c := valid()
	c.OrganizationStatement = ""
	c.Template = "Dear {{.member_name}},\nAs {{.committee_roles}}, please hold a hearing.\n"
	_, err := campaign.ValidateWith(&c, nil, release8())
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 1 {
		t.Fatalf("err = %v", err)
	}
	if fe := ve.Errors[0]; fe.Field != "template" || fe.Line != 2 || fe.Column != 6 ||
		!strings.Contains(fe.Message, "{{if .committee_roles}}") {
		t.Errorf("error = %+v", fe)
	}
	c.Template = "Dear {{.member_name}},\n{{if .committee_roles}}As {{.committee_roles}}, please{{else}}Please{{end}} hold a hearing.\n"
	cp, err := campaign.ValidateWith(&c, nil, release8())
	if err != nil {
		t.Fatalf("guarded: %v", err)
	}
	if errs := cp.Blank(); len(errs) != 0 {
		t.Errorf("guarded Blank = %v", errs)
	}
}

func TestHoldReasonAndRender(t *testing.T) {
	cp, verr := campaign.Compile("Subject", `{{stat "children_separated"}} and {{stat "pct_forms_premarked"}}`, "")
	if verr != nil {
		t.Fatal(verr)
	}
	if !cp.QuotesRelease() {
		t.Error("QuotesRelease = false")
	}
	got := cp.HoldReason(release8())
	if !strings.Contains(got, `statistics release 8 of November 3, 2026 does not publish "pct_forms_premarked" (Forms already marked)`) {
		t.Errorf("HoldReason = %q", got)
	}
	// Rendering it anyway is refused: "not published" never lands in a letter.
	if _, err := cp.Letter.Body.Render(letter.SampleSupporter(), release8()); !errors.Is(err, letter.ErrStatNotPublished) {
		t.Errorf("render err = %v", err)
	}
	ok, _ := campaign.Compile("Subject", `{{if stat_available "pct_forms_premarked"}}{{stat "pct_forms_premarked"}}{{end}}`, "")
	if r := ok.HoldReason(release8()); r != "" {
		t.Errorf("guarded HoldReason = %q", r)
	}
	plain, _ := campaign.Compile("Subject", `Hello {{.first_name}}`, "")
	if plain.QuotesRelease() {
		t.Error("a letter without figures QuotesRelease")
	}
}

// The campaign's setting turns the citation off, except for synthetic
// figures, which are always labelled; a letter quoting nothing has none.
func TestCitationFor(t *testing.T) {
	quotes, _ := campaign.Compile("Subject", `{{stat "children_separated"}} children.`, "")
	plain, _ := campaign.Compile("Subject", `Please act.`, "")
	realRel, synth := release8(), release8()
	synth.Synthetic = true
	on, off := campaign.Campaign{}, campaign.Campaign{NoCitation: true}
	for _, tc := range []struct {
		name string
		cp   *campaign.Compiled
		c    campaign.Campaign
		rel  campaign.Release
		want string
	}{
		{"on", quotes, on, realRel, "Figures: FT statistics release 8 of November 3, 2026, u/stats."},
		{"off", quotes, off, realRel, ""},
		{"off but synthetic", quotes, off, synth, "Figures: synthetic demonstration data, not real cases (FT statistics release 8 of November 3, 2026, u/stats)."},
		{"quotes nothing", plain, on, synth, ""},
		{"no release", quotes, on, campaign.Release{}, ""},
	} {
		if got := tc.cp.CitationFor(tc.c, "FT", "u/stats", tc.rel); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
