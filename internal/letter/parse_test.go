package letter

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
)

var testStatKeys = []string{"children_separated", "families_reunified", "children_unaccounted"}

var testStats = StatMap{"children_separated": "5,569", "families_reunified": "4,227", "children_unaccounted": "1,360"}

func mustParse(t testing.TB, text string) *Template {
	t.Helper()
	tm, err := Parse("test", text, testStatKeys)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return tm
}

func TestParseValid(t *testing.T) {
	d := SampleSupporter()
	for _, tc := range []struct{ text, want string }{
		{"Hello {{.first_name}}!", "Hello Ana!"},
		{"{{.first_name}} {{.last_name}}, {{.city}}, {{.state}}", "Ana García, Tucson, AZ"},
		{`{{stat "children_separated"}} children`, "5,569 children"},
		{"{{if .personal_note}}Note: {{.personal_note}}{{end}}", "Note: " + d.PersonalNote},
		{"{{if not .district}}no district{{else}}district {{.district}}{{end}}", "no district"},
		{`{{if eq .chamber "senate"}}S{{else if eq .chamber "house"}}H{{else}}?{{end}}`, "S"},
		{`{{if ne .state "CA"}}not CA{{end}}`, "not CA"},
		{`{{if eq .state "CA" "AZ" "NM"}}border state{{end}}`, "border state"},
		{"{{if and .city .state}}both{{end}}{{if or .district .city}} either{{end}}", "both either"},
		{"{{and .city .state}}|{{or .district .city}}|{{or .district \"none\"}}", "AZ|Tucson|none"},
		{"{{len .first_name}} {{.first_name | len}}", "3 3"},
		{"{{if eq (len .first_name) 3}}three{{end}}", "three"},
		{`{{"Ana" | eq .first_name}}`, "true"},
		{"{{with .personal_note}}P.S. {{.}} — {{.first_name}}{{end}}", "P.S. " + d.PersonalNote + " — Ana"},
		{"{{with .district}}D{{.}}{{else with .member_state}}S{{.}}{{else}}none{{end}}", "SAZ"},
		{"{{with eq .state \"AZ\"}}{{.}}{{end}}", "true"},
		{"a  {{- .first_name -}}  b", "aAnab"},
		{"x{{/* a comment */}}y", "xy"},
		{"{{1}} {{1.5}} {{0x10}} {{'a'}} {{1e3}} {{true}} {{\"lit\"}} {{`raw`}}", "1 1.5 16 97 1000 true lit raw"},
		{"{{.salutation}},", "Dear Senator Kelly,"},
		{"{{ .member_title }} {{ .member_name }} ({{ .member_state }})", "Senator Mark Kelly (AZ)"},
		{"{{.date}}", "March 3, 2026"},
		{"multi\nline\n{{.first_name}}\n", "multi\nline\nAna\n"},
		{"{{(.first_name)}}", "Ana"},
		{"{{if (and .city (not .district))}}ok{{end}}", "ok"},
	} {
		tm := mustParse(t, tc.text)
		got, err := tm.Render(d, testStats)
		if err != nil {
			t.Errorf("Render(%q): %v", tc.text, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Render(%q) = %q, want %q", tc.text, got, tc.want)
		}
		ref, err := tm.renderReference(d, testStats)
		if err != nil || ref != got {
			t.Errorf("text/template reference for %q = %q, %v; direct = %q", tc.text, ref, err, got)
		}
	}
}

type refusal struct {
	name      string
	text      string
	line, col int
	msg       string // substring of the first error's message
}

// refusals lists every kind of refused template with the exact position
// of the first error. Columns count characters, not bytes.
var refusals = []refusal{
	// Unknown fields.
	{"unknown field", "Hello {{.frist_name}}", 1, 9, "unknown field {{.frist_name}}; did you mean {{.first_name}}?"},
	{"unknown field line 3", "Dear {{.salutation}},\n\nI live in {{.cty}}, {{.state}}.", 3, 13, "unknown field {{.cty}}; did you mean {{.city}}?"},
	{"unknown field after unicode", "Querida Sra. Hernández, {{.frist_name}}", 1, 27, "unknown field"},
	{"unknown field camel case", "{{.firstName}}", 1, 3, "did you mean {{.first_name}}?"},
	{"unknown field in if", "{{if .personal}}x{{end}}", 1, 6, "unknown field {{.personal}}; did you mean {{.personal_note}}?"},
	{"unknown field nested", "{{.frist_name.Foo}}", 1, 3, "unknown field {{.frist_name}}"},
	{"missing dot", "{{first_name}}", 1, 3, `unknown function "first_name"; to insert the field write {{.first_name}}`},
	// Statistics.
	{"unknown stat", `In total {{stat "childrn_separated"}} children`, 1, 17, `unknown statistic "childrn_separated" (did you mean "children_separated"?); valid statistics: children_separated, children_unaccounted, families_reunified`},
	{"stat key not quoted", "{{stat .first_name}}", 1, 8, "must be written in quotes"},
	{"stat no key", "{{stat}}", 1, 3, "stat needs exactly one statistic key"},
	{"stat two keys", `{{stat "children_separated" "families_reunified"}}`, 1, 3, "stat needs exactly one statistic key"},
	{"stat piped", `{{"children_separated" | stat}}`, 1, 26, "stat needs exactly one statistic key"},
	// Forbidden actions.
	{"template", `{{template "x"}}`, 1, 3, "{{template}} is not allowed"},
	{"template with data", "Hi\n  {{ template \"x\" . }}", 2, 6, "{{template}} is not allowed"},
	{"define", `{{define "x"}}hi{{end}}`, 1, 3, "{{define}} is not allowed"},
	{"define bare", "{{define}}", 1, 3, "{{define}} is not allowed"},
	{"block", `{{block "x" .}}b{{end}}`, 1, 3, "{{block}} is not allowed"},
	{"range", "x\n {{range .first_name}}{{end}}", 2, 4, "{{range}} is not allowed"},
	{"range bare", "{{range}}", 1, 3, "{{range}} is not allowed"},
	{"break", "{{break}}", 1, 3, "{{break}} is not allowed"},
	{"continue", "{{- continue}}", 1, 5, "{{continue}} is not allowed"},
	// Forbidden functions.
	{"printf", `{{printf "%s" .first_name}}`, 1, 3, `function "printf" is not allowed; allowed functions: and, eq, len, ne, not, or, release_date, release_id, stat, stat_available`},
	{"printf piped", `{{ .first_name | printf "%q" }}`, 1, 18, `function "printf" is not allowed`},
	{"print", "{{print .city}}", 1, 3, `function "print" is not allowed`},
	{"println", "{{println}}", 1, 3, `function "println" is not allowed`},
	{"call", "{{call .first_name}}", 1, 3, `function "call" is not allowed`},
	{"index", "{{index .first_name 0}}", 1, 3, `function "index" is not allowed`},
	{"slice", "{{slice .first_name 1}}", 1, 3, `function "slice" is not allowed`},
	{"js", "{{js .first_name}}", 1, 3, `function "js" is not allowed`},
	{"html", "{{html .first_name}}", 1, 3, `function "html" is not allowed`},
	{"urlquery", "{{urlquery .city}}", 1, 3, `function "urlquery" is not allowed`},
	{"lt", "{{if lt 1 2}}x{{end}}", 1, 6, `function "lt" is not allowed`},
	{"unknown function", "{{shout .city}}", 1, 3, `unknown function "shout"`},
	{"function as value", "{{if not len}}x{{end}}", 1, 10, "must be in parentheses"},
	// Methods, nested fields, variables, dot, nil.
	{"method-ish", "{{.first_name.Foo}}", 1, 14, "fields have no sub-fields or methods: write {{.first_name}}, not {{.first_name.Foo}}"},
	{"method-ish deep", "Dear {{.salutation.Len.X}}", 1, 19, "fields have no sub-fields or methods"},
	{"chain", "{{(.first_name).Foo}}", 1, 16, "fields have no sub-fields or methods"},
	{"field with args", "{{ .first_name 2 }}", 1, 16, ".first_name is not a function and cannot take arguments"},
	{"field after pipe", "{{.first_name | .last_name}}", 1, 17, "only a function"},
	{"variable declaration", "{{$x := .first_name}}{{$x}}", 1, 3, "variables such as $x are not supported"},
	{"variable root", "{{$.first_name}}", 1, 3, "variables such as $ are not supported"},
	{"variable assignment", "{{with $y := .city}}{{$y = .state}}{{end}}", 1, 8, "variables such as $y are not supported"},
	{"dot outside with", "{{.}}", 1, 3, "{{.}} can only be used inside {{with}}"},
	{"dot in with else", "{{with .district}}{{.}}{{else}}{{.}}{{end}}", 1, 34, "{{.}} can only be used inside {{with}}"},
	{"nil", "{{if eq .city nil}}x{{end}}", 1, 15, "nil is not allowed"},
	// Static type and arity checks.
	{"eq text number", "{{if eq .district 5}}x{{end}}", 1, 6, "eq cannot compare text with a whole number"},
	{"eq arity", "{{if eq .chamber}}x{{end}}", 1, 6, "eq needs two or more values"},
	{"ne arity", `{{if ne .chamber "a" "b"}}x{{end}}`, 1, 6, "ne needs exactly two values"},
	{"not arity", "{{not}}", 1, 3, "not needs exactly one value"},
	{"len of number", "{{len 3}}", 1, 3, "len needs text, not a whole number"},
	{"complex", "{{1i}}", 1, 3, "complex numbers are not supported"},
	// Syntax errors: text/template reports the line; the column is ours.
	{"syntax bad character", "{{.first_name}", 1, 14, "bad character U+007D '}'"},
	{"syntax bad character line 3", "Dear {{.salutation}},\n\nThanks, {{.first_name}\n", 3, 22, "bad character U+007D '}'"},
	{"syntax missing if value", "Hello\n  {{.first_name}} {{if}}", 2, 23, "missing value for if"},
	{"syntax unclosed if", "{{if .first_name}}x", 1, 20, "the {{if}} at line 1, column 3 has no matching {{end}}"},
	{"syntax unclosed with multiline", "Dear {{.salutation}},\n{{with .personal_note}}\nP.S. {{.}}\n", 4, 1, "the {{with}} at line 2, column 3 has no matching {{end}}"},
	{"syntax stray end", "a\n{{end}}", 2, 1, "unexpected {{end}}"},
	{"syntax stray else", "x {{ else }}", 1, 3, "unexpected {{else}}"},
	{"syntax double else", "{{if .first_name}}x{{else}}y{{else}}z{{end}}", 1, 29, "expected end; found {{else}}"},
	{"syntax unicode column", "héllo {{ .first_name ¢ }}", 1, 22, "unrecognized character in action: U+00A2 '¢'"},
	{"syntax unterminated string", `{{"abc}}`, 1, 3, "unterminated quoted string"},
	{"syntax unclosed paren", "Dear {{.salutation}} {{(}}", 1, 25, "unclosed left paren"},
	{"syntax right paren", "{{.first_name )}}", 1, 15, "unexpected right paren"},
	{"syntax unclosed comment", "ok {{/* unclosed", 1, 6, "unclosed comment"},
	{"syntax unclosed action", "ok {{.first_name", 1, 17, "unclosed action"},
	{"syntax empty action", "Dear\n\n   {{ }}", 3, 7, "missing value for command"},
	{"syntax operand", "{{.city \"a\"b}}", 1, 12, `unexpected "b" in operand`},
	{"syntax else in text", "{{if .city}}a{{else}}b{{end}}{{end}}", 1, 30, "unexpected {{end}}"},
	// Whole-template problems.
	{"empty", "  \n ", 0, 0, "is empty"},
	{"too big output", strings.Repeat("{{.personal_note}}", 1000), 0, 0, "renders to more than 64 KiB"},
}

func TestParseRefusals(t *testing.T) {
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			tm, err := Parse("test", tc.text, testStatKeys)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want refusal", tc.text)
			}
			if tm != nil {
				t.Errorf("Parse returned a template with an error")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v, want *ValidationError", err, err)
			}
			if len(ve.Errors) == 0 {
				t.Fatal("no errors")
			}
			e := ve.Errors[0]
			if e.Field != "template" || e.Line != tc.line || e.Column != tc.col || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("Parse(%q) first error = %+v\nwant line %d, column %d, message containing %q",
					tc.text, e, tc.line, tc.col, tc.msg)
			}
			if !slices.Equal(ve.ValidFields, FieldNames()) {
				t.Errorf("ValidFields = %v", ve.ValidFields)
			}
			if !slices.Equal(ve.ValidStatKeys, []string{"children_separated", "children_unaccounted", "families_reunified"}) {
				t.Errorf("ValidStatKeys = %v", ve.ValidStatKeys)
			}
			// Syntax errors: our line must be the one text/template reports.
			if strings.HasPrefix(tc.name, "syntax") {
				if line := stdParseErrorLine(t, tc.text); line != tc.line {
					t.Errorf("text/template reports line %d, we report %d", line, tc.line)
				}
			}
		})
	}
}

