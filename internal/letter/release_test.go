package letter

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// releaseStats is a release that publishes children_separated and
// families_reunified but not children_unaccounted.
type releaseStats struct {
	StatMap
	hidden map[string]bool
	id     string
	date   string
}

func (r releaseStats) StatAvailable(k string) bool { return !r.hidden[k] }
func (r releaseStats) Release() (string, string, bool) {
	return r.id, r.date, r.id != ""
}

var rel7 = releaseStats{
	StatMap: StatMap{"children_separated": "5,569", "families_reunified": "4,227", "children_unaccounted": "not published"},
	hidden:  map[string]bool{"children_unaccounted": true}, id: "7", date: "November 3, 2026",
}

func TestReleaseFunctions(t *testing.T) {
	tm := mustParse(t, "Figures of release {{release_id}} of {{release_date}}.")
	if !tm.UsesRelease() || !tm.QuotesRelease() {
		t.Error("UsesRelease/QuotesRelease = false")
	}
	got, err := tm.Render(SampleSupporter(), rel7)
	if err != nil || got != "Figures of release 7 of November 3, 2026." {
		t.Fatalf("got %q, %v", got, err)
	}
	if ref, err := tm.renderReference(SampleSupporter(), rel7); err != nil || ref != got {
		t.Errorf("reference = %q, %v", ref, err)
	}
	// A source without a release cannot be cited: nothing half-rendered.
	for _, src := range []StatSource{testStats, nil, releaseStats{StatMap: testStats}} {
		if _, err := tm.Render(SampleSupporter(), src); !errors.Is(err, ErrNoRelease) || !errors.Is(err, ErrStatUnavailable) {
			t.Errorf("Render(%v) err = %v, want ErrNoRelease", src, err)
		}
	}
	// In a subject too.
	st, err := ParseSubject("s", "Release {{release_id}}", testStatKeys)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.Render(SampleSupporter(), rel7); err != nil || got != "Release 7" {
		t.Errorf("subject = %q, %v", got, err)
	}
	if tm := mustParse(t, "Hello {{.first_name}}"); tm.QuotesRelease() {
		t.Error("a template without figures QuotesRelease")
	}
}

func TestReleaseFunctionMisuse(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`{{release_id "7"}}`, "release_id takes no values"},
		{`{{.first_name | release_date}}`, "release_date takes no values"},
		{`{{if eq release_id "7"}}x{{end}}`, "must be in parentheses"},
		{`{{stat_available "nope"}}`, `unknown statistic "nope"`},
		{`{{stat_available}}`, "stat_available needs exactly one statistic key"},
		{`{{stat_available .city}}`, "must be written in quotes, e.g. {{stat_available"},
	} {
		_, err := Parse("t", tc.text, testStatKeys)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestStatAvailableGuard(t *testing.T) {
	text := `A {{stat "children_separated"}}.
{{if stat_available "children_unaccounted"}}B {{stat "children_unaccounted"}} unaccounted.
{{else}}B unknown.
{{end}}{{if and (stat_available "families_reunified") (stat_available "children_separated")}}C {{stat "families_reunified"}}.{{end}}
{{if stat_available "families_reunified"}}{{if .city}}D {{stat "families_reunified"}}{{end}}{{end}}`
	tm := mustParse(t, text)
	if u := tm.Unguarded(); !slices.Equal(u, []StatUse{{Key: "children_separated", Line: 1, Column: 5}}) {
		t.Errorf("Unguarded = %+v", u)
	}
	got, err := tm.Render(SampleSupporter(), rel7)
	want := "A 5,569.\nB unknown.\nC 4,227.\nD 4,227"
	if err != nil || got != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	if ref, err := tm.renderReference(SampleSupporter(), rel7); err != nil || ref != got {
		t.Errorf("reference = %q, %v", ref, err)
	}
	// A source that says nothing about availability publishes what it has.
	got, err = tm.Render(SampleSupporter(), testStats)
	if err != nil || !strings.Contains(got, "B 1,360 unaccounted.") {
		t.Errorf("got %q, %v", got, err)
	}
}

// The guard must name the same key; else branches, other conditions and
// a guard that ended do not count.
func TestUnguardedUses(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{`{{if stat_available "families_reunified"}}{{stat "children_unaccounted"}}{{end}}`, []string{"children_unaccounted"}},
		{`{{if stat_available "children_unaccounted"}}x{{else}}{{stat "children_unaccounted"}}{{end}}`, []string{"children_unaccounted"}},
		{`{{if stat_available "children_unaccounted"}}x{{end}}{{stat "children_unaccounted"}}`, []string{"children_unaccounted"}},
		{`{{if or (stat_available "children_unaccounted") .city}}{{stat "children_unaccounted"}}{{end}}`, []string{"children_unaccounted"}},
		{`{{if not (stat_available "children_unaccounted")}}{{stat "children_unaccounted"}}{{end}}`, []string{"children_unaccounted"}},
		{`{{if .city}}{{stat "children_unaccounted"}}{{end}}`, []string{"children_unaccounted"}},
		{`{{with stat "children_unaccounted"}}{{.}}{{end}}`, []string{"children_unaccounted"}},
		{`{{if .city}}x{{else if stat_available "children_unaccounted"}}{{stat "children_unaccounted"}}{{end}}`, nil},
	} {
		tm := mustParse(t, tc.text)
		var keys []string
		for _, u := range tm.Unguarded() {
			keys = append(keys, u.Key)
		}
		if !slices.Equal(keys, tc.want) {
			t.Errorf("%s: Unguarded = %v, want %v", tc.text, keys, tc.want)
		}
	}
}

