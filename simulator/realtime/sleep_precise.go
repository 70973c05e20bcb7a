//go:build linux || darwin

package realtime

import (
	"errors"
	"syscall"
	"time"
)

// preciseSleep blocks the calling thread for d with nanosleep, which the
// kernel wakes with high-resolution timers (Go's own timers round to about a
// millisecond). The runtime hands the P to other goroutines meanwhile.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for {
		var rem syscall.Timespec
		err := syscall.Nanosleep(&ts, &rem)
		if !errors.Is(err, syscall.EINTR) {
			return
		}
		ts = rem
	}
}
