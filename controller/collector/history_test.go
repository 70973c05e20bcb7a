package collector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistoryInstants(t *testing.T) {
	now := time.Unix(3600, 0).UTC()
	at := HistoryInstants(now, 30*time.Minute, 30*time.Second)
	require.Len(t, at, MaxHistoryPoints, "30 minutes of 30 s cycles")
	assert.Equal(t, now.Add(-30*time.Minute), at[0], "oldest first")
	assert.Equal(t, now.Add(-30*time.Second), at[len(at)-1], "the newest one cycle before now")

	// Cycles closer than the lookback allows: at most MaxHistoryPoints, spread over it.
	at = HistoryInstants(now, 30*time.Minute, 10*time.Second)
	require.Len(t, at, MaxHistoryPoints)
	assert.Equal(t, now.Add(-30*time.Second), at[len(at)-1])
	at = HistoryInstants(now, 5*time.Minute, 2*time.Minute)
	assert.Equal(t, []time.Time{now.Add(-4 * time.Minute), now.Add(-2 * time.Minute)}, at)
	assert.Empty(t, HistoryInstants(now, 0, time.Minute))
	assert.Empty(t, HistoryInstants(now, time.Hour, 0))
	assert.Empty(t, HistoryInstants(now, 30*time.Second, time.Minute), "shorter than one cycle")
}

// The history on the real PromQL engine: a pod whose load rose over 20 minutes (running 2
// -> 12, ITL 10 -> 20 ms, a queue of 3 and KV 60% at the end) reads back as points whose
// running and ITL rise together; a pod that has not generated yet but reports its load
// has points without latency; a pod of another model and a pod that reported neither are
// left out.
func TestCollectHistoryOnPrometheusEngine(t *testing.T) {
	pod := func(p, m string) []string { return []string{"namespace", "prod", "model_name", m, "pod", p} }
	// 15 s scrapes over 0..1800s (121 samples). llama-1: running 2 for 10 minutes, then
	// 12; its ITL 10 ms (100 gaps of 10 ms per scrape), then 20 ms.
	load := "load 15s\n" +
		series("vllm:num_requests_running", "2x40 12x80", pod("llama-1", "meta/llama")...) +
		series("vllm:inter_token_latency_seconds_sum", "0+1x40 40+2x80", pod("llama-1", "meta/llama")...) +
		series("vllm:inter_token_latency_seconds_count", "0+100x120", pod("llama-1", "meta/llama")...) +
		series("vllm:num_requests_waiting", "0x80 3x40", pod("llama-1", "meta/llama")...) +
		series("vllm:kv_cache_usage_perc", "0.1x80 0.6x40", pod("llama-1", "meta/llama")...) +
		// llama-2 started at 1500s; no ITL histogram (nothing generated yet), no KV either.
		series("vllm:num_requests_running", "_x100 0x20", pod("llama-2", "meta/llama")...) +
		// llama-3 started at 1620s: its load, no ITL yet.
		series("vllm:num_requests_running", "_x108 4x12", pod("llama-3", "meta/llama")...) +
		series("vllm:num_requests_waiting", "_x108 0x12", pod("llama-3", "meta/llama")...) +
		series("vllm:kv_cache_usage_perc", "_x108 0.2x12", pod("llama-3", "meta/llama")...) +
		series("vllm:num_requests_running", "5x120", pod("other-1", "other")...) +
		series("vllm:inter_token_latency_seconds_sum", "0+1x120", pod("other-1", "other")...) +
		series("vllm:inter_token_latency_seconds_count", "0+100x120", pod("other-1", "other")...)
	e := newEngineQuerier(t, load)
	now := time.Unix(1800, 0).UTC()
	targets := []Target{{"prod", "meta/llama"}}
	h, err := CollectHistory(context.Background(), instantOnly{e}, now, targets, 30*time.Minute, time.Minute, Options{})
	require.NoError(t, err)
	assert.Equal(t, QueriesPerHistoryPoint*30, h.Queries, "instant by instant: 30 minutes at one point per minute")
	checkLlamaHistory(t, h, now)

	// The range API reads the same points in one query per expression.
	r, err := CollectHistory(context.Background(), e, now, targets, 30*time.Minute, time.Minute, Options{})
	require.NoError(t, err)
	assert.Equal(t, QueriesPerHistoryPoint, r.Queries, "one range query per expression")
	checkLlamaHistory(t, r, now)
	assert.Equal(t, fmt.Sprint(h.Models), fmt.Sprint(r.Models), "the range API reads what the instants read (NaN included)")
}

