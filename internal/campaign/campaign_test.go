package campaign_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/congress"
)

var (
	dirOnce sync.Once
	dir     *congress.Directory
	dirErr  error
)

func directory(t testing.TB) *congress.Directory {
	t.Helper()
	dirOnce.Do(func() { dir, dirErr = congress.LoadEmbedded() })
	if dirErr != nil {
		t.Fatal(dirErr)
	}
	return dir
}

func member(t testing.TB, id string) *congress.Member {
	t.Helper()
	m, ok := directory(t).Member(id)
	if !ok {
		t.Fatalf("no member %s in the directory", id)
	}
	return m
}

const body = `{{.salutation}}:

I live in {{.city}}, {{.state}}. {{stat "children_separated"}} children were separated.
{{with .personal_note}}
{{.}}
{{end}}
Sincerely,
{{.first_name}} {{.last_name}}`

func valid() campaign.Campaign {
	return campaign.Campaign{
		Title: "Records of family separations", Slug: "family-separation-records",
		SummaryEN: "Ask for the records.", CallToActionEN: "Write to your members.",
		Targets: campaign.TargetBoth, LOCTopic: "Immigration", Status: campaign.Draft,
		Subject:               "Oversight of family separations in {{.member_state}}",
		Template:              body,
		OrganizationStatement: "Our coalition documented {{stat \"cases\"}} cases.",
	}
}

func fieldsOf(err error) map[string]campaign.FieldError {
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := map[string]campaign.FieldError{}
	for _, fe := range ve.Errors {
		if _, ok := out[fe.Field]; !ok {
			out[fe.Field] = fe
		}
	}
	return out
}

