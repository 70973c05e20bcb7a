//go:build unix

package twin

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time (to report a benchmark
// figure that does not depend on other load on the machine).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