func checkLlamaHistory(t *testing.T, h History, now time.Time) {
	t.Helper()
	require.Contains(t, h.Models, ModelKey{"prod", "meta/llama"})
	assert.NotContains(t, h.Models, ModelKey{"prod", "other"}, "only the targets asked for")
	pods := h.Models[ModelKey{"prod", "meta/llama"}]
	require.Len(t, pods, 2, "llama-2 reported neither its latency nor its load: %v", pods)
	pts := pods["llama-1"]
	// Instants 0s (no window behind it, no latency; its load), 60s, ..., 1740s.
	require.Len(t, pts, 30)
	assert.False(t, pts[0].HasLatency())
	assert.True(t, pts[0].HasLoad())
	assert.Equal(t, time.Unix(60, 0).UTC(), pts[1].At)
	assert.InDelta(t, 2, pts[1].MeanRunning, 1e-9)
	assert.InDelta(t, 0.010, pts[1].ITL, 1e-9)
	assert.InDelta(t, 2, pts[1].Running, 1e-9)
	assert.InDelta(t, 0, pts[1].Waiting, 1e-9)
	assert.InDelta(t, 0.1, pts[1].KVUsage, 1e-9)
	last := pts[len(pts)-1]
	assert.Equal(t, now.Add(-time.Minute), last.At)
	assert.InDelta(t, 12, last.MeanRunning, 1e-9)
	assert.InDelta(t, 0.020, last.ITL, 1e-9)
	assert.InDelta(t, 12, last.Running, 1e-9)
	assert.InDelta(t, 3, last.Waiting, 1e-9)
	assert.InDelta(t, 0.6, last.KVUsage, 1e-9)
	young := pods["llama-3"]
	require.Len(t, young, 3, "1620s, 1680s, 1740s")
	assert.False(t, young[0].HasLatency())
	assert.True(t, young[2].HasLoad())
	assert.InDelta(t, 4, young[2].Running, 1e-9)
}

type failingAt struct {
	inner Querier
	fail  func(ts time.Time) bool
}

func (f failingAt) Query(ctx context.Context, q string, ts time.Time) (model.Vector, error) {
	if f.fail(ts) {
		return nil, errors.New("503 service unavailable")
	}
	return f.inner.Query(ctx, q, ts)
}

// failingRange fails the range query named fail.
type failingRange struct {
	*engineQuerier
	fail string
}

func (f failingRange) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) (model.Matrix, error) {
	if q == queryExpr(f.fail) {
		return nil, errors.New("503 service unavailable")
	}
	return f.engineQuerier.QueryRange(ctx, q, start, end, step)
}

// queryExpr is the expression of the named query for the test's model.
func queryExpr(name string) string {
	for _, q := range Queries([]Target{{"prod", "m"}}, Options{}.WithDefaults()) {
		if q.Name == name {
			return q.Expr
		}
	}
	panic("no query " + name)
}