// stdParseErrorLine parses with the standard text/template (all its
// functions plus stat) and returns the line of its error.
func stdParseErrorLine(t *testing.T, text string) int {
	t.Helper()
	_, err := template.New("std").Funcs(template.FuncMap{"stat": func(string) string { return "" }}).Parse(text)
	if err == nil {
		t.Fatalf("text/template accepts %q", text)
	}
	m := regexp.MustCompile(`^template: std:(\d+):`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("unexpected text/template error %v", err)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestUnknownFieldErrorText(t *testing.T) {
	_, err := Parse("t", "Hi {{.frist_name}}", nil)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	want := "letter: invalid template: template:1:6: unknown field {{.frist_name}}; did you mean {{.first_name}}? (valid fields: chamber, city, committee_names, committee_roles, constituent_count, date, district, first_letter_date, first_name, last_name, member_name, member_phrase, member_state, member_title, personal_note, salutation, state)"
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err, want)
	}
	if len(ve.ValidStatKeys) != 0 {
		t.Errorf("ValidStatKeys = %v", ve.ValidStatKeys)
	}
}

func TestParseNoStatKeys(t *testing.T) {
	_, err := Parse("t", `{{stat "children_separated"}}`, nil)
	if err == nil || !strings.Contains(err.Error(), "no statistics are available") {
		t.Fatalf("err = %v", err)
	}
}

