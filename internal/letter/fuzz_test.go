package letter

import (
	"errors"
	"strings"
	"testing"
	"text/template"
	"unicode/utf8"
)

var fuzzData = []Data{
	SampleSupporter(),
	{},
	{FirstName: "Ana\r\nBcc: x", LastName: "<b>G</b>", City: "0", State: "PR", PersonalNote: "a\nb",
		Salutation: "Dear Delegate Norton", Chamber: "house", MemberState: "DC", District: "AL", Date: "x"},
}

// FuzzParse checks, for any input: Parse never panics; refusals carry
// positions inside the text; whatever the standard text/template refuses
// is refused too; and an accepted template renders exactly as
// text/template renders the same tree.
func FuzzParse(f *testing.F) {
	for _, r := range refusals {
		f.Add(r.text, false)
	}
	for _, s := range []string{allFieldsTemplate, benchLetter, hugeTemplate,
		"{{with .district}}D{{.}}{{else with .member_state}}S{{.}}{{else}}none{{end}}",
		"{{and .city .state}}|{{or .district .city}}|{{or .district \"none\"}}|{{not .city}}",
		"{{1}} {{1.5}} {{0x10}} {{'a'}} {{1e3}} {{true}} {{\"lit\"}} {{`raw`}} {{1e21}} {{0.000001}}",
		"{{if eq (len .first_name) 3}}three{{end}}{{with eq .state \"AZ\"}}{{.}}{{end}}",
		"{{with and .district 5}}{{len .}}{{end}}", "{{with or .district 1.5}}{{eq . 1.5}}{{end}}",
		"Re: {{.first_name}} {{.last_name}}",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, text string, subject bool) {
		parseFn := Parse
		if subject {
			parseFn = ParseSubject
		}
		tm, err := parseFn("fuzz", text, testStatKeys)
		_, stdErr := template.New("std").Funcs(template.FuncMap{"stat": func(string) string { return "" }}).Parse(text)
		// The ported lexer agrees with text/template on what scans.
		if items := lexAll(text); items[len(items)-1].typ == itemError && stdErr == nil && utf8.ValidString(text) {
			t.Fatalf("lexer refuses %q (%s) but text/template parses it", text, items[len(items)-1].val)
		}
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) == 0 {
				t.Fatalf("Parse(%q): %v", text, err)
			}
			lines := strings.Split(text, "\n")
			for _, e := range ve.Errors {
				if e.Line == 0 && e.Column == 0 {
					continue
				}
				if e.Line < 1 || e.Line > len(lines) || e.Column < 1 || e.Column > utf8.RuneCountInString(lines[e.Line-1])+1 {
					t.Fatalf("Parse(%q): error %+v outside the text", text, e)
				}
			}
			return
		}
		if stdErr != nil {
			t.Fatalf("Parse(%q) accepted what text/template refuses: %v", text, stdErr)
		}
		for _, d := range fuzzData {
			got, err := tm.Render(d, testStats)
			if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrSubjectTooLong) {
				continue
			}
			ref, refErr := tm.renderReference(d, testStats)
			if (err == nil) != (refErr == nil) || got != ref {
				t.Fatalf("template %q data %+v:\ndirect    %q, %v\nreference %q, %v", text, d, got, err, ref, refErr)
			}
			if subject && strings.ContainsAny(got, "\r\n") {
				t.Fatalf("subject %q renders a line break: %q", text, got)
			}
		}
	})
}
