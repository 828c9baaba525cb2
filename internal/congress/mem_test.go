package congress

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestLoadFootprint bounds what a loaded Directory keeps on the heap, so
// the app stays small (load time is measured by BenchmarkLoad).
func TestLoadFootprint(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	dir, err := LoadEmbedded()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("Load: %v, retained heap %.1f MB, %d results", elapsed, float64(retained)/(1<<20), len(dir.results))
	if retained > 16<<20 {
		t.Errorf("a Directory keeps %.1f MB, want under 16 MB", float64(retained)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil { // Linux only; informational
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "VmHWM:") {
				t.Log(strings.Join(strings.Fields(l), " "))
			}
		}
	}
	runtime.KeepAlive(dir)
}
