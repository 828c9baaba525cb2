package packet

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/delivery"
)

// benchLetters builds n letters of about 1,900 characters (one page each),
// every tenth four times as long (two pages), with accented names.
func benchLetters(n int) []delivery.Message {
	first := []string{"María", "John", "Wei", "Aisha", "José", "Chloé"}
	last := []string{"Hernández", "Smith", "Chen", "Okafor", "Núñez", "Peña"}
	out := make([]delivery.Message, n)
	for i := range out {
		body := "Dear Representative,\n\n" + strings.Repeat(paragraph+" ", 8) + "\n\nSincerely,"
		if i%10 == 0 {
			body = strings.Repeat(body+"\n\n", 4)
		}
		out[i] = letter(int64(i+1), delivery.Constituent{
			FirstName: first[i%len(first)], LastName: last[(i/6)%len(last)],
			Address1: fmt.Sprintf("%d Mission St", 100+i), City: fmt.Sprintf("Town %02d", i%40),
			State: "CA", ZIP: "94110",
		}, body)
	}
	return out
}

// liveAtOutput records the live heap when fpdf hands over the finished
// document: every page and the whole output are in memory then, so this
// is the peak.
type liveAtOutput struct {
	live, size uint64
}

func (w *liveAtOutput) Write(p []byte) (int, error) {
	if w.live == 0 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		w.live = ms.HeapAlloc
	}
	w.size += uint64(len(p))
	return len(p), nil
}

// go test -run '^$' -bench Write -benchmem ./internal/delivery/packet/
//
// MB-live-peak is the heap held when the document is handed to the
// writer (pages plus the finished PDF), MB-pdf the file size. Most of the
// time and of B/op is fpdf compressing each page with a new zlib writer
// (about 1.4 MB of buffers each, not pooled); "uncompressed" shows the
// cost without it.
func BenchmarkWrite(b *testing.B) {
	for _, c := range []struct {
		name     string
		letters  int
		compress bool
	}{
		{"letters=1000/compressed", 1000, true},
		{"letters=1000/uncompressed", 1000, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			letters := benchLetters(c.letters)
			info := testInfo()
			opt := options{compress: c.compress}
			b.ReportAllocs()
			for b.Loop() {
				if err := write(io.Discard, info, letters, opt); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			w := &liveAtOutput{}
			if err := write(w, info, letters, opt); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(w.live-before.HeapAlloc)/1e6, "MB-live-peak")
			b.ReportMetric(float64(w.size)/1e6, "MB-pdf")
		})
	}
}
