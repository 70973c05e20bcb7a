package wvacompat

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"

	"github.com/saturn-autoscaler/saturn/controller/actuation"
	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/metrics"
	"github.com/saturn-autoscaler/saturn/controller/metricsapi"
	"github.com/saturn-autoscaler/saturn/controller/promclient"
	"github.com/saturn-autoscaler/saturn/controller/promclient/promtest"
	"github.com/saturn-autoscaler/saturn/controller/reconciler"
)

// saturatedVLLM serves the vLLM series of one saturated pod: KV cache 93% full, 9 waiting.
func saturatedVLLM(t *testing.T, model string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		l := fmt.Sprintf(`engine="0",model_name=%q`, model)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE vllm:kv_cache_usage_perc gauge\nvllm:kv_cache_usage_perc{%s} 0.93\n", l)
		fmt.Fprintf(w, "# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{%s} 9\n", l)
		fmt.Fprintf(w, "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{%s} 8\n", l)
		fmt.Fprintf(w, "# TYPE vllm:cache_config_info gauge\nvllm:cache_config_info{block_size=\"16\",engine=\"0\",num_gpu_blocks=\"2048\"} 1\n")
		fmt.Fprintf(w, "# TYPE vllm:request_success_total counter\nvllm:request_success_total{%s,finished_reason=\"length\"} 100\n", l)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Under WVA's CRD (and the same under saturn's), on a TLS Prometheus fed with vLLM series, saturn decides for a VA as
// WVA's users write them (the sample's premium H100 variant, its `accelerator` label): the
// status carries the decision and passes WVA's schema, and the external metrics API answers
// the selector of WVA's chart HPA with that decision.
func TestSaturnDecidesFromPrometheus(t *testing.T) {
	eachCRD(t, decideFromPrometheus)
}

func decideFromPrometheus(t *testing.T, c client.Client, _ string) {
	ctx := context.Background()
	const ns, name, model = "wva-decide", "llama-70b-premium-h100", "meta/llama-3.1-70b"
	require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	d := createReadyDeployment(t, c, ns, name, 2)
	podLabels := d.Spec.Template.Labels
	var targets []promtest.Target
	for _, pod := range []string{name + "-6b7f9c-aaaaa", name + "-6b7f9c-bbbbb"} {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: pod, Labels: podLabels}, Spec: d.Spec.Template.Spec}
		require.NoError(t, c.Create(ctx, p))
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
		require.NoError(t, c.Status().Update(ctx, p))
		targets = append(targets, promtest.Target{Address: saturatedVLLM(t, model).Listener.Addr().String(), Labels: map[string]string{"namespace": ns, "pod": pod}})
	}
	// The VA exactly as in WVA's sample file (its accelerator in the `accelerator` label).
	va := &v1alpha1.VariantAutoscaling{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "llm-inference", "accelerator": "h100"}},
		Spec: v1alpha1.VariantAutoscalingSpec{
			ScaleTargetRef: v1alpha1.CrossVersionObjectReference{Kind: "Deployment", Name: name},
			ModelID:        model, VariantCost: "80.0",
		},
	}
	require.NoError(t, c.Create(ctx, va))

	prom := promtest.Start(t, promtest.Options{Targets: targets})
	q, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: prom.CA.CertFile})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		v, err := q.Query(ctx, fmt.Sprintf(`count(vllm:kv_cache_usage_perc{namespace=%q})`, ns), time.Now())
		return err == nil && len(v) == 1 && v[0].Value == 2
	}, 30*time.Second, 200*time.Millisecond, "Prometheus never scraped the pods:\n%s", prom.Log())

	m, err := metrics.New(prometheus.NewRegistry())
	require.NoError(t, err)
	cl := client.NewNamespacedClient(c, ns)
	act, err := actuation.New(actuation.ModeMetrics, cl)
	require.NoError(t, err)
	ctl, err := reconciler.New(reconciler.Deps{Client: cl, Querier: q, Metrics: m, Actuator: act, Clock: clock.RealClock{}},
		reconciler.Options{ConfigNamespace: "saturn-system"})
	require.NoError(t, err)
	res, err := ctl.RunCycle(ctx)
	require.NoError(t, err, "the status patch passes WVA's CRD")
	require.Len(t, res.Decisions, 1)
	dec := res.Decisions[0]
	require.True(t, dec.MetricsAvailable, dec.MetricsMessage)
	assert.Greater(t, dec.Desired, 2, "saturated pods: a scale-up (%s)", dec.Reason)
	assert.Equal(t, "h100", dec.Accelerator)

	var got v1alpha1.VariantAutoscaling
	require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(va), &got))
	assert.Equal(t, int32(dec.Desired), got.Status.DesiredOptimizedAlloc.NumReplicas)
	assert.Equal(t, "h100", got.Status.DesiredOptimizedAlloc.Accelerator)
	assert.False(t, got.Status.DesiredOptimizedAlloc.LastRunTime.IsZero())
	ready := got.GetCondition(v1alpha1.TypeOptimizationReady)
	require.NotNil(t, ready)
	assert.Equal(t, metav1.ConditionTrue, ready.Status)

	// The HPA of WVA's chart selects {variant_name, exported_namespace}: saturn's external
	// metrics API (reading VA status, as every replica serves it) answers with the decision.
	p := &metricsapi.Provider{Store: metricsapi.VAStatus{Reader: c}}
	sel, err := labels.Parse("variant_name=" + name + ",exported_namespace=" + ns)
	require.NoError(t, err)
	list, err := p.GetExternalMetric(ctx, ns, sel, provider.ExternalMetricInfo{Metric: metricsapi.MetricDesiredReplicas})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Equal(t, int64(dec.Desired), list.Items[0].Value.Value())
}