func TestValidateAcceptsAGoodCampaign(t *testing.T) {
	c := valid()
	c.Normalize()
	cp, err := campaign.Validate(&c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Letter == nil || cp.Statement == nil {
		t.Fatal("compiled letter is incomplete")
	}
}

func TestValidateRefusals(t *testing.T) {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	before := start.Add(-time.Hour)
	cases := []struct {
		name  string
		edit  func(*campaign.Campaign)
		field string
		want  string
	}{
		{"no title", func(c *campaign.Campaign) { c.Title = "  " }, "title", "required"},
		{"long title", func(c *campaign.Campaign) { c.Title = strings.Repeat("é", 201) }, "title", "at most 200"},
		{"title with a line break", func(c *campaign.Campaign) { c.Title = "a\nb" }, "title", "single line"},
		{"upper-case slug", func(c *campaign.Campaign) { c.Slug = "Family" }, "slug", "lower-case"},
		{"double hyphen", func(c *campaign.Campaign) { c.Slug = "a--b" }, "slug", "single hyphens"},
		{"long slug", func(c *campaign.Campaign) { c.Slug = strings.Repeat("a", 65) }, "slug", "at most 64"},
		{"reserved slug", func(c *campaign.Campaign) { c.Slug = "admin" }, "slug", "kept for the site"},
		{"reserved slug c", func(c *campaign.Campaign) { c.Slug = "c" }, "slug", "kept for the site"},
		{"long summary", func(c *campaign.Campaign) { c.SummaryEN = strings.Repeat("x", 2001) }, "summary_en", "at most 2000"},
		{"no summary", func(c *campaign.Campaign) { c.SummaryEN = "" }, "summary_en", "required"},
		{"no targets", func(c *campaign.Campaign) { c.Targets = nil }, "targets", "at least one rule"},
		{"bad rule", func(c *campaign.Campaign) { c.Targets = campaign.Targets{{Kind: "governors"}} }, "targets[0]", "not one of house, senate"},
		{"leaders on a constituent campaign", func(c *campaign.Campaign) {
			c.Targets = campaign.Targets{{Kind: campaign.RuleLeaders, Committee: "SSJU"}}
		}, "targets[0]", "CWC accepts constituent mail only from a member's own constituents"},
		{"committee rule without committee", func(c *campaign.Campaign) { c.Targets = campaign.Targets{{Kind: campaign.RuleCommittee}} }, "targets[0]", "needs a committee"},
		{"offices rule without offices", func(c *campaign.Campaign) { c.Targets = campaign.Targets{{Kind: campaign.RuleOffices}} }, "targets[0]", "at least one office"},
		{"repeated rule", func(c *campaign.Campaign) { c.Targets = campaign.Targets{{Kind: "house"}, {Kind: "house"}} }, "targets[1]", "repeats rule 1"},
		{"bad topic", func(c *campaign.Campaign) { c.LOCTopic = "immigration" }, "loc_topic", "Library of Congress"},
		{"bad status", func(c *campaign.Campaign) { c.Status = "archived" }, "status", "draft, scheduled"},
		{"scheduled without start", func(c *campaign.Campaign) { c.Status = campaign.Scheduled; c.SummaryES, c.CallToActionES = "a", "b" }, "starts_at", "required"},
		{"live without Spanish", func(c *campaign.Campaign) { c.Status = campaign.Live }, "summary_es", "Spanish"},
		{"end before start", func(c *campaign.Campaign) { c.StartsAt, c.EndsAt = &start, &before }, "ends_at", "after the start"},
		{"end equal to start", func(c *campaign.Campaign) { c.StartsAt, c.EndsAt = &start, &start }, "ends_at", "after the start"},
		{"subject with CR/LF", func(c *campaign.Campaign) { c.Subject = "Hello\r\nBcc: x@example.org" }, "subject", "single line"},
		{"subject with HTML", func(c *campaign.Campaign) { c.Subject = "Hello <script>alert(1)</script>" }, "subject", "HTML"},
		{"empty template", func(c *campaign.Campaign) { c.Template = " \n" }, "template", "empty"},
		{"huge template", func(c *campaign.Campaign) { c.Template = strings.Repeat("x", 64<<10+1) }, "template", "too long"},
		{"renders too much", func(c *campaign.Campaign) { c.Template = strings.Repeat("{{.personal_note}}", 3500) }, "template", "more than 64 KiB"},
		{"unknown stat", func(c *campaign.Campaign) { c.Template = `{{stat "made_up"}}` }, "template", "made_up"},
		{"range loop", func(c *campaign.Campaign) { c.Template = `{{range .first_name}}x{{end}}` }, "template", "range"},
		{"long statement", func(c *campaign.Campaign) { c.OrganizationStatement = strings.Repeat("x", 5001) }, "organization_statement", "at most 5000"},
		{"statement quoting the supporter", func(c *campaign.Campaign) { c.OrganizationStatement = "We say:\n  {{.personal_note}}" }, "organization_statement", "personal_note"},
		{"statement with a syntax error", func(c *campaign.Campaign) { c.OrganizationStatement = "{{if .city}}" }, "organization_statement", ""},
		{"control characters", func(c *campaign.Campaign) { c.SummaryES = "a\x00b" }, "summary_es", "control"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.edit(&c)
			c.Normalize()
			cp, err := campaign.Validate(&c, nil)
			if err == nil || cp != nil {
				t.Fatal("accepted")
			}
			fe, ok := fieldsOf(err)[tc.field]
			if !ok {
				t.Fatalf("no error for %s: %v", tc.field, err)
			}
			if !strings.Contains(fe.Message, tc.want) {
				t.Errorf("%s: %q does not mention %q", tc.field, fe.Message, tc.want)
			}
		})
	}
}

func TestTemplateErrorsHaveLineColumnAndValidFields(t *testing.T) {
	c := valid()
	c.Template = "Dear {{.member_name}},\n\nThank you.\n  Regards, {{.frist_name}}\n"
	c.OrganizationStatement = "ok\n\n  {{.personal_note}}"
	_, err := campaign.Validate(&c, nil)
	var ve *campaign.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	tmpl := ve.For("template")
	if len(tmpl) != 1 || tmpl[0].Line != 4 || tmpl[0].Column != 14 || !strings.Contains(tmpl[0].Message, "frist_name") {
		t.Errorf("template errors = %+v", tmpl)
	}
	st := ve.For("organization_statement")
	if len(st) != 1 || st[0].Line != 3 || st[0].Column != 5 {
		t.Errorf("statement errors = %+v", st)
	}
	if len(ve.ValidFields) == 0 || len(ve.ValidStatKeys) != len(casestats.Keys()) {
		t.Errorf("valid fields %v, %d stat keys", ve.ValidFields, len(ve.ValidStatKeys))
	}
	if !strings.Contains(ve.Messages()["template"], "Line 4, column 14") {
		t.Errorf("form message = %q", ve.Messages()["template"])
	}
}

