//go:build !unix

package casestats

import "time"

var start0 = time.Now()

func cpuTime() time.Duration { return time.Since(start0) }