// A value the release does not publish is never printed: not directly,
// not through {{with}}, and/or, nor in a subject.
func TestNotPublishedNeverPrinted(t *testing.T) {
	for _, text := range []string{
		`{{stat "children_unaccounted"}} children are unaccounted for.`,
		`{{with stat "children_unaccounted"}}{{.}} children{{end}}`,
		`{{or (stat "children_unaccounted") "many"}} children`,
		`{{if .city}}{{stat "children_unaccounted"}}{{end}}`,
	} {
		tm := mustParse(t, text)
		got, err := tm.Render(SampleSupporter(), rel7)
		if !errors.Is(err, ErrStatNotPublished) || !errors.Is(err, ErrStatUnavailable) || !strings.Contains(err.Error(), `"children_unaccounted"`) {
			t.Errorf("%s: got %q, %v; want ErrStatNotPublished naming the key", text, got, err)
		}
	}
	st, err := ParseSubject("s", `{{stat "children_unaccounted"}} children`, testStatKeys)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.Render(SampleSupporter(), rel7); !errors.Is(err, ErrStatNotPublished) {
		t.Errorf("subject = %q, %v", got, err)
	}
	// Testing or comparing it is fine: nothing is printed.
	tm := mustParse(t, `{{if eq (stat "children_unaccounted") "x"}}x{{else}}ok{{end}}`)
	if got, err := tm.Render(SampleSupporter(), rel7); err != nil || got != "ok" {
		t.Errorf("got %q, %v", got, err)
	}
}

// Committee fields are empty for most members: printed outside a test of
// the same field they are reported, with their position; inside {{if}},
// {{with}}, {{if and}} or the else of {{if not}} they are not.
func TestUnguardedBlank(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []FieldUse
	}{
		{"Dear friend,\nAs {{.committee_roles}}, please act.", []FieldUse{{"committee_roles", 2, 6}}},
		{`{{if .committee_roles}}As {{.committee_roles}}, please act.{{end}}`, nil},
		{`{{with .committee_names}}You sit on the {{.}}.{{end}}`, nil},
		{`{{if and .committee_names .city}}{{.committee_names}}{{end}}`, nil},
		{`{{if not .committee_roles}}Please act.{{else}}As {{.committee_roles}}, act.{{end}}`, nil},
		{`{{if not .committee_roles}}As {{.committee_roles}}{{end}}`, []FieldUse{{"committee_roles", 1, 33}}},
		{`{{if .committee_names}}{{.committee_roles}}{{end}}`, []FieldUse{{"committee_roles", 1, 26}}},
		{`{{if .committee_roles}}x{{end}} {{.committee_names}} and {{.committee_roles}}`, []FieldUse{{"committee_names", 1, 35}, {"committee_roles", 1, 60}}},
		{`{{.personal_note}} {{.district}}`, nil},
	} {
		tm := mustParse(t, tc.text)
		if got := tm.UnguardedBlank(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: UnguardedBlank = %v, want %v", tc.text, got, tc.want)
		}
	}
}
