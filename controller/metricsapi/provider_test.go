package metricsapi

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
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
		// WVA v0.5.1's chart (templates/hpa.yaml) selects {variant_name, exported_namespace}.
		{"WVA chart's HPA selector", "llm-d", "variant_name=qwen-l40s,exported_namespace=llm-d", MetricDesiredReplicas, map[string]int64{"qwen-l40s": 5}},
		{"WVA selector, other namespace", "llm-d", "variant_name=qwen-l40s,exported_namespace=other", MetricDesiredReplicas, map[string]int64{}},
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

func TestVAStatusSource(t *testing.T) {
	s := runtime.NewScheme()
	require.NoError(t, v1alpha1.AddToScheme(s))
	decided := &v1alpha1.VariantAutoscaling{
		ObjectMeta: metav1.ObjectMeta{Namespace: "llm-d", Name: "a", Labels: map[string]string{v1alpha1.AcceleratorLabel: "L40S"}},
		Spec:       v1alpha1.VariantAutoscalingSpec{ModelID: "m"},
		Status: v1alpha1.VariantAutoscalingStatus{DesiredOptimizedAlloc: v1alpha1.OptimizedAlloc{
			LastRunTime: metav1.NewTime(time.Unix(1_700_000_000, 0)), NumReplicas: 3,
		}},
	}
	undecided := &v1alpha1.VariantAutoscaling{ObjectMeta: metav1.ObjectMeta{Namespace: "llm-d", Name: "b"}}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(decided, undecided).Build()
	p := &Provider{Store: VAStatus{Reader: c}}
	list, err := p.GetExternalMetric(context.Background(), "llm-d", labels.Everything(), provider.ExternalMetricInfo{Metric: MetricDesiredReplicas})
	require.NoError(t, err)
	require.Len(t, list.Items, 1, "a VA without a decision is not reported as zero")
	assert.Equal(t, int64(3), list.Items[0].Value.Value())
	assert.Equal(t, "L40S", list.Items[0].MetricLabels["accelerator_type"])
}

// With a controller instance, the source lists that instance's VAs only, and every value
// carries controller_instance, which WVA's chart adds to its HPA selector.
func TestControllerInstance(t *testing.T) {
	s := runtime.NewScheme()
	require.NoError(t, v1alpha1.AddToScheme(s))
	va := func(name, instance string) *v1alpha1.VariantAutoscaling {
		l := map[string]string{v1alpha1.AcceleratorLabel: "H100"}
		if instance != "" {
			l[v1alpha1.ControllerInstanceLabel] = instance
		}
		return &v1alpha1.VariantAutoscaling{
			ObjectMeta: metav1.ObjectMeta{Namespace: "llm-d", Name: name, Labels: l},
			Status: v1alpha1.VariantAutoscalingStatus{DesiredOptimizedAlloc: v1alpha1.OptimizedAlloc{
				LastRunTime: metav1.NewTime(time.Unix(1_700_000_000, 0)), NumReplicas: 2,
			}},
		}
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(va("mine", "team-a"), va("theirs", "team-b"), va("nobodys", "")).Build()
	p := &Provider{Store: VAStatus{Reader: c, Instance: "team-a"}, Instance: "team-a"}
	sel, err := labels.Parse("variant_name=mine,exported_namespace=llm-d,controller_instance=team-a")
	require.NoError(t, err)
	list, err := p.GetExternalMetric(context.Background(), "llm-d", sel, provider.ExternalMetricInfo{Metric: MetricDesiredReplicas})
	require.NoError(t, err)
	require.Len(t, list.Items, 1, "WVA's chart HPA selector with wva.controllerInstance matches")
	assert.Equal(t, "team-a", list.Items[0].MetricLabels["controller_instance"])

	list, err = p.GetExternalMetric(context.Background(), "llm-d", labels.Everything(), provider.ExternalMetricInfo{Metric: MetricDesiredReplicas})
	require.NoError(t, err)
	require.Len(t, list.Items, 1, "another instance's VA and an unassigned one are not this instance's")
	assert.Equal(t, "mine", list.Items[0].MetricLabels["variant_name"])

	all := &Provider{Store: VAStatus{Reader: c}}
	list, err = all.GetExternalMetric(context.Background(), "llm-d", labels.Everything(), provider.ExternalMetricInfo{Metric: MetricDesiredReplicas})
	require.NoError(t, err)
	assert.Len(t, list.Items, 3, "no instance: every VA")
	assert.NotContains(t, list.Items[0].MetricLabels, "controller_instance")
}

// FuzzGetExternalMetric: any selector, namespace or metric name yields a
// list or an error, never a panic, and only matching entries.
func FuzzGetExternalMetric(f *testing.F) {
	f.Add("llm-d", "variant_name=qwen-l40s", MetricDesiredReplicas)
	f.Add("", "accelerator_type in (L40S,H100),!model_id", MetricInfernoDesiredReplicas)
	f.Add("x", "a!=b", "cpu")
	s := NewStore()
	s.Set(Entry{Variant: "qwen-l40s", Namespace: "llm-d", Accelerator: "L40S", ModelID: "m", Desired: 2})
	s.Set(Entry{Variant: "qwen-h100", Namespace: "other", Accelerator: "H100", Desired: 5})
	p := &Provider{Store: s}
	f.Fuzz(func(t *testing.T, ns, selector, metric string) {
		sel, err := labels.Parse(selector)
		if err != nil {
			return
		}
		list, err := p.GetExternalMetric(context.Background(), ns, sel, provider.ExternalMetricInfo{Metric: metric})
		if err != nil {
			return
		}
		for _, it := range list.Items {
			if !sel.Matches(labels.Set(it.MetricLabels)) {
				t.Fatalf("item %v does not match %q", it.MetricLabels, selector)
			}
			if ns != "" && it.MetricLabels["namespace"] != ns {
				t.Fatalf("item of namespace %q served for %q", it.MetricLabels["namespace"], ns)
			}
		}
	})
}
