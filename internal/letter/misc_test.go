package letter

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestTitleAndSalutation(t *testing.T) {
	for _, tc := range []struct{ chamber, state, title, last, en, es string }{
		{"senate", "CA", "Senator", "Padilla", "Dear Senator Padilla", "Estimado/a Senador/a Padilla"},
		{"Senate", "pr", "Senator", "X", "Dear Senator X", "Estimado/a Senador/a X"},
		{"house", "CA", "Representative", "Pelosi", "Dear Representative Pelosi", "Estimado/a Representante Pelosi"},
		{"House", "DC", "Delegate", "Norton", "Dear Delegate Norton", "Estimado/a Delegado/a Norton"},
		{"house", "GU", "Delegate", "Moylan", "Dear Delegate Moylan", "Estimado/a Delegado/a Moylan"},
		{"house", "VI", "Delegate", "Plaskett", "Dear Delegate Plaskett", "Estimado/a Delegado/a Plaskett"},
		{"house", "AS", "Delegate", "Radewagen", "Dear Delegate Radewagen", "Estimado/a Delegado/a Radewagen"},
		{"house", " mp ", "Delegate", "King-Hinds", "Dear Delegate King-Hinds", "Estimado/a Delegado/a King-Hinds"},
		{"house", "PR", "Resident Commissioner", "Hernández", "Dear Resident Commissioner Hernández", "Estimado/a Comisionado/a Residente Hernández"},
		{"lower", "Puerto Rico", "Resident Commissioner", "Hernández", "Dear Resident Commissioner Hernández", "Estimado/a Comisionado/a Residente Hernández"},
		{"", "District of Columbia", "Delegate", "Norton", "Dear Delegate Norton", "Estimado/a Delegado/a Norton"},
		{"upper", "", "Senator", "  Van  Hollen ", "Dear Senator Van Hollen", "Estimado/a Senador/a Van Hollen"},
	} {
		title := Title(tc.chamber, tc.state)
		if title != tc.title {
			t.Errorf("Title(%q, %q) = %q, want %q", tc.chamber, tc.state, title, tc.title)
		}
		if got := Salutation(title, tc.last); got != tc.en {
			t.Errorf("Salutation(%q, %q) = %q, want %q", title, tc.last, got, tc.en)
		}
		if got := SalutationES(title, tc.last); got != tc.es {
			t.Errorf("SalutationES(%q, %q) = %q, want %q", title, tc.last, got, tc.es)
		}
	}
	if got := TitleES("house", "PR"); got != "Comisionado/a Residente" {
		t.Errorf("TitleES = %q", got)
	}
	if got := SalutationES("Senador/a", "Padilla"); got != "Estimado/a Senador/a Padilla" {
		t.Errorf("SalutationES(Spanish title) = %q", got)
	}
	for _, tc := range [][3]string{
		{"", "", "Dear Member of Congress"},
		{"Senator", "", "Dear Senator"},
		{"", "Padilla", "Dear Padilla"},
	} {
		if got := Salutation(tc[0], tc[1]); got != tc[2] {
			t.Errorf("Salutation(%q, %q) = %q", tc[0], tc[1], got)
		}
	}
}

func TestFieldNamesAndDocs(t *testing.T) {
	names := FieldNames()
	want := []string{"chamber", "city", "committee_names", "committee_roles", "constituent_count", "date", "district", "first_letter_date", "first_name", "last_name", "member_name",
		"member_phrase", "member_state", "member_title", "personal_note", "salutation", "state"}
	if !slices.Equal(names, want) || !sort.StringsAreSorted(names) {
		t.Fatalf("FieldNames = %v", names)
	}
	docs := FieldDocs()
	if len(docs) != len(names) {
		t.Fatal("FieldDocs length")
	}
	d := SampleSupporter()
	for i, doc := range docs {
		if doc.Name != names[i] || doc.Description == "" || strings.Contains(doc.Description, "\n") {
			t.Errorf("doc %+v", doc)
		}
		// Every field can be used, and renders its example.
		tm := mustParse(t, "{{."+doc.Name+"}}")
		if got, _ := tm.Render(d, nil); got != doc.Example {
			t.Errorf("{{.%s}} = %q, example %q", doc.Name, got, doc.Example)
		}
	}
	if d.FirstName != "Ana" || d.LastName != "García" || d.City != "Tucson" || d.State != "AZ" || d.PersonalNote == "" {
		t.Errorf("SampleSupporter = %+v", d)
	}
	if got := AllowedFuncs(); !slices.Equal(got, []string{"and", "eq", "len", "ne", "not", "or", "release_date", "release_id", "stat", "stat_available"}) {
		t.Errorf("AllowedFuncs = %v", got)
	}
}

