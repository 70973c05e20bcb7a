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

// FuzzCollectHistoryRange feeds arbitrary range answers (timestamps, values, label values)
// to CollectHistory: no panic, every point kept is one of the instants, in order, with no
// negative or infinite figure, and only the pods of the model asked for.
func FuzzCollectHistoryRange(f *testing.F) {
	f.Add("ns", "m", "pod-1", int64(600_000), 4.0, int64(630_000), 0.5)
	f.Add("", "", "", int64(-1), math.NaN(), int64(math.MaxInt64), math.Inf(1))
	f.Add("ns", "m", "p", int64(math.MinInt64), -1.0, int64(1_740_001), 1e308)
	f.Fuzz(func(t *testing.T, ns, mdl, pod string, t1 int64, v1 float64, t2 int64, v2 float64) {
		m := model.Metric{"namespace": model.LabelValue(ns), "model_name": model.LabelValue(mdl), "pod": model.LabelValue(pod)}
		other := model.Metric{"namespace": model.LabelValue(ns + "x"), "model_name": model.LabelValue(mdl), "pod": model.LabelValue(pod)}
		q := rangeAnswers{Matrix: model.Matrix{
			{Metric: m, Values: []model.SamplePair{{Timestamp: model.Time(t1), Value: model.SampleValue(v1)}, {Timestamp: model.Time(t2), Value: model.SampleValue(v2)}}},
			{Metric: other, Values: []model.SamplePair{{Timestamp: model.Time(t1), Value: model.SampleValue(v1)}}},
		}}
		now := time.Unix(1800, 0)
		h, err := CollectHistory(context.Background(), q, now, []Target{{ns, mdl}}, 30*time.Minute, time.Minute, Options{})
		require.NoError(t, err)
		require.Len(t, h.Models, 1, "only the model asked for")
		instants := HistoryInstants(now, 30*time.Minute, time.Minute)
		for p, pts := range h.Models[ModelKey{ns, mdl}] {
			require.Equal(t, pod, p)
			require.NotEmpty(t, pts)
			for i, pt := range pts {
				require.Contains(t, instants, pt.At)
				if i > 0 {
					require.True(t, pts[i-1].At.Before(pt.At))
				}
				for _, x := range []float64{pt.ITL, pt.MeanRunning, pt.Running, pt.Waiting, pt.KVUsage} {
					require.True(t, math.IsNaN(x) || (x >= 0 && !math.IsInf(x, 0)), "%+v", pt)
				}
			}
		}
	})
}