func TestStatusTransitionsAndSlugChanges(t *testing.T) {
	prev := valid()
	prev.Status = campaign.Live
	next := valid()
	next.Status = campaign.Draft
	if _, err := campaign.Validate(&next, &prev); fieldsOf(err)["status"].Message == "" {
		t.Errorf("live -> draft accepted: %v", err)
	}
	next.Status, next.Slug = campaign.Paused, "another-slug"
	if _, err := campaign.Validate(&next, &prev); fieldsOf(err)["slug"].Message == "" {
		t.Errorf("slug change of a live campaign accepted: %v", err)
	}
	next.Slug = prev.Slug
	if _, err := campaign.Validate(&next, &prev); err != nil {
		t.Errorf("live -> paused: %v", err)
	}
	prev.Status, next.Status, next.Slug = campaign.Draft, campaign.Draft, "renamed-draft"
	if _, err := campaign.Validate(&next, &prev); err != nil {
		t.Errorf("renaming a draft: %v", err)
	}
	for _, s := range campaign.Statuses {
		if !s.CanBecome(s) || s.Next()[0] != s {
			t.Errorf("%s cannot stay %s", s, s)
		}
	}
}

func TestNormalizeMakesCRLFSaveTheSame(t *testing.T) {
	c := valid()
	c.Template = strings.ReplaceAll(body, "\n", "\r\n")
	c.Title = "  Records  "
	c.Normalize()
	if c.Template != body || c.Title != "Records" {
		t.Errorf("normalize: %q %q", c.Title, c.Template)
	}
	if !c.SameLetter(campaign.Version{Subject: c.Subject, Body: body, OrganizationStatement: c.OrganizationStatement}) {
		t.Error("same letter not recognised")
	}
}

func TestLOCTopics(t *testing.T) {
	if len(campaign.LOCTopics) != 32 {
		t.Errorf("%d topics, CWC has 32", len(campaign.LOCTopics))
	}
	for _, want := range []string{"Immigration", "Families", "Civil Rights and Liberties, Minority Issues", "Crime and Law Enforcement"} {
		if !campaign.IsLOCTopic(want) {
			t.Errorf("%q missing", want)
		}
	}
	if !campaign.IsLOCTopic(campaign.DefaultLOCTopic) {
		t.Error("default topic is not a topic")
	}
}

func TestPreviewForRealMembers(t *testing.T) {
	c := valid()
	c.Targets = campaign.TargetSenate
	cp, err := campaign.Validate(&c, nil)
	if err != nil {
		t.Fatal(err)
	}
	stats, release, _ := campaign.SampleStats{}.Latest(context.Background())
	cases := []struct {
		id, salutation, title, district, state string
		targeted                               bool
	}{
		{"P000145", "Dear Senator Padilla", "Senator", "", "CA", true},
		{"P000197", "Dear Representative Pelosi", "Representative", "11", "CA", false},
		{"N000147", "Dear Delegate Norton", "Delegate", "at-large", "DC", false},
	}
	for _, tc := range cases {
		m := member(t, tc.id)
		p, err := cp.Preview(context.Background(), c.Targets.Reaches(directory(t), m), campaign.Seats{}, m, stats, release)
		if err != nil {
			t.Fatalf("%s: %v", tc.id, err)
		}
		if !strings.HasPrefix(p.Body, tc.salutation+":") {
			t.Errorf("%s: body starts %q", tc.id, p.Body[:40])
		}
		if p.Subject != "Oversight of family separations in "+tc.state {
			t.Errorf("%s: subject %q", tc.id, p.Subject)
		}
		if !strings.Contains(p.Body, "[children_separated: figure from the latest statistics release] children") {
			t.Errorf("%s: sample statistic not marked: %q", tc.id, p.Body)
		}
		if !strings.Contains(p.Body, ", "+tc.state+".") {
			t.Errorf("%s: supporter does not live in the member's state: %q", tc.id, p.Body)
		}
		if p.OrganizationStatement != "Our coalition documented [cases: figure from the latest statistics release] cases." {
			t.Errorf("%s: statement %q", tc.id, p.OrganizationStatement)
		}
		if p.Targeted != tc.targeted || p.StatsReleaseID != 0 {
			t.Errorf("%s: targeted %v release %d", tc.id, p.Targeted, p.StatsReleaseID)
		}
		d := campaign.MemberData(m)
		if d.MemberTitle != tc.title || d.District != tc.district || d.MemberName != m.Name || d.Chamber != string(m.Chamber) {
			t.Errorf("%s: member data %+v", tc.id, d)
		}
	}
}

