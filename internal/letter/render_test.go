package letter

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

const allFieldsTemplate = `{{.date}}
To: {{.member_title}} {{.member_name}} ({{.chamber}}, {{.member_state}}{{if .district}}-{{.district}}{{end}})

{{.salutation}},

I am {{.first_name}} {{.last_name}} of {{.city}}, {{.state}}.
{{if .personal_note}}
{{.personal_note}}
{{end}}
{{stat "children_separated"}} children were separated.
`

func TestRenderAllFields(t *testing.T) {
	tm := mustParse(t, allFieldsTemplate)
	d := Data{
		FirstName: "María José", LastName: "Hernández", City: "San Juan", State: "PR",
		PersonalNote: "Line one.\nLine two <b>not html</b> & {{.first_name}} stays literal.",
		Salutation:   Salutation(Title("house", "PR"), "Hernández"),
		MemberName:   "Pablo José Hernández", MemberTitle: Title("house", "PR"),
		Chamber: "house", MemberState: "PR", District: "AL", Date: "June 1, 2026",
	}
	got, err := tm.Render(d, testStats)
	if err != nil {
		t.Fatal(err)
	}
	want := `June 1, 2026
To: Resident Commissioner Pablo José Hernández (house, PR-AL)

Dear Resident Commissioner Hernández,

I am María José Hernández of San Juan, PR.

Line one.
Line two <b>not html</b> & {{.first_name}} stays literal.

5,569 children were separated.
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if ref, err := tm.renderReference(d, testStats); err != nil || ref != got {
		t.Errorf("reference = %q, %v", ref, err)
	}
}

func TestRenderWithoutPersonalNote(t *testing.T) {
	tm := mustParse(t, "Hello.\n{{if .personal_note}}\nIn my words: {{.personal_note}}\n{{end}}\nBye.")
	d := SampleSupporter()
	d.PersonalNote = ""
	got, err := tm.Render(d, nil)
	if err != nil || got != "Hello.\n\nBye." {
		t.Fatalf("got %q, %v", got, err)
	}
	d.PersonalNote = "Please act."
	got, _ = tm.Render(d, nil)
	if got != "Hello.\n\nIn my words: Please act.\n\nBye." {
		t.Fatalf("got %q", got)
	}
}

func TestRenderUnicode(t *testing.T) {
	tm := mustParse(t, "{{.salutation}}: {{.first_name}} {{.last_name}} ({{len .last_name}} bytes)")
	d := Data{FirstName: "Zoë", LastName: "Hernández", Salutation: SalutationES("Resident Commissioner", "Hernández")}
	got, err := tm.Render(d, nil)
	if err != nil || got != "Estimado/a Comisionado/a Residente Hernández: Zoë Hernández (10 bytes)" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestRenderStatUnavailable(t *testing.T) {
	tm := mustParse(t, `{{stat "children_unaccounted"}}`)
	_, err := tm.Render(SampleSupporter(), StatMap{})
	if !errors.Is(err, ErrStatUnavailable) || !strings.Contains(err.Error(), "children_unaccounted") {
		t.Fatalf("err = %v", err)
	}
	if _, err := tm.Render(SampleSupporter(), nil); !errors.Is(err, ErrStatUnavailable) {
		t.Fatalf("nil source: err = %v", err)
	}
	got, err := tm.Render(SampleSupporter(), StatFunc(func(k string) (string, bool) { return "<" + k + ">", true }))
	if err != nil || got != "<children_unaccounted>" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestSubjectRender(t *testing.T) {
	sub, err := ParseSubject("s", `{{.first_name}} {{.last_name}} asks {{.member_title}} {{.member_name}}: {{stat "children_separated"}} separated`, testStatKeys)
	if err != nil {
		t.Fatal(err)
	}
	if !sub.IsSubject() {
		t.Error("IsSubject")
	}
	for _, tc := range []struct {
		first, last, stat string
		want              string
	}{
		{"Ana", "García", "5,569", "Ana García asks Senator Mark Kelly: 5,569 separated"},
		// CR/LF in a value must not inject a header line.
		{"Ana\r\nBcc: victim@example.com", "García", "5,569", "Ana Bcc: victim@example.com García asks Senator Mark Kelly: 5,569 separated"},
		{"Ana\n", "\rGarcía\t", "5,569\n", "Ana García asks Senator Mark Kelly: 5,569 separated"},
		{"Ana\u2028Line", "\u0085García\x00", "5\u2029569", "Ana Line García asks Senator Mark Kelly: 5 569 separated"},
		// HTML tags in values become spaces, so nesting cannot rebuild a tag.
		{"<b>Ana</b>", "<<i>script>García", "5,569", "Ana < script>García asks Senator Mark Kelly: 5,569 separated"},
		{"", "", "", "asks Senator Mark Kelly: separated"},
	} {
		d := SampleSupporter()
		d.FirstName, d.LastName = tc.first, tc.last
		got, err := sub.Render(d, StatMap{"children_separated": tc.stat})
		if err != nil {
			t.Errorf("Render(%q, %q): %v", tc.first, tc.last, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Render(%q, %q) = %q, want %q", tc.first, tc.last, got, tc.want)
		}
		if strings.ContainsAny(got, "\r\n") || tagRE.MatchString(got) {
			t.Errorf("subject %q has a line break or a tag", got)
		}
	}
}

func TestSubjectLength(t *testing.T) {
	sub, err := ParseSubject("s", "Re: {{.first_name}}", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := SampleSupporter()
	d.FirstName = strings.Repeat("é", MaxSubjectRunes-4) // 200 characters, 396 bytes
	got, err := sub.Render(d, nil)
	if err != nil || utf8.RuneCountInString(got) != MaxSubjectRunes {
		t.Fatalf("200 characters: %v", err)
	}
	d.FirstName += "é"
	if _, err := sub.Render(d, nil); !errors.Is(err, ErrSubjectTooLong) {
		t.Fatalf("201 characters: err = %v", err)
	}
	d.FirstName = strings.Repeat("x", 1<<20)
	if _, err := sub.Render(d, nil); !errors.Is(err, ErrSubjectTooLong) {
		t.Fatalf("1 MiB: err = %v", err)
	}
}

func TestSubjectRefusals(t *testing.T) {
	for _, tc := range []refusal{
		{"newline", "Hello\n{{.first_name}}", 1, 6, "single line"},
		{"crlf after action", "{{.first_name}} asks\r\n", 1, 21, "single line"},
		{"newline in if", "{{if .city}}a\nb{{end}}", 1, 14, "single line"},
		{"html tag", "Hi <b>{{.first_name}}</b>", 1, 4, "HTML tags such as <b>"},
		{"too long", strings.Repeat("x", 150) + "{{.first_name}}" + strings.Repeat("é", 60), 1, 216, "at most 200 characters"},
		{"unknown field", "Re: {{.frist_name}}", 1, 7, "unknown field"},
		{"too long with sample", "{{.personal_note}} {{.personal_note}} {{.personal_note}}", 0, 0, "characters, the limit is 200 (with the sample supporter)"},
		{"printf", `{{printf "%s" .city}}`, 1, 3, "not allowed"},
	} {
		_, err := ParseSubject("s", tc.text, nil)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: err = %v", tc.name, err)
			continue
		}
		e := ve.Errors[0]
		if e.Field != "subject" || e.Line != tc.line || e.Column != tc.col || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: first error %+v, want %d:%d %q", tc.name, e, tc.line, tc.col, tc.msg)
		}
	}
}

// hugeTemplate repeats an action many times: with the sample supporter
// (an 88-byte note) it renders ~45 KB and passes validation; with a
// 10 KB note it would render 5 MB.
var hugeTemplate = strings.Repeat("{{.personal_note}}\n", 500)

func TestRenderTooLargeFailsFast(t *testing.T) {
	tm := mustParse(t, hugeTemplate)
	d := SampleSupporter()
	d.PersonalNote = strings.Repeat("0123456789", 1024) // 10 KB → 5 MB output
	stats := StatMap{}

	if _, err := tm.Render(d, stats); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	allocs := testing.AllocsPerRun(20, func() { _, _ = tm.Render(d, stats) })
	bytes := allocatedBytes(func() { _, _ = tm.Render(d, stats) })
	t.Logf("failed render: %.0f allocs, %d bytes allocated", allocs, bytes)
	if allocs > 10 {
		t.Errorf("%.0f allocations per failed render", allocs)
	}
	// The output buffer may grow to the 64 KiB cap; never to megabytes.
	if bytes > 512<<10 {
		t.Errorf("a failed render allocated %d bytes", bytes)
	}

	// A smaller cap.
	if _, err := tm.RenderWith(context.Background(), SampleSupporter(), stats, Limits{MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxBytes 100: err = %v", err)
	}
}

func TestRenderHugeValue(t *testing.T) {
	tm := mustParse(t, "Note: {{.personal_note}}")
	d := SampleSupporter()
	d.PersonalNote = strings.Repeat("x", 16<<20) // 16 MiB, allocated by the caller
	var err error
	bytes := allocatedBytes(func() { _, err = tm.Render(d, nil) })
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	t.Logf("failed render of a 16 MiB value: %d bytes allocated", bytes)
	if bytes > 256<<10 {
		t.Errorf("allocated %d bytes", bytes)
	}
	// len still sees the whole value.
	tl := mustParse(t, "{{len .personal_note}}")
	if got, _ := tl.Render(d, nil); got != fmt.Sprint(16<<20) {
		t.Errorf("len = %s", got)
	}
}

func allocatedBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestRenderTimeout(t *testing.T) {
	tm := mustParse(t, `{{stat "children_separated"}}`+hugeTemplate)
	// The statistics lookup happens before execution; make it slow.
	slow := StatFunc(func(string) (string, bool) {
		time.Sleep(5 * time.Millisecond)
		return "1", true
	})
	_, err := tm.RenderWith(context.Background(), SampleSupporter(), slow, Limits{Timeout: time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}

	// A context cancelled while rendering is noticed by the writer.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelling := StatFunc(func(string) (string, bool) { cancel(); return "1", true })
	if _, err := tm.RenderWith(ctx, SampleSupporter(), cancelling, Limits{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := tm.RenderWith(ctx, SampleSupporter(), testStats, Limits{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("already cancelled: err = %v", err)
	}
}

func TestLimitedWriterDeadline(t *testing.T) {
	w := limitedWriter{max: 1 << 20, deadline: time.Now().Add(-time.Second), ctx: context.Background()}
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = w.WriteString("x")
	}
	if !errors.Is(err, ErrTimeout) || w.b.Len() >= 100 {
		t.Fatalf("err = %v after %d bytes", err, w.b.Len())
	}
	w = limitedWriter{max: 10, deadline: time.Now().Add(time.Hour), ctx: context.Background()}
	if err := w.WriteString("0123456789"); err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]byte("x")); !errors.Is(err, ErrTooLarge) || w.b.Len() != 10 {
		t.Fatalf("err = %v, len %d", err, w.b.Len())
	}
}

func TestRenderConcurrent(t *testing.T) {
	tm := mustParse(t, allFieldsTemplate)
	want, _ := tm.Render(SampleSupporter(), testStats)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if got, err := tm.Render(SampleSupporter(), testStats); err != nil || got != want {
					t.Errorf("concurrent render: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestNilTemplate(t *testing.T) {
	var tm *Template
	if _, err := tm.Render(Data{}, nil); err == nil {
		t.Fatal("want error")
	}
}

func TestOneLineAndStripTags(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"plain":              "plain",
		" lead":              "lead",
		"trail ":             "trail",
		"a  b":               "a b",
		"a\r\n\tb":           "a b",
		"García":             "García",
		"x\u00a0\u2028y":     "x y",
		"\x00\x1b[31mred":    "[31mred",
		"tab\tand\vvertical": "tab and vertical",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"<b>x</b>":             "x",
		"a < b > c":            "a < b > c",
		"<<b>script>alert(1)":  "< script>alert(1)",
		"<3 you":               "<3 you",
		"<!-- c -->x<?php ?>":  "x",
		"<a href='x'>link</a>": "link",
		"<<<<b>b>b>b>x":        "<<< b>b>b>x",
		"x<br>y":               "x y",
		"unterminated <b":      "unterminated <b",
	} {
		if got := oneLine(stripTags(in)); got != want {
			t.Errorf("stripTags(%q) = %q, want %q", in, got, want)
		}
	}
}
