package saturation

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzAnalyzers feeds arbitrary numbers (NaN, Inf, negatives included) to both analyzers:
// no panic, one non-negative target per variant, and non-finite input means holding.
func FuzzAnalyzers(f *testing.F) {
	f.Add(0.5, 2.0, 10000.0, 0.9, 7.0, 500.0, 0.8, 5.0, 0.1, 3.0, 10.0, 20.0, 2, 1, 0, 0)
	f.Add(math.NaN(), 0.0, 0.0, math.Inf(1), -1.0, math.NaN(), 0.8, 5.0, 0.1, 3.0, 1.0, 1.0, 0, 0, 3, 1)
	f.Add(1.0, 100.0, 1e12, 0.0, 0.0, 1e9, 1.0, 1e-9, 0.0, 0.0, 0.0, math.MaxFloat64, 9, 9, 1, 0)
	f.Fuzz(func(t *testing.T, kv1, w1, cap1, kv2, w2, prompt, kvThr, qThr, kvTrig, qTrig, cost1, cost2 float64, pend1, pend2, min1, max2 int) {
		clamp := func(n int) int { return min(max(n, -3), 50) }
		v1 := variant("a", cost1, clamp(pend1), pod{kv1, w1, cap1}, pod{kv2, w2, cap1})
		v1.Min = clamp(min1)
		v2 := variant("b", cost2, clamp(pend2), pod{kv2, w1, cap1 * 2})
		v2.Max = clamp(max2)
		in := ModelInput{Variants: []VariantInput{v1, v2}, MeanPromptTokens: prompt}
		in.Thresholds.KvCacheThreshold, in.Thresholds.QueueLengthThreshold = kvThr, qThr
		in.Thresholds.KvSpareTrigger, in.Thresholds.QueueSpareTrigger = kvTrig, qTrig
		for _, a := range []Analyzer{NewCapacity(), NewWVAV1()} {
			res := a.Analyze(in)
			require.Len(t, res.Targets, 2)
			for _, tg := range res.Targets {
				require.GreaterOrEqual(t, tg.Replicas, 0)
				require.Less(t, tg.Replicas, 1<<40)
			}
			if validateInput(in) != nil {
				require.Contains(t, res.Reason, "holding current replicas")
			}
		}
	})
}

// FitLatency takes any samples: a line it returns has a non-negative base and slope, is
// trusted at least to its samples' highest load, and counts no more independent samples
// than it fitted.
func FuzzFitLatency(f *testing.F) {
	f.Add([]byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120}, int64(15))
	f.Add([]byte{20, 7, 20, 7, 21, 8, 22, 7, 20, 9, 23, 7, 21, 7}, int64(60))
	f.Fuzz(func(t *testing.T, data []byte, stepSeconds int64) {
		var samples []LatencySample
		for i := 0; i+1 < len(data); i += 2 {
			samples = append(samples, LatencySample{
				At:      t0.Add(time.Duration(i/2) * time.Duration(stepSeconds) * time.Second),
				Running: float64(data[i]) - 8,
				ITL:     float64(data[i+1]) / 1000,
			})
		}
		m := FitLatency(samples)
		if m.Independent > float64(m.Samples)+1e-9 {
			t.Fatalf("%v independent of %d samples", m.Independent, m.Samples)
		}
		if !m.Known && !m.Local {
			return
		}
		if m.Known && m.Local {
			t.Fatalf("both known and local: %+v", m)
		}
		if !(m.Base >= 0) || !(m.PerRequest >= 0) || !finite(m.Base) || !finite(m.PerRequest) {
			t.Fatalf("line %+v", m)
		}
		if !(m.Trusted >= m.MaxRunning) {
			t.Fatalf("trusted %v below the samples' %v", m.Trusted, m.MaxRunning)
		}
		_ = m.String()
	})
}