// Data.value must number the fields in the order of the fields table.
func TestDataValuesOrder(t *testing.T) {
	d := Data{"fn", "ln", "ci", "st", "pn", "sa", "mn", "mt", "mp", "ch", "ms", "di", "da", "fd", "cc", "cn", "cr"}
	for i, f := range fields {
		if v := d.value(i); v != f.get(&d) {
			t.Errorf("value(%d) = %q, field %s is %q", i, v, f.name, f.get(&d))
		}
	}
	if v := d.value(len(fields)); v != "" {
		t.Errorf("value past the fields = %q", v)
	}
}

// member_phrase is the title and name unless a caller names the member
// its own way (a Spanish call script: with the article).
func TestMemberPhrase(t *testing.T) {
	tm := mustParse(t, "Please ask {{.member_phrase}} to act.")
	d := SampleSupporter()
	if got, err := tm.Render(d, nil); err != nil || got != "Please ask Senator Mark Kelly to act." {
		t.Errorf("default: %q, %v", got, err)
	}
	d.MemberPhrase = "el senador Mark Kelly"
	if got, err := tm.Render(d, nil); err != nil || got != "Please ask el senador Mark Kelly to act." {
		t.Errorf("set: %q, %v", got, err)
	}
	if got, err := tm.Render(Data{MemberName: "Mark Kelly"}, nil); err != nil || got != "Please ask Mark Kelly to act." {
		t.Errorf("no title: %q, %v", got, err)
	}
}

func diffString(ds []DiffLine) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteByte(d.Op)
		b.WriteString(d.Text)
		b.WriteByte('|')
	}
	return b.String()
}

func TestDiff(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"", "", ""},
		{"a\nb\nc\n", "a\nb\nc\n", " a| b| c|"},
		{"a\nb\nc\n", "a\nx\nc\n", " a|-b|+x| c|"},
		{"", "a\nb", "+a|+b|"},
		{"a\nb", "", "-a|-b|"},
		{"a\nb\nc", "b\nc\nd", "-a| b| c|+d|"},
		{"a\r\nb\r\n", "a\nb", " a| b|"},
		{"Dear {{.salutation}},\n\nHello\n", "Dear {{.salutation}},\nHello\nBye\n", " Dear {{.salutation}},|-| Hello|+Bye|"},
		{"x\ny\nz\nw", "y\nx\nw\nz", "-x| y|-z|+x| w|+z|"},
	} {
		if got := diffString(Diff(tc.a, tc.b)); got != tc.want {
			t.Errorf("Diff(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

// Random diffs: the ' '/'-' lines rebuild a, the ' '/'+' lines rebuild
// b, and the common lines are a longest common subsequence.
func TestDiffRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() []string {
		out := make([]string, r.IntN(12))
		for i := range out {
			out[i] = string(rune('a' + r.IntN(4)))
		}
		return out
	}
	for i := 0; i < 2000; i++ {
		a, b := gen(), gen()
		ds := Diff(strings.Join(a, "\n"), strings.Join(b, "\n"))
		var ra, rb []string
		common := 0
		for _, d := range ds {
			switch d.Op {
			case ' ':
				ra, rb = append(ra, d.Text), append(rb, d.Text)
				common++
			case '-':
				ra = append(ra, d.Text)
			case '+':
				rb = append(rb, d.Text)
			default:
				t.Fatalf("bad op %q", d.Op)
			}
		}
		if !slices.Equal(ra, a) && !(len(a) == 1 && a[0] == "" && ra == nil) ||
			!slices.Equal(rb, b) && !(len(b) == 1 && b[0] == "" && rb == nil) {
			t.Fatalf("Diff(%q, %q) = %q does not rebuild the inputs", a, b, diffString(ds))
		}
		if len(a) > 0 && len(b) > 0 && !(len(a) == 1 && a[0] == "") && !(len(b) == 1 && b[0] == "") {
			if want := lcsLen(a, b); common != want {
				t.Fatalf("Diff(%q, %q): %d common lines, LCS is %d", a, b, common, want)
			}
		}
	}
}

func lcsLen(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func TestDiffLarge(t *testing.T) {
	// Beyond the LCS table budget the middle is shown as replaced.
	var a, b strings.Builder
	for i := 0; i < 3000; i++ {
		a.WriteString("a line\n")
		b.WriteString("b line\n")
	}
	ds := Diff("same\n"+a.String()+"end", "same\n"+b.String()+"end")
	if len(ds) != 6002 || ds[0].Op != ' ' || ds[1].Op != '-' || ds[3001].Op != '+' || ds[6001].Op != ' ' {
		t.Fatalf("len %d", len(ds))
	}
}
