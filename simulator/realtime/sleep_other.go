//go:build !(linux || darwin)

package realtime

import "time"

// preciseSleep falls back to time.Sleep where nanosleep is not available.
func preciseSleep(d time.Duration) { time.Sleep(d) }
