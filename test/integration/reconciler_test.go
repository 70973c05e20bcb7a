package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/actuation"
	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/metrics"
	"github.com/saturn-autoscaler/saturn/controller/metricsapi"
	"github.com/saturn-autoscaler/saturn/controller/promclient"
	"github.com/saturn-autoscaler/saturn/controller/promclient/promtest"
	"github.com/saturn-autoscaler/saturn/controller/reconciler"
)

const model = "Qwen/Qwen3-0.6B"

// events records what the controller would send to the events API.
type events struct {
	mu  sync.Mutex
	got []string // "Type/Reason: note"
}

func (e *events) Eventf(_, _ runtime.Object, eventtype, reason, _, note string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, eventtype+"/"+reason+": "+fmt.Sprintf(note, args...))
}

func (e *events) reasons() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []string{}
	for _, g := range e.got {
		for i := range g {
			if g[i] == ':' {
				out = append(out, g[:i])
				break
			}
		}
	}
	return out
}

type fixture struct {
	ns     string
	deploy *appsv1.Deployment
	pods   []*vllmPod
	prom   *promtest.Server
	query  *promclient.Client
}

// newFixture creates a namespace with a 2-replica Deployment, two ready pods
// and a real Prometheus over TLS scraping their (saturated) vLLM metrics.
func newFixture(t *testing.T, ns string, kv float64, waiting int) *fixture {
	t.Helper()
	requireEnv(t)
	f := &fixture{ns: ns}
	createNamespace(t, ns)
	f.deploy = createDeployment(t, ns, "qwen-l40s", 2, 2)
	var targets []promtest.Target
	for _, name := range []string{"qwen-l40s-6b7f9c-aaaaa", "qwen-l40s-6b7f9c-bbbbb"} {
		createReadyPod(t, f.deploy, name)
		p := newVLLMPod(t, ns, name, model, kv, waiting, 8)
		f.pods = append(f.pods, p)
		targets = append(targets, p.target())
	}
	f.prom = promtest.Start(t, promtest.Options{Targets: targets})
	var err error
	f.query, err = promclient.New(promclient.Config{URL: f.prom.URL, CAFile: f.prom.CA.CertFile})
	require.NoError(t, err)
	// Wait until both pods were scraped.
	require.Eventually(t, func() bool {
		v, err := f.query.Query(context.Background(), fmt.Sprintf(`count(vllm:kv_cache_usage_perc{namespace=%q})`, ns), time.Now())
		return err == nil && len(v) == 1 && v[0].Value == 2
	}, 30*time.Second, 200*time.Millisecond, "Prometheus never scraped the pods:\n%s", f.prom.Log())
	return f
}

// newController builds an in-process controller seeing only namespace ns
// (other tests' VAs live in the same API server).
func newController(t *testing.T, ns string, q collector.Querier, mode actuation.Mode, tune ...func(*reconciler.Options)) (*reconciler.Controller, *prometheus.Registry, *events, *metricsapi.Store) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	require.NoError(t, err)
	cl := client.NewNamespacedClient(env.client, ns)
	act, err := actuation.New(mode, cl)
	require.NoError(t, err)
	ev := &events{}
	store := metricsapi.NewStore()
	opts := reconciler.Options{ConfigNamespace: "saturn-system"}
	for _, f := range tune {
		f(&opts)
	}
	c, err := reconciler.New(reconciler.Deps{
		Client: cl, Recorder: ev, Clock: clock.RealClock{}, Querier: q,
		Actuator: act, Metrics: m, Store: store,
	}, opts)
	require.NoError(t, err)
	return c, reg, ev, store
}

func getVA(t *testing.T, ns, name string) *v1alpha1.VariantAutoscaling {
	t.Helper()
	var va v1alpha1.VariantAutoscaling
	require.NoError(t, env.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &va))
	return &va
}

func condStatus(va *v1alpha1.VariantAutoscaling, typ string) metav1.ConditionStatus {
	if c := va.GetCondition(typ); c != nil {
		return c.Status
	}
	return "absent"
}