func TestMultipleErrorsSorted(t *testing.T) {
	text := "{{.b}}\n{{printf \"x\"}} {{.a}}\n{{template \"t\"}}"
	_, err := Parse("t", text, nil)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ve.Errors {
		got = append(got, strconv.Itoa(e.Line)+":"+strconv.Itoa(e.Column))
	}
	if want := []string{"1:3", "2:3", "2:18", "3:3"}; !slices.Equal(got, want) {
		t.Errorf("positions = %v, want %v (%v)", got, want, ve.Errors)
	}
	// When a refused keyword also breaks the syntax, only the keyword
	// is reported (the syntax error is its consequence).
	_, err = Parse("t", "{{.b}}\n{{define}}", nil)
	if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Line != 2 || ve.Errors[0].Column != 3 {
		t.Fatalf("err = %v", err)
	}
}

func TestTooManyErrorsCapped(t *testing.T) {
	_, err := Parse("t", strings.Repeat("{{.nope}}\n", 200), nil)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != maxErrors {
		t.Fatalf("err = %v", err)
	}
}

func TestTemplateTooBig(t *testing.T) {
	_, err := Parse("t", strings.Repeat("x", MaxTemplateBytes+1), nil)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Line != 0 || !strings.Contains(ve.Errors[0].Message, "too long") {
		t.Fatalf("err = %v", err)
	}
}

