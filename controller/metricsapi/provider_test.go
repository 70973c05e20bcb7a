package metricsapi

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"
)

func TestProvider(t *testing.T) {
	s := NewStore()
	now := time.Unix(1_700_000_000, 0)
	s.Set(Entry{Variant: "qwen-l40s", Namespace: "llm-d", Accelerator: "L40S", ModelID: "Qwen/Qwen3-0.6B", Desired: 4, Time: now})
	s.Set(Entry{Variant: "qwen-h100", Namespace: "llm-d", Accelerator: "H100", ModelID: "Qwen/Qwen3-0.6B", Desired: 1, Time: now})
	s.Set(Entry{Variant: "llama", Namespace: "other", Accelerator: "A100", Desired: 7, Time: now})
	s.Set(Entry{Variant: "qwen-l40s", Namespace: "llm-d", Accelerator: "L40S", ModelID: "Qwen/Qwen3-0.6B", Desired: 5, Time: now}) // replaces
	p := &Provider{Store: s}

	tests := []struct {
		name      string
		namespace string
		selector  string
		metric    string
		want      map[string]int64 // variant -> value
	}{
		{"namespace scoped", "llm-d", "", MetricDesiredReplicas, map[string]int64{"qwen-l40s": 5, "qwen-h100": 1}},
		{"variant selector", "llm-d", "variant_name=qwen-h100", MetricDesiredReplicas, map[string]int64{"qwen-h100": 1}},
		{"accelerator selector", "llm-d", "accelerator_type in (L40S)", MetricDesiredReplicas, map[string]int64{"qwen-l40s": 5}},
		{"alias name", "other", "", MetricInfernoDesiredReplicas, map[string]int64{"llama": 7}},
		{"no match", "llm-d", "variant_name=nope", MetricDesiredReplicas, map[string]int64{}},
		{"empty namespace", "empty", "", MetricDesiredReplicas, map[string]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := labels.Parse(tt.selector)
			require.NoError(t, err)
			list, err := p.GetExternalMetric(context.Background(), tt.namespace, sel, provider.ExternalMetricInfo{Metric: tt.metric})
			require.NoError(t, err)
			got := map[string]int64{}
			for _, it := range list.Items {
				assert.Equal(t, tt.metric, it.MetricName)
				assert.Equal(t, tt.namespace, it.MetricLabels["namespace"])
				got[it.MetricLabels["variant_name"]] = it.Value.Value()
			}
			assert.Equal(t, tt.want, got)
		})
	}

	_, err := p.GetExternalMetric(context.Background(), "llm-d", labels.Everything(), provider.ExternalMetricInfo{Metric: "cpu"})
	require.Error(t, err)
	assert.True(t, apierrors.IsNotFound(err), "unknown metric must be NotFound, got %v", err)

	s.Delete("llm-d", "qwen-h100")
	assert.Len(t, s.List("llm-d"), 1)
	assert.Len(t, s.List(""), 2)
	names := []string{}
	for _, m := range p.ListAllExternalMetrics() {
		names = append(names, m.Metric)
	}
	assert.ElementsMatch(t, []string{"wva_desired_replicas", "inferno_desired_replicas"}, names)
}
