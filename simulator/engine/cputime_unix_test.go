//go:build unix

package engine

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used: on a shared
// machine it measures the benchmark's own work, where wall time measures the
// neighbours' too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
