package hpa

import (
	"math"
	"testing"
	"time"
)

// FuzzHPA drives an HPA with arbitrary metric sequences and checks its
// invariants: no panic, the result stays within [min, max] once the current
// count is in range, a missing metric never changes the count, and with the
// default behavior a scale-up never more than doubles (+4) the count.
func FuzzHPA(f *testing.F) {
	f.Add(int32(1), int32(10), int32(3), []byte{5, 200, 0, 17, 99, 1})
	f.Add(int32(0), int32(40), int32(0), []byte{255, 255, 0, 0, 128})
	f.Add(int32(2), int32(2), int32(2), []byte{1})
	f.Fuzz(func(t *testing.T, minR, maxR, start int32, metrics []byte) {
		minR, maxR = min(max(minR, 0), 1000), min(max(maxR, 1), 1000)
		if maxR < minR {
			minR, maxR = maxR, minR
		}
		h, err := New(Config{MinReplicas: minR, MaxReplicas: maxR, TargetValue: 1})
		if err != nil {
			t.Fatalf("valid config rejected: %v", err)
		}
		cur := min(max(start, 0), 2000)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i, b := range metrics {
			missing := b == 0
			metric := float64(b) * float64(b) / 64
			if b == 255 {
				metric = math.Inf(1)
			}
			res := h.Sync(now, Input{Current: cur, Ready: cur, Metric: metric, MetricOK: !missing})
			inRange := cur >= minR && cur <= maxR
			switch {
			case cur == 0 && minR != 0:
				if res.Desired != 0 {
					t.Fatalf("step %d: scaled a disabled HPA to %d", i, res.Desired)
				}
			case inRange && missing:
				if res.Desired != cur {
					t.Fatalf("step %d: missing metric changed %d -> %d", i, cur, res.Desired)
				}
			case inRange:
				if res.Desired < minR || res.Desired > maxR {
					t.Fatalf("step %d: desired %d outside [%d, %d]", i, res.Desired, minR, maxR)
				}
				if res.Desired > cur && res.Desired > max(2*cur, cur+4) {
					t.Fatalf("step %d: scale-up %d -> %d exceeds the default policies", i, cur, res.Desired)
				}
			}
			if res.Rescale != (res.Desired != cur) {
				t.Fatalf("step %d: Rescale %v with %d -> %d", i, res.Rescale, cur, res.Desired)
			}
			cur = res.Desired
			now = now.Add(DefaultSyncPeriod)
		}
	})
}
