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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
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
		Controller: []ControllerDecision{{
			Variant: "qwen-l40s", Replicas: 3, Analyzer: "capacity", At: now.Add(-20 * time.Second),
			Reason: "scale up 2 -> 3: ... by the fitted ITL 7.1ms + 0.109ms per running request",
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
		"the ITL lines it fits on the last 30 minutes",
		"The running controller's last decision (VariantAutoscaling status)",
		"qwen-l40s: 3 replicas [capacity] at 2026-01-02T03:03:45Z (20s ago)",
		"why: scale up 2 -> 3: ... by the fitted ITL 7.1ms",
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

// explain applies the configuration the controller applies: a copy of the saturation
// ConfigMap in the model's namespace replaces the global one there.
func TestGatherAppliesTheNamespaceLocalConfigMap(t *testing.T) {
	scheme := runtime.NewScheme()
	require.NoError(t, clientgoscheme.AddToScheme(scheme))
	require.NoError(t, v1alpha1.AddToScheme(scheme))
	cm := func(ns, kv string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: config.SaturationConfigMapName},
			Data: map[string]string{"default": "kvCacheThreshold: " + kv + "\n"}}
	}
	r := fake.NewClientBuilder().WithScheme(scheme).WithObjects(cm("saturn-system", "0.7"), cm("team", "0.6")).Build()
	for ns, want := range map[string]float64{"team": 0.6, "other": 0.7} {
		in, err := Gather(context.Background(), &emptyQuerier{}, r, Request{Namespace: ns, Model: "m", ConfigNamespace: "saturn-system", Now: time.Unix(1000, 0)})
		require.NoError(t, err)
		assert.InDelta(t, want, in.ModelConfig.KvCacheThreshold, 1e-12, ns)
		if ns == "team" {
			assert.Contains(t, in.ConfigNote, "team/wva-saturation-scaling-config replaces the global one for this namespace")
		}
	}
}
