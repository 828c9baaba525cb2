//go:build unix

package letter

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time of the process so far. The
// benchmarks report it per operation next to ns/op, because the wall
// clock of a shared, loaded machine includes time spent waiting to run.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
