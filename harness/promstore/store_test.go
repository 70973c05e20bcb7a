package promstore

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func kv(pod string) *Series {
	return NewSeries(labels.FromStrings("__name__", "vllm:kv_cache_usage_perc", "namespace", "llm", "pod", pod,
		"model_name", "m", "job", "vllm", "instance", pod+":8000"))
}

func TestQueryWVAForm(t *testing.T) {
	s, err := New(Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()

	a, b := kv("v-abc-1"), kv("v-abc-2")
	for i := 0; i <= 8; i++ {
		at := t0.Add(time.Duration(i) * 15 * time.Second)
		require.NoError(t, s.Append(a, at, float64(i)/10))
		require.NoError(t, s.Append(b, at, 0.9-float64(i)/10))
	}
	q := `max by (namespace, model_name, pod) (max_over_time(vllm:kv_cache_usage_perc{namespace=~"llm",model_name=~"m"}[1m]))`
	vec, err := s.Query(context.Background(), q, t0.Add(2*time.Minute))
	require.NoError(t, err)
	got := map[string]float64{}
	for _, smp := range vec {
		got[string(smp.Metric["pod"])] = float64(smp.Value)
		assert.Equal(t, model.LabelValue("llm"), smp.Metric["namespace"])
	}
	// [1m] at t=120s covers samples at 75, 90, 105, 120 s (indices 5..8).
	assert.InDelta(t, 0.8, got["v-abc-1"], 1e-9)
	assert.InDelta(t, 0.4, got["v-abc-2"], 1e-9)
	assert.Equal(t, 1, s.Queries())

	sc, err := s.Query(context.Background(), `scalar(count(vllm:kv_cache_usage_perc))`, t0.Add(2*time.Minute))
	require.NoError(t, err)
	require.Len(t, sc, 1)
	assert.Equal(t, model.SampleValue(2), sc[0].Value)
}

// A range query evaluates at every step what the instant query gives there, in one query.
func TestQueryRangeMatchesInstants(t *testing.T) {
	s, err := New(Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	a, b := kv("v-abc-1"), kv("v-abc-2")
	for i := 0; i <= 20; i++ {
		at := t0.Add(time.Duration(i) * 15 * time.Second)
		require.NoError(t, s.Append(a, at, float64(i)/100))
		if i >= 10 { // b starts at 150 s
			require.NoError(t, s.Append(b, at, 0.5))
		}
	}
	q := `max by (namespace, model_name, pod) (max_over_time(vllm:kv_cache_usage_perc{namespace=~"llm",model_name=~"m"}[1m]))`
	start, end, step := t0.Add(time.Minute), t0.Add(5*time.Minute), 30*time.Second
	m, err := s.QueryRange(context.Background(), q, start, end, step)
	require.NoError(t, err)
	assert.Equal(t, 1, s.Queries())
	require.Len(t, m, 2)
	steps := 0
	for _, ss := range m {
		for _, p := range ss.Values {
			steps++
			vec, err := s.Query(context.Background(), q, p.Timestamp.Time())
			require.NoError(t, err)
			var want model.SampleValue = -1
			for _, smp := range vec {
				if smp.Metric["pod"] == ss.Metric["pod"] {
					want = smp.Value
				}
			}
			assert.Equal(t, want, p.Value, "%s at %s", ss.Metric["pod"], p.Timestamp.Time())
		}
	}
	assert.Equal(t, 9+6, steps, "a at 60..300 s every 30 s, b from 150 s")

	s.SetDown(true)
	_, err = s.QueryRange(context.Background(), q, start, end, step)
	require.ErrorIs(t, err, ErrUnavailable)
	s.SetDown(false)
	_, err = s.QueryRange(context.Background(), "max by (", start, end, step)
	require.ErrorContains(t, err, "parsing query")
}

func TestOutageAndErrors(t *testing.T) {
	s, err := New(Options{})
	require.NoError(t, err)
	defer s.Close()
	s.SetDown(true)
	_, err = s.Query(context.Background(), "up", t0)
	require.ErrorIs(t, err, ErrUnavailable)
	s.SetDown(false)
	vec, err := s.Query(context.Background(), "up", t0)
	require.NoError(t, err)
	assert.Empty(t, vec)
	_, err = s.Query(context.Background(), "max by (", t0)
	require.ErrorContains(t, err, "parsing query")
	_, err = s.Query(context.Background(), `vllm:x[1m]`, t0)
	require.ErrorContains(t, err, "want an instant vector")
}

func TestStalenessAfterReplicaStops(t *testing.T) {
	s, err := New(Options{LookbackDelta: time.Minute})
	require.NoError(t, err)
	defer s.Close()
	a := kv("p")
	require.NoError(t, s.Append(a, t0, 0.5))
	vec, err := s.Query(context.Background(), "vllm:kv_cache_usage_perc", t0.Add(30*time.Second))
	require.NoError(t, err)
	assert.Len(t, vec, 1)
	vec, err = s.Query(context.Background(), "vllm:kv_cache_usage_perc", t0.Add(2*time.Minute))
	require.NoError(t, err)
	assert.Empty(t, vec, "a series not scraped for longer than the lookback delta disappears")
}

func BenchmarkAppend(b *testing.B) {
	s, err := New(Options{})
	require.NoError(b, err)
	defer s.Close()
	series := make([]*Series, 40*6)
	for i := range series {
		series[i] = NewSeries(labels.FromStrings("__name__", "m", "pod", string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := t0.Add(time.Duration(i) * 15 * time.Second)
		for _, sr := range series {
			if err := s.Append(sr, at, float64(i)); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(series)), "samples/scrape")
}

func TestTruncate(t *testing.T) {
	s, err := New(Options{})
	require.NoError(t, err)
	defer s.Close()
	old, cur := kv("old"), kv("cur")
	for i := 0; i < 240; i++ { // 2h of 30s scrapes
		at := t0.Add(time.Duration(i) * 30 * time.Second)
		if i < 60 {
			require.NoError(t, s.Append(old, at, 1))
		}
		require.NoError(t, s.Append(cur, at, 2))
	}
	require.NoError(t, s.Commit())
	require.NoError(t, s.Truncate(t0.Add(90*time.Minute)))
	vec, err := s.Query(context.Background(), `count(count_over_time(vllm:kv_cache_usage_perc[3h]))`, t0.Add(2*time.Hour))
	require.NoError(t, err)
	require.Len(t, vec, 1)
	assert.Equal(t, model.SampleValue(1), vec[0].Value, "the series without samples after the cut is gone")
	vec, err = s.Query(context.Background(), `count_over_time(vllm:kv_cache_usage_perc{pod="cur"}[3h])`, t0.Add(2*time.Hour))
	require.NoError(t, err)
	require.Len(t, vec, 1)
	assert.Less(t, float64(vec[0].Value), 240.0, "whole chunks before the cut are gone")
}
