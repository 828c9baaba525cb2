package casestats

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"testing"
)

var million = sync.OnceValue(func() []Record { return slices.Collect(Synthetic(1_000_000, 2018)) })

// BenchmarkCompute1M: counting and disclosure control over 1,000,000
// synthetic records (generated once, outside the timing).
func BenchmarkCompute1M(b *testing.B) {
	rs := million()
	var f *Figures
	for b.Loop() {
		var err error
		f, err = Compute(slices.Values(rs), Params{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/record")
	for _, k := range []string{"cases", "parents_handed_form", "pct_forms_premarked", "pct_told_no_rights",
		"deported_without_child", "pct_credible_fear_positive_withdrawn", "by_state.TX", "by_quarter.2018-Q2"} {
		v, _ := f.Value(k)
		b.Logf("%s = %s", k, v)
	}
}

// BenchmarkDisclosure: the suppression and publication step alone.
func BenchmarkDisclosure(b *testing.B) {
	var c Counter
	for r := range Synthetic(3000, 1) {
		c.Add(r)
	}
	for b.Loop() {
		if _, err := c.Figures(Params{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCSV100k: reading, normalising and validating a
// 100,000-row file (CRLF), without a callback.
func BenchmarkParseCSV100k(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(header + "\r\n")
	for r := range Synthetic(100_000, 7) {
		buf.WriteString(csvRow(r))
		buf.WriteString("\r\n")
	}
	for b.Loop() {
		if n, errs, err := ParseCSV(bytes.NewReader(buf.Bytes()), 0, nil); n != 100_000 || errs != nil || err != nil {
			b.Fatal(n, errs, err)
		}
	}
}

// BenchmarkDisclosureAgainstEarlier: disclosure control of a 3,100-case
// release checked against the earlier releases (one of 3,000 cases, or
// twelve monthly ones), at the default rounding and unrounded.
func BenchmarkDisclosureAgainstEarlier(b *testing.B) {
	rs := slices.Collect(Synthetic(3100, 1))
	for _, bc := range []struct {
		name    string
		p       Params
		earlier int
	}{{"rounding5/1", Params{}, 1}, {"rounding5/12", Params{}, 12}, {"rounding1/1", Params{Rounding: 1}, 1}} {
		b.Run(bc.name, func(b *testing.B) {
			var prev []*Figures
			for i := range bc.earlier {
				f, err := Compute(slices.Values(rs[:3000-100*(bc.earlier-1-i)]), bc.p)
				if err != nil {
					b.Fatal(err)
				}
				prev = append(prev, f)
			}
			var c Counter
			for _, r := range rs {
				c.Add(r)
			}
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := c.Figures(bc.p, prev...); err != nil && !errors.Is(err, ErrTooCloseToPrevious) {
					b.Fatal(err)
				}
			}
			// CPU time, which other jobs on the machine do not inflate
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}