// Off the grid: samples a range answer holds at other times than the instants are ignored.
func TestCollectHistoryIgnoresSamplesOffTheGrid(t *testing.T) {
	now := time.Unix(1800, 0).UTC()
	m := model.Metric{"namespace": "prod", "model_name": "m", "pod": "p-1"}
	q := rangeAnswers{Matrix: model.Matrix{{Metric: m, Values: []model.SamplePair{
		{Timestamp: model.TimeFromUnix(600), Value: 4},       // on the grid
		{Timestamp: model.TimeFromUnix(630), Value: 9},       // between two instants
		{Timestamp: model.TimeFromUnix(3600), Value: 9},      // after the last
		{Timestamp: model.TimeFromUnixNano(-6e10), Value: 9}, // before the first
		// 2^58 ms + 600 s: in nanoseconds it wraps around int64 to exactly 600 s.
		{Timestamp: model.Time(1<<58 + 600_000), Value: 9},
	}}}}
	h, err := CollectHistory(context.Background(), q, now, []Target{{"prod", "m"}}, 30*time.Minute, time.Minute, Options{})
	require.NoError(t, err)
	pts := h.Models[ModelKey{"prod", "m"}]["p-1"]
	require.Len(t, pts, 1)
	assert.Equal(t, time.Unix(600, 0).UTC(), pts[0].At)
	assert.InDelta(t, 4, pts[0].Running, 0)
	assert.InDelta(t, 4, pts[0].KVUsage, 0)
}

// rangeAnswers answers every range query with the same series.
type rangeAnswers struct{ model.Matrix }

func (rangeAnswers) Query(context.Context, string, time.Time) (model.Vector, error) {
	return nil, errors.New("instant query not expected")
}

func (a rangeAnswers) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) (model.Matrix, error) {
	return a.Matrix, nil
}

// A failed instant is dropped and reported by name and time; the others still count. With
// every instant failed the model's history is unknown (absent), not empty.
func TestCollectHistoryFailures(t *testing.T) {
	load := "load 15s\n" +
		series("vllm:num_requests_running", "4x120", "namespace", "prod", "model_name", "m", "pod", "p-1") +
		series("vllm:inter_token_latency_seconds_sum", "0+1x120", "namespace", "prod", "model_name", "m", "pod", "p-1") +
		series("vllm:inter_token_latency_seconds_count", "0+100x120", "namespace", "prod", "model_name", "m", "pod", "p-1")
	e := newEngineQuerier(t, load)
	now := time.Unix(1800, 0).UTC()
	bad := now.Add(-10 * time.Minute)
	q := failingAt{instantOnly{e}, func(ts time.Time) bool { return ts.Equal(bad) }}
	h, err := CollectHistory(context.Background(), q, now, []Target{{"prod", "m"}}, 30*time.Minute, time.Minute, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "query itl at 1970-01-01T00:20:00Z")
	assert.Len(t, h.Models[ModelKey{"prod", "m"}]["p-1"], 30-2, "the failed instant and the first (no rate window, no waiting or KV series) are missing")

	h, err = CollectHistory(context.Background(), failingAt{e, func(time.Time) bool { return true }}, now, []Target{{"prod", "m"}}, 30*time.Minute, time.Minute, Options{})
	require.Error(t, err)
	assert.Empty(t, h.Models, "nothing read: unknown")
	assert.Equal(t, 30, strings.Count(err.Error(), "503"), "one error per instant (the second query is not tried)")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, q := range []Querier{e, instantOnly{e}} {
		h, err = CollectHistory(ctx, q, now, []Target{{"prod", "m"}}, 30*time.Minute, time.Minute, Options{})
		require.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, h.Models)
	}

	// A failed range query leaves the history unknown, its error naming the query and the
	// range; the queries after it are not tried.
	h, err = CollectHistory(context.Background(), failingRange{e, QueryRunning}, now, []Target{{"prod", "m"}}, 30*time.Minute, time.Minute, Options{})
	require.Error(t, err)
	assert.Empty(t, h.Models, "unknown, asked for again next cycle")
	assert.Contains(t, err.Error(), "query running from 1970-01-01T00:00:00Z to 1970-01-01T00:29:00Z every 1m0s")
	assert.Contains(t, err.Error(), "503")
	assert.Equal(t, 3, h.Queries, "itl and mean_running read, running failed, the rest not tried")

	_, err = CollectHistory(context.Background(), e, now, []Target{{"prod", "m"}}, 30*time.Minute, time.Minute, Options{RateWindow: -time.Second})
	assert.ErrorContains(t, err, "RateWindow")
}
