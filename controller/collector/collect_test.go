package collector

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestCollectQueryCountIsConstant(t *testing.T) {
	counts := map[int]int{}
	for _, n := range []int{1, 10, 1000} {
		targets := manyTargets(n)
		f := newFake(targets, Options{})
		snap, err := Collect(context.Background(), f, t0, targets, Options{})
		require.NoError(t, err)
		counts[n] = f.calls
		assert.Equal(t, f.calls, snap.Queries)
		assert.Len(t, snap.Models, n)
	}
	assert.Equal(t, len(Queries(manyTargets(1), Options{})), counts[1])
	assert.Equal(t, 16, counts[1])
	assert.Equal(t, counts[1], counts[10])
	assert.Equal(t, counts[1], counts[1000])

	f := newFake(nil, Options{})
	snap, err := Collect(context.Background(), f, t0, nil, Options{})
	require.NoError(t, err)
	assert.Zero(t, f.calls, "nothing to collect, nothing queried")
	assert.Empty(t, snap.Models)
}

func TestCollectAssemblesSnapshot(t *testing.T) {
	targets := []Target{{"prod", "meta/llama"}, {"prod", "qwen"}, {"dev", "meta/llama"}}
	f := newFake(targets, Options{})
	f.addPod("prod", "meta/llama", "llama-a-1", 0.5, 2, 7, t0.Add(-10*time.Second), 1000, 16)
	f.addPod("prod", "meta/llama", "llama-a-2", 0.25, 0, 3, t0.Add(-3*time.Minute), 2000, 16)
	// A series of the regex cross product that no target asked for is ignored.
	f.addPod("dev", "qwen", "qwen-x", 0.9, 9, 9, t0, 10, 16)
	f.addModel("prod", "meta/llama", 812.5, 42)
	f.byName[QueryScaleFromZero] = append(f.byName[QueryScaleFromZero],
		sample(3, "namespace", "dev", "target_model_name", "meta/llama"),
		sample(4, "namespace", "dev", "target_model_name", "meta/llama", "inference_pool", "other"),
	)
	snap, err := Collect(context.Background(), f, t0, targets, Options{})
	require.NoError(t, err)
	require.Len(t, snap.Models, 3)

	llama := snap.Models[ModelKey{"prod", "meta/llama"}]
	require.Len(t, llama.Pods, 2)
	p1 := llama.Pods["llama-a-1"]
	assert.Equal(t, 0.5, p1.KVUsage)
	assert.Equal(t, 2.0, p1.Waiting)
	assert.Equal(t, 7.0, p1.Running)
	assert.Equal(t, 16000.0, p1.KVCapacityTokens)
	assert.Equal(t, t0.Add(-10*time.Second), p1.LastSample)
	assert.False(t, p1.Stale)
	ok, _ := p1.Complete()
	assert.True(t, ok)

	p2 := llama.Pods["llama-a-2"]
	assert.True(t, p2.Stale, "3m old with the default 2m staleness")
	ok, why := p2.Complete()
	assert.False(t, ok)
	assert.Equal(t, "stale sample", why)
	assert.Equal(t, 32000.0, p2.KVCapacityTokens)

	assert.Equal(t, 812.5, llama.MeanPromptTokens)
	assert.Equal(t, 42.0, llama.FinishedRequests)
	assert.True(t, math.IsNaN(llama.ScaleFromZeroWaiting))

	qwen := snap.Models[ModelKey{"prod", "qwen"}]
	assert.Empty(t, qwen.Pods)
	assert.True(t, math.IsNaN(qwen.MeanPromptTokens))
	assert.True(t, math.IsNaN(qwen.FinishedRequests))

	dev := snap.Models[ModelKey{"dev", "meta/llama"}]
	assert.Equal(t, 7.0, dev.ScaleFromZeroWaiting, "flow-control queues of one model add up")
	_, found := snap.Models[ModelKey{"dev", "qwen"}]
	assert.False(t, found)
}

func TestCollectMissingSeriesStayNaN(t *testing.T) {
	targets := []Target{{"ns", "m"}}
	f := newFake(targets, Options{})
	f.addPod("ns", "m", "p", 0.5, 1, 1, t0, 0, 0)
	f.byName[QueryWaiting] = nil // the pod's waiting series is absent
	snap, err := Collect(context.Background(), f, t0, targets, Options{})
	require.NoError(t, err)
	p := snap.Models[ModelKey{"ns", "m"}].Pods["p"]
	assert.True(t, math.IsNaN(p.Waiting))
	assert.Zero(t, p.KVCapacityTokens, "no cache_config_info: capacity unknown")
	ok, why := p.Complete()
	assert.False(t, ok)
	assert.Contains(t, why, "vllm:num_requests_waiting")
}

func TestCollectFailedQuery(t *testing.T) {
	targets := []Target{{"ns", "m"}}
	f := newFake(targets, Options{})
	f.addPod("ns", "m", "p", 0.5, 1, 1, t0, 100, 16)
	f.fail[QueryWaiting] = errors.New("503 service unavailable")
	snap, err := Collect(context.Background(), f, t0, targets, Options{})
	require.ErrorContains(t, err, "query waiting")
	require.ErrorContains(t, err, "503 service unavailable")
	require.Contains(t, snap.Failed, QueryWaiting)
	assert.Equal(t, 16, snap.Queries, "one failure does not stop the cycle")
	p := snap.Models[ModelKey{"ns", "m"}].Pods["p"]
	assert.Equal(t, 0.5, p.KVUsage)
	assert.True(t, math.IsNaN(p.Waiting), "a failed query never becomes zero")
}

func TestCollectCancelled(t *testing.T) {
	targets := []Target{{"ns", "m"}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Collect(ctx, newFake(targets, Options{}), t0, targets, Options{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestCollectCustomScaleFromZero(t *testing.T) {
	targets := []Target{{"ns", "m"}}
	opts := Options{ScaleFromZeroQuery: `sum by (namespace, model) (my_gateway_queue)`, ScaleFromZeroModelLabel: "model", StaleAfter: time.Hour}
	f := newFake(targets, opts)
	f.byName[QueryScaleFromZero] = model.Vector{sample(5, "namespace", "ns", "model", "m")}
	snap, err := Collect(context.Background(), f, t0, targets, opts)
	require.NoError(t, err)
	assert.Equal(t, 5.0, snap.Models[ModelKey{"ns", "m"}].ScaleFromZeroWaiting)
	assert.Equal(t, time.Hour, snap.StaleAfter)
	assert.Contains(t, f.queries, `sum by (namespace, model) (my_gateway_queue)`)

	require.ErrorContains(t, Options{ScaleFromZeroModelLabel: "bad label"}.Validate(), `"bad label" is not a Prometheus label name`)
	require.ErrorContains(t, Options{ActivityWindow: -time.Second}.Validate(), "ActivityWindow -1s must not be negative")
	require.NoError(t, Options{}.Validate())
}
