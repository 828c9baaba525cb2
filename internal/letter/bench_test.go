package letter

import (
	"testing"
)

// benchLetter is a realistic ~2 KB oversight-request letter.
const benchLetter = `{{.date}}

{{.member_name}}
{{if eq .chamber "senate"}}United States Senate{{else}}U.S. House of Representatives{{end}}
Washington, DC 20510

{{.salutation}},

My name is {{.first_name}} {{.last_name}}, and I live in {{.city}}, {{.state}}. I am writing to you as
your constituent to ask that you use your oversight authority to demand a full public accounting of
family separations carried out by the Department of Homeland Security and its components.

According to the latest published figures, {{stat "children_separated"}} children have been separated
from their parents or legal guardians at or near the border, and only {{stat "families_reunified"}}
families have been confirmed reunified. Behind each of these numbers is a child who lost weeks,
months or years with a parent, and a parent who did not know where their child had been taken.
These numbers are not abstractions for the people of {{.member_state}}{{if .district}}'s district {{.district}}{{end}}.

{{if .personal_note}}In my own words:

{{.personal_note}}

{{end}}As {{.member_title}}, you can request the records that show how these decisions were made, who
approved them, and what steps were taken to track children once they were moved into federal custody.
I respectfully ask that you:

1. Request all policy memoranda and guidance related to family separation from the Department;
2. Ask the Inspector General to report on the tracking of separated children, including the
   {{stat "children_unaccounted"}} cases in which a child's location is still unknown;
3. Hold a public hearing at which agency officials answer questions under oath; and
4. Publicly share what you learn with your constituents in {{.member_state}}.

Congress has the power and the responsibility to make sure this never happens again, and to make
sure that every child who is still apart from a parent is found and reunited without further delay. The families
affected deserve answers, and so do the taxpayers who funded these operations. I would be grateful
for a written response describing the actions your office will take.

Please let me know whether you have already requested these records, and if so, when the public
will be able to see them. Thank you for your time and for your service.

Sincerely,

{{.first_name}} {{.last_name}}
{{.city}}, {{.state}}
`

var benchStatKeys = []string{"children_separated", "families_reunified", "children_unaccounted"}

var benchStats = StatMap{"children_separated": "5,569", "families_reunified": "4,227", "children_unaccounted": "1,360"}

func BenchmarkRender2KB(b *testing.B) {
	tm, err := Parse("bench", benchLetter, benchStatKeys)
	if err != nil {
		b.Fatal(err)
	}
	d := SampleSupporter()
	out, err := tm.Render(d, benchStats)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(out)), "out-bytes")
	b.ReportAllocs()
	cpu0 := processCPUTime()
	for b.Loop() {
		if _, err := tm.Render(d, benchStats); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := processCPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// TestBenchLetterSize keeps the benchmark honest: it must render ~2 KB.
func TestBenchLetterSize(t *testing.T) {
	tm, err := Parse("bench", benchLetter, benchStatKeys)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := tm.Render(SampleSupporter(), benchStats); len(out) < 2000 || len(out) > 2500 {
		t.Fatalf("bench letter renders %d bytes, want ~2 KB", len(out))
	}
}

func BenchmarkParse2KB(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bench", benchLetter, benchStatKeys); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderSubject(b *testing.B) {
	tm, err := ParseSubject("s", `{{.first_name}} {{.last_name}} of {{.city}} asks {{.member_title}} {{.member_name}} for oversight`, nil)
	if err != nil {
		b.Fatal(err)
	}
	d := SampleSupporter()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tm.Render(d, nil); err != nil {
			b.Fatal(err)
		}
	}
}