func TestSampleStatsAnswerEveryKey(t *testing.T) {
	for _, k := range campaign.StatKeys() {
		v, ok := campaign.SampleStat(k)
		if !ok || !strings.Contains(v, k) || !strings.Contains(v, "latest statistics release") {
			t.Fatalf("%s: %q %v", k, v, ok)
		}
	}
	if _, ok := campaign.SampleStat("nope"); ok {
		t.Error("unknown key answered")
	}
}

func TestFindMembers(t *testing.T) {
	names := map[string]string{"CA": "California", "DC": "District of Columbia", "VT": "Vermont"}
	ms := directory(t).Members()
	if got := campaign.FindMembers(ms, names, "dc", 0); len(got) != 1 || got[0].BioguideID != "N000147" {
		t.Errorf("dc: %v", got)
	}
	if got := campaign.FindMembers(ms, names, "vermont", 0); len(got) != 3 {
		t.Errorf("vermont: %d members", len(got))
	}
	if got := campaign.FindMembers(ms, names, "PELOSI", 0); len(got) != 1 || got[0].Name != "Nancy Pelosi" {
		t.Errorf("pelosi: %v", got)
	}
	if got := campaign.FindMembers(ms, names, "p000145", 0); len(got) != 1 || got[0].LastName != "Padilla" {
		t.Errorf("bioguide id: %v", got)
	}
	if got := campaign.FindMembers(ms, names, "a", 5); len(got) != 5 {
		t.Errorf("limit: %d", len(got))
	}
	if got := campaign.FindMembers(ms, names, "   ", 0); got != nil {
		t.Errorf("blank query: %v", got)
	}
}

func BenchmarkPreview(b *testing.B) {
	c := valid()
	cp, err := campaign.Validate(&c, nil)
	if err != nil {
		b.Fatal(err)
	}
	m := member(b, "P000197")
	stats, _, _ := campaign.SampleStats{}.Latest(context.Background())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cp.Preview(ctx, true, campaign.Seats{}, m, stats, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGreetingWhenTheTemplateHasNone: a body that never addresses the
// member starts with the salutation; one that does (by salutation, name
// or title) keeps its own and gets no second greeting.
func TestGreetingWhenTheTemplateHasNone(t *testing.T) {
	stats, _, _ := campaign.SampleStats{}.Latest(context.Background())
	m := member(t, "P000145")
	for _, tc := range []struct {
		body, want string
	}{
		{"Please hold hearings.\n\nAna", "Dear Senator Padilla,\n\nPlease hold hearings.\n\nAna"},
		{"{{.salutation}}:\n\nPlease hold hearings.", "Dear Senator Padilla:\n\nPlease hold hearings."},
		{"Senator {{.member_name}}, please hold hearings.", "Senator Alex Padilla, please hold hearings."},
		{"To the {{.member_title}}: please hold hearings.", "To the Senator: please hold hearings."},
	} {
		cp, verr := campaign.Compile("Hearings", tc.body, "")
		if verr != nil {
			t.Fatal(verr)
		}
		p, err := cp.Preview(context.Background(), true, campaign.Seats{}, m, stats, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.Body != tc.want {
			t.Errorf("%q: preview %q, want %q", tc.body, p.Body, tc.want)
		}
	}
}
