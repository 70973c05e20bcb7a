package wvacompat

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"
	"sigs.k8s.io/yaml"

	"github.com/saturn-autoscaler/saturn/controller/metrics"
	"github.com/saturn-autoscaler/saturn/controller/metricsapi"
	"github.com/saturn-autoscaler/saturn/controller/reconciler"
)

// WVA's HPA guide as a user follows it: the VA of deploy/examples (vllme-deployment), WVA's
// sample HPA (config/samples/hpa-integration.yaml) and WVA's sample scale-to-zero ConfigMap
// (config/samples/model-scale-to-zero-config.yaml), each applied as it is. The HPA is
// accepted; its selector is evaluated as the HPA controller would, against saturn's external
// metrics API. WVA's sample selects variant_name vllme-deployment-va, a VA that does not
// exist (WVA's defect: the guide's VA is vllme-deployment): it matches nothing, in saturn as
// in WVA; the same HPA naming the VA reads saturn's decision. The ConfigMap's default
// (scale-to-zero on, 15m retention) is honoured: after 15 idle minutes the decision is 0.
func TestWVAsHPAGuideSamples(t *testing.T) {
	eachCRD(t, hpaGuideSamples)
}

func hpaGuideSamples(t *testing.T, c client.Client, _ string) {
	ctx := context.Background()
	apply := func(file string) *unstructured.Unstructured {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("testdata", file))
		require.NoError(t, err)
		u := &unstructured.Unstructured{}
		require.NoError(t, yaml.Unmarshal(raw, &u.Object))
		if ns := u.GetNamespace(); ns != "" {
			err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
			require.True(t, err == nil || apierrors.IsAlreadyExists(err), "%v", err)
		}
		require.NoError(t, c.Create(ctx, u), "WVA's %s applies as it is", file)
		t.Cleanup(func() { _ = c.Delete(ctx, u) })
		return u
	}
	va := apply("vllme-variantautoscaling.yaml")
	ns, name := va.GetNamespace(), va.GetName()
	d := createReadyDeployment(t, c, ns, name, 1)
	t.Cleanup(func() { _ = c.Delete(ctx, d) })
	apply("hpa-integration.yaml")
	zero := apply("model-scale-to-zero-config.yaml")

	clk := clocktesting.NewFakeClock(time.Now())
	m, err := metrics.New(prometheus.NewRegistry())
	require.NoError(t, err)
	ctl, err := reconciler.New(reconciler.Deps{Client: c, Querier: noSeries{}, Metrics: m, Clock: clk},
		reconciler.Options{ConfigNamespace: zero.GetNamespace(), Interval: 30 * time.Second})
	require.NoError(t, err)

	var hpa autoscalingv2.HorizontalPodAutoscaler
	require.NoError(t, c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "vllme-deployment-hpa"}, &hpa))
	require.Len(t, hpa.Spec.Metrics, 1)
	ext := hpa.Spec.Metrics[0].External
	require.NotNil(t, ext)
	require.Equal(t, metricsapi.MetricDesiredReplicas, ext.Metric.Name)
	sampleSel, err := metav1.LabelSelectorAsSelector(ext.Metric.Selector)
	require.NoError(t, err)
	p := &metricsapi.Provider{Store: metricsapi.VAStatus{Reader: c}}
	read := func(sel labels.Selector) []int64 {
		t.Helper()
		list, err := p.GetExternalMetric(ctx, ns, sel, provider.ExternalMetricInfo{Metric: ext.Metric.Name})
		require.NoError(t, err)
		var out []int64
		for _, it := range list.Items {
			out = append(out, it.Value.Value())
		}
		return out
	}
	named, err := labels.Parse("variant_name=" + name)
	require.NoError(t, err)

	decided := func() int {
		t.Helper()
		res, err := ctl.RunCycle(ctx)
		require.NoError(t, err, "the status patch passes the CRD")
		for _, dec := range res.Decisions {
			if dec.Namespace == ns && dec.Variant == name {
				return dec.Desired
			}
		}
		t.Fatalf("no decision for %s/%s", ns, name)
		return -1
	}
	assert.Equal(t, 1, decided(), "first sight: the current replicas")
	assert.Empty(t, read(sampleSel), "WVA's sample HPA selects variant_name=vllme-deployment-va, which no VA is")
	assert.Equal(t, []int64{1}, read(named), "an HPA naming the VA reads the decision")

	// WVA's sample ConfigMap: scale-to-zero on by default with a 15-minute retention. The
	// controller cycles every 30 s (cycles further apart cannot tell whether a request
	// finished in between).
	idle := func(d time.Duration) int {
		t.Helper()
		got := -1
		for end := clk.Now().Add(d); clk.Now().Before(end); {
			clk.Step(30 * time.Second)
			got = decided()
		}
		return got
	}
	assert.Equal(t, 1, idle(14*time.Minute), "idle for 14 minutes: within the 15m retention")
	assert.Equal(t, 0, idle(2*time.Minute), "idle for 16 minutes: past WVA's sample retention_period 15m")
	assert.Equal(t, []int64{0}, read(named))
}
