package collector

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

// FuzzCollectAnswers feeds arbitrary Prometheus answers (values, label values, cache
// config strings) to Collect: no panic, capacities never negative or NaN, staleness
// consistent with timestamps.
func FuzzCollectAnswers(f *testing.F) {
	f.Add("ns", "m", "pod-1", 0.5, 1e9, "2048", "16", 300.0)
	f.Add("", "", "", math.NaN(), math.Inf(-1), "-5", "NaN", math.Inf(1))
	f.Add("ns", "m", "p", -1.0, -1e300, "1e308", "1e308", 1e18)
	f.Fuzz(func(t *testing.T, ns, mdl, pod string, v, ts float64, blocks, size string, prompt float64) {
		targets := []Target{{ns, mdl}}
		l := model.Metric{"namespace": model.LabelValue(ns), "model_name": model.LabelValue(mdl), "pod": model.LabelValue(pod),
			"num_gpu_blocks": model.LabelValue(blocks), "block_size": model.LabelValue(size), "target_model_name": model.LabelValue(mdl)}
		q := newFake(targets, Options{})
		for _, name := range []string{QueryKV, QueryWaiting, QueryRunning, QueryCacheConfig, QueryActivity, QueryScaleFromZero} {
			q.byName[name] = model.Vector{{Metric: l, Value: model.SampleValue(v)}}
		}
		q.byName[QueryKVTimestamp] = model.Vector{{Metric: l, Value: model.SampleValue(ts)}}
		q.byName[QueryPromptTokens] = model.Vector{{Metric: l, Value: model.SampleValue(prompt)}}
		now := time.Unix(1_800_000_000, 0)
		snap, err := Collect(context.Background(), q, now, targets, Options{})
		require.NoError(t, err)
		mm := snap.Models[ModelKey{ns, mdl}]
		require.NotNil(t, mm)
		require.True(t, math.IsNaN(mm.MeanPromptTokens) || mm.MeanPromptTokens >= 0)
		for _, p := range mm.Pods {
			require.False(t, math.IsNaN(p.KVCapacityTokens) || p.KVCapacityTokens < 0)
			if !p.Stale {
				require.False(t, p.LastSample.IsZero())
				require.LessOrEqual(t, now.Sub(p.LastSample), snap.StaleAfter)
			}
		}
	})
}
