package explain

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/planner"
)

func TestWrite(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	key := collector.ModelKey{Namespace: "llm-d", ModelID: "Qwen/Qwen3-0.6B"}
	in := Input{
		Request: Request{Namespace: "llm-d", Model: "Qwen/Qwen3-0.6B", Now: now},
		Snapshot: collector.Snapshot{Queries: 8, Models: map[collector.ModelKey]*collector.ModelMetrics{key: {
			Pods: map[string]*collector.PodMetrics{
				"qwen-1": {Pod: "qwen-1", KVUsage: 0.91, Waiting: 7, Running: 30, KVCapacityTokens: 32768, LastSample: now.Add(-10 * time.Second)},
				"qwen-2": {Pod: "qwen-2", KVUsage: 0.2, Waiting: 0, Running: 3, KVCapacityTokens: 32768, LastSample: now.Add(-5 * time.Minute), Stale: true},
			},
			MeanPromptTokens: 512, FinishedRequests: math.NaN(), ScaleFromZeroWaiting: math.NaN(),
		}}},
		ModelConfig: config.Default().For("llm-d", "Qwen/Qwen3-0.6B"),
		ConfigNote:  "ConfigMaps in namespace saturn-system",
		ClusterNote: "1 VariantAutoscaling(s) for this model",
		Decisions: []planner.Decision{{
			Variant: "qwen-l40s", Accelerator: "L40S", Current: 2, Desired: 2, Analyzer: planner.AnalyzerHold,
			MetricsAvailable: false, MetricsReason: "MetricsStale", MetricsMessage: "pod qwen-2: stale sample", Reason: "holding 2 replicas",
		}},
	}
	var b strings.Builder
	require.NoError(t, Write(&b, in))
	out := b.String()
	for _, want := range []string{
		"Model Qwen/Qwen3-0.6B in namespace llm-d",
		"qwen-1", "91.0%", "saturated",
		"qwen-2", "stale sample", "5m0s ago",
		"kvCacheThreshold 0.80", "queueLengthThreshold 5",
		"qwen-l40s (L40S): 2 -> 2 replicas [no-change, hold]",
		"metrics unavailable (MetricsStale): pod qwen-2: stale sample",
		"mean prompt tokens: 512",
	} {
		assert.Contains(t, out, want)
	}
}

// emptyQuerier answers every query with no series.
type emptyQuerier struct{ n int }

func (e *emptyQuerier) Query(context.Context, string, time.Time) (model.Vector, error) {
	e.n++
	return model.Vector{}, nil
}

func TestGatherWithoutCluster(t *testing.T) {
	q := &emptyQuerier{}
	in, err := Gather(context.Background(), q, nil, Request{Namespace: "ns", Model: "m", Now: time.Unix(1000, 0)})
	require.NoError(t, err)
	assert.Positive(t, q.n)
	assert.Contains(t, in.ClusterNote, "--kubeconfig")
	assert.Empty(t, in.Decisions)
	assert.InDelta(t, config.DefaultKvCacheThreshold, in.ModelConfig.KvCacheThreshold, 0)

	_, err = Gather(context.Background(), q, nil, Request{Namespace: "ns"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--model")
}