func TestReconcilerMetricsModeScalesUpInOneDecision(t *testing.T) {
	f := newFixture(t, "recon-metrics", 0.97, 12)
	createVA(t, f.ns, "qwen-l40s", "qwen-l40s", model, "L40S")
	c, reg, ev, store := newController(t, f.ns, f.query, actuation.ModeMetrics)

	res, err := c.RunCycle(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, res.Variants)
	assert.Positive(t, res.Queries)

	va := getVA(t, f.ns, "qwen-l40s")
	assert.Equal(t, metav1.ConditionTrue, condStatus(va, v1alpha1.TypeTargetResolved))
	assert.Equal(t, metav1.ConditionTrue, condStatus(va, v1alpha1.TypeMetricsAvailable), "%+v", va.Status.Conditions)
	assert.Equal(t, metav1.ConditionTrue, condStatus(va, v1alpha1.TypeOptimizationReady))
	for _, cond := range va.Status.Conditions {
		assert.Equal(t, va.Generation, cond.ObservedGeneration, cond.Type)
	}
	assert.Equal(t, va.Generation, va.Status.ObservedGeneration)
	desired := va.Status.DesiredOptimizedAlloc.NumReplicas
	assert.Greater(t, desired, int32(2), "saturated pods (KV 0.97, 12 waiting) must scale up: %s", va.Status.DesiredOptimizedAlloc.Reason)
	assert.Equal(t, "L40S", va.Status.DesiredOptimizedAlloc.Accelerator)
	assert.False(t, va.Status.DesiredOptimizedAlloc.LastRunTime.IsZero())
	assert.True(t, va.Status.Actuation.Applied)

	// metrics mode leaves the Deployment alone and publishes the gauge.
	var d appsv1.Deployment
	require.NoError(t, env.client.Get(context.Background(), client.ObjectKeyFromObject(f.deploy), &d))
	assert.Equal(t, int32(2), *d.Spec.Replicas)
	n, err := testutil.GatherAndCount(reg, "wva_desired_replicas")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	entries := store.List(f.ns)
	require.Len(t, entries, 1)
	assert.Equal(t, desired, entries[0].Desired)
	assert.Contains(t, ev.reasons(), "Normal/ScaledUp")
}

func TestReconcilerDirectModePatchesScaleSubresource(t *testing.T) {
	f := newFixture(t, "recon-direct", 0.97, 12)
	createVA(t, f.ns, "qwen-l40s", "qwen-l40s", model, "L40S")
	c, _, _, _ := newController(t, f.ns, f.query, actuation.ModeDirect)

	_, err := c.RunCycle(context.Background())
	require.NoError(t, err)
	va := getVA(t, f.ns, "qwen-l40s")
	desired := va.Status.DesiredOptimizedAlloc.NumReplicas
	require.Greater(t, desired, int32(2))

	var d appsv1.Deployment
	require.NoError(t, env.client.Get(context.Background(), client.ObjectKeyFromObject(f.deploy), &d))
	assert.Equal(t, desired, *d.Spec.Replicas, "the scale subresource was patched to the decision")
	assert.True(t, va.Status.Actuation.Applied)
}

func TestReconcilerHoldsWhenPrometheusIsDown(t *testing.T) {
	requireEnv(t)
	ns := "recon-noprom"
	createNamespace(t, ns)
	d := createDeployment(t, ns, "qwen-l40s", 3, 3)
	createReadyPod(t, d, "qwen-l40s-6b7f9c-aaaaa")
	createVA(t, ns, "qwen-l40s", "qwen-l40s", model, "L40S")
	// A TLS endpoint where nothing listens.
	q, err := promclient.New(promclient.Config{URL: "https://127.0.0.1:1", Timeout: 2 * time.Second})
	require.NoError(t, err)
	c, reg, ev, _ := newController(t, ns, q, actuation.ModeDirect)

	_, err = c.RunCycle(context.Background())
	require.NoError(t, err)
	va := getVA(t, ns, "qwen-l40s")
	assert.Equal(t, metav1.ConditionFalse, condStatus(va, v1alpha1.TypeMetricsAvailable))
	assert.Equal(t, metav1.ConditionFalse, condStatus(va, v1alpha1.TypeOptimizationReady))
	assert.Equal(t, int32(3), va.Status.DesiredOptimizedAlloc.NumReplicas, "held at the current replicas")
	var got appsv1.Deployment
	require.NoError(t, env.client.Get(context.Background(), client.ObjectKeyFromObject(d), &got))
	assert.Equal(t, int32(3), *got.Spec.Replicas, "never scales on missing metrics")
	assert.Contains(t, ev.reasons(), "Warning/"+v1alpha1.ReasonMetricsUnavailable)
	v, err := testutil.GatherAndCount(reg, "wva_replica_scaling_total")
	require.NoError(t, err)
	assert.Equal(t, 0, v)
}

func TestReconcilerTargetNotFound(t *testing.T) {
	requireEnv(t)
	ns := "recon-notarget"
	createNamespace(t, ns)
	createVA(t, ns, "orphan", "does-not-exist", model, "H100")
	q, err := promclient.New(promclient.Config{URL: "https://127.0.0.1:1", Timeout: time.Second})
	require.NoError(t, err)
	c, _, ev, _ := newController(t, ns, q, actuation.ModeMetrics)
	_, err = c.RunCycle(context.Background())
	require.NoError(t, err)
	va := getVA(t, ns, "orphan")
	assert.Equal(t, metav1.ConditionFalse, condStatus(va, v1alpha1.TypeTargetResolved))
	assert.Equal(t, v1alpha1.ReasonScaleTargetNotFound, va.GetCondition(v1alpha1.TypeTargetResolved).Reason)
	assert.Contains(t, ev.reasons(), "Warning/"+v1alpha1.ReasonScaleTargetNotFound)
}
