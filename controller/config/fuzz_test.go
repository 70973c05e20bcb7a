package config

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse feeds arbitrary ConfigMap values to both parsers: no panic, and whatever is
// returned (even with errors) yields valid thresholds for any model.
func FuzzParse(f *testing.F) {
	f.Add("kvCacheThreshold: 0.80\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n",
		"model_id: m\nnamespace: n\nkvCacheThreshold: 0.9\nanalyzer: wva-v1\n", "enable_scale_to_zero: true\nretention_period: 15m\n")
	f.Add("kvCacheThreshold: .nan\n", "model_id: m\nqueueLengthThreshold: .inf\n", "retention_period: 0s\n")
	f.Add("{", "model_id: [", "enable_scale_to_zero: 1\n")
	f.Add("kvCacheThreshold: 1e400\n", "model_id: \"\\u0000\"\nscaleUpStabilizationWindow: 9999999999h\n", "&a [*a]")
	f.Fuzz(func(t *testing.T, def, override, s2z string) {
		sat, _ := ParseSaturation(map[string]string{"default": def, "o": override})
		z, _ := ParseScaleToZero(map[string]string{"default": s2z, "o": override}, false)
		cfg := Config{Saturation: sat, ScaleToZero: z}
		for _, e := range sat.Overrides {
			mc := cfg.For(e.Namespace, e.ModelID)
			th := mc.Thresholds
			require.False(t, math.IsNaN(th.KvCacheThreshold) || math.IsInf(th.KvCacheThreshold, 0))
			require.Greater(t, th.KvCacheThreshold, 0.0)
			require.LessOrEqual(t, th.KvCacheThreshold, 1.0)
			require.Less(t, th.KvSpareTrigger, th.KvCacheThreshold)
			require.Less(t, th.QueueSpareTrigger, th.QueueLengthThreshold)
			require.GreaterOrEqual(t, mc.ScaleDownStabilizationWindow, 0*mc.ScaleDownStabilizationWindow)
			require.Greater(t, mc.RetentionPeriod, 0*mc.RetentionPeriod)
		}
		mc := cfg.For("ns", "model")
		require.Greater(t, mc.KvCacheThreshold, 0.0)
		require.Greater(t, mc.QueueLengthThreshold, 0.0)
	})
}
