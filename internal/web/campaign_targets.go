package web

import (
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/campaign"
)

// targetsForm is the campaign form's "Write to" fieldset as typed: one
// checkbox per chamber rule, the committees chosen for committee rules
// and for leaders rules, the hand-picked offices as typed, and the sample
// ZIP the editor explains the rules for.
type targetsForm struct {
	House, Senate       bool
	Committees, Leaders []string
	Offices             string
	SampleZIP           string
}

func readTargetsForm(c echo.Context) targetsForm {
	f := targetsForm{House: c.FormValue("target_house") != "", Senate: c.FormValue("target_senate") != "",
		Offices: c.FormValue("target_offices"), SampleZIP: strings.TrimSpace(c.FormValue("sample_zip"))}
	if form, err := c.FormParams(); err == nil {
		f.Committees, f.Leaders = form["target_committee"], form["target_leaders"]
	}
	// The former chamber switch, still accepted from scripts and old forms.
	switch c.FormValue("targets") {
	case "house":
		f.House = true
	case "senate":
		f.Senate = true
	case "both":
		f.House, f.Senate = true, true
	}
	return f
}

func targetsFormOf(t campaign.Targets) targetsForm {
	var f targetsForm
	var offs []string
	for _, r := range t {
		switch r.Kind {
		case campaign.RuleHouse:
			f.House = true
		case campaign.RuleSenate:
			f.Senate = true
		case campaign.RuleCommittee:
			f.Committees = append(f.Committees, r.Committee)
		case campaign.RuleLeaders:
			f.Leaders = append(f.Leaders, r.Committee)
		case campaign.RuleOffices:
			offs = append(offs, r.Offices...)
		}
	}
	f.Offices = strings.Join(offs, ", ")
	return f
}

// rules turns the form into rules, in the order the fieldset lists them.
func (f targetsForm) rules() campaign.Targets {
	t := campaign.Targets{}
	if f.House {
		t = append(t, campaign.Rule{Kind: campaign.RuleHouse})
	}
	if f.Senate {
		t = append(t, campaign.Rule{Kind: campaign.RuleSenate})
	}
	for _, id := range f.Committees {
		t = append(t, campaign.Rule{Kind: campaign.RuleCommittee, Committee: id})
	}
	for _, id := range f.Leaders {
		t = append(t, campaign.Rule{Kind: campaign.RuleLeaders, Committee: id})
	}
	if offs := strings.FieldsFunc(f.Offices, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }); len(offs) > 0 {
		t = append(t, campaign.Rule{Kind: campaign.RuleOffices, Offices: offs})
	}
	t.Normalize()
	return t
}

type committeeOption struct {
	Value, Label string
	Selected     bool
}

type committeeGroup struct {
	Label   string
	Options []committeeOption
}

// targetsView is the "Write to" fieldset.
type targetsView struct {
	targetsForm
	Committees, Leaders []committeeGroup
	Errors              []string
	Explanation         *campaign.Explanation
	ExplainError        string
}

func (s *Server) targetsView(f targetsForm, ve *campaign.ValidationError) targetsView {
	v := targetsView{targetsForm: f}
	dir := s.deps.Congress
	groups := func(chosen []string) []committeeGroup {
		var out []committeeGroup
		for _, c := range dir.Committees() {
			if c.ParentID != "" {
				continue
			}
			g := committeeGroup{Label: c.Name, Options: []committeeOption{{Value: c.ID, Label: c.Name, Selected: slices.Contains(chosen, c.ID)}}}
			for _, sub := range dir.Subcommittees(c.ID) {
				g.Options = append(g.Options, committeeOption{Value: sub.ID, Label: "— " + sub.Name, Selected: slices.Contains(chosen, sub.ID)})
			}
			out = append(out, g)
		}
		return out
	}
	v.Committees, v.Leaders = groups(f.Committees), groups(f.Leaders)
	rules := f.rules()
	if ve != nil {
		for _, fe := range ve.Errors {
			if fe.Field == "targets" {
				v.Errors = append(v.Errors, fe.Message)
			} else if i, ok := ruleIndex(fe.Field); ok && i < len(rules) {
				v.Errors = append(v.Errors, "“"+rules[i].Label(dir)+"”: "+fe.Message)
			}
		}
	}
	if f.SampleZIP != "" {
		ex, err := rules.Explain(dir, f.SampleZIP)
		if err != nil {
			v.ExplainError = "Sample ZIP: " + err.Error()
		} else {
			v.Explanation = &ex
		}
	}
	return v
}

// ruleIndex reads i from a field name "targets[i]".
func ruleIndex(field string) (int, bool) {
	s, ok := strings.CutPrefix(field, "targets[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, ok && s != ""
}
