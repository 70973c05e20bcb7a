//go:build !unix

package engine

import "time"

// cpuTime is not available: report no CPU-time metric.
func cpuTime() time.Duration { return 0 }