func TestInvalidUTF8(t *testing.T) {
	_, err := Parse("t", "ab\ncd\xffe", nil)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Line != 2 || ve.Errors[0].Column != 3 {
		t.Fatalf("err = %v", err)
	}
}

func TestTemplateAccessors(t *testing.T) {
	tm := mustParse(t, `{{.last_name}} {{if .city}}{{stat "families_reunified"}}{{end}} {{.first_name}} {{stat "children_separated"}} {{.first_name}}`)
	if got, want := tm.Fields(), []string{"city", "first_name", "last_name"}; !slices.Equal(got, want) {
		t.Errorf("Fields = %v", got)
	}
	if got, want := tm.StatKeys(), []string{"children_separated", "families_reunified"}; !slices.Equal(got, want) {
		t.Errorf("StatKeys = %v", got)
	}
	if tm.Name() != "test" || tm.IsSubject() || !strings.HasPrefix(tm.Text(), "{{.last_name}}") {
		t.Error("accessors")
	}
}

func TestFieldsAlwaysMeanLetterFields(t *testing.T) {
	// Inside {{with}}, dot changes but fields still mean the letter's.
	tm := mustParse(t, "{{with .city}}{{.}}/{{.first_name}}/{{with .state}}{{.}}{{.city}}{{end}}{{end}}")
	got, err := tm.Render(SampleSupporter(), nil)
	if err != nil || got != "Tucson/Ana/AZTucson" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestParseLetter(t *testing.T) {
	l, err := ParseLetter("l", "Oversight request from {{.first_name}}", "{{.salutation}},\n{{stat \"children_separated\"}}", testStatKeys)
	if err != nil {
		t.Fatal(err)
	}
	s, b, err := l.Render(SampleSupporter(), testStats)
	if err != nil || s != "Oversight request from Ana" || b != "Dear Senator Kelly,\n5,569" {
		t.Fatalf("%q %q %v", s, b, err)
	}
	_, err = ParseLetter("l", "Hi\n{{.first_name}}", "{{.frist_name}}", testStatKeys)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 2 {
		t.Fatalf("err = %v", err)
	}
	if e := ve.Errors[0]; e.Field != "subject" || e.Line != 1 || e.Column != 3 {
		t.Errorf("subject error %+v", e)
	}
	if e := ve.Errors[1]; e.Field != "template" || e.Line != 1 || e.Column != 3 {
		t.Errorf("template error %+v", e)
	}
}

func TestSuggest(t *testing.T) {
	names := FieldNames()
	for in, want := range map[string]string{
		"frist_name": "first_name", "FirstName": "first_name", "lastname": "last_name",
		"personal_nte": "personal_note", "zzz": "", "stat": "state", "memberstate": "member_state",
	} {
		if got := suggest(in, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
