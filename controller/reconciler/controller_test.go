package reconciler

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/metrics"
)

// countingQuerier answers every query with no series and counts them.
type countingQuerier struct {
	mu sync.Mutex
	n  int
}

func (q *countingQuerier) Query(context.Context, string, time.Time) (model.Vector, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n++
	return model.Vector{}, nil
}

func (q *countingQuerier) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

func newScheme(t testing.TB) *runtime.Scheme {
	s := runtime.NewScheme()
	require.NoError(t, clientgoscheme.AddToScheme(s))
	require.NoError(t, v1alpha1.AddToScheme(s))
	return s
}

func variantObjects(ns string, i int) []client.Object {
	name := fmt.Sprintf("v%d", i)
	replicas := int32(2)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
		},
		Status: appsv1.DeploymentStatus{Replicas: 2, ReadyReplicas: 2},
	}
	va := &v1alpha1.VariantAutoscaling{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1, Labels: map[string]string{v1alpha1.AcceleratorLabel: "H100"}},
		Spec: v1alpha1.VariantAutoscalingSpec{
			ScaleTargetRef: v1alpha1.CrossVersionObjectReference{Kind: "Deployment", Name: name},
			ModelID:        fmt.Sprintf("model-%d", i%10),
		},
	}
	objs := []client.Object{d, va}
	for j := range 2 {
		objs = append(objs, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-6b7f9c-%d", name, j), Labels: map[string]string{"app": name}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: corev1.ConditionTrue},
			}},
		})
	}
	return objs
}

type harness struct {
	c   *Controller
	q   *countingQuerier
	clk *clocktesting.FakeClock
	reg *prometheus.Registry
	cl  client.Client
}

func newHarness(t testing.TB, objs ...client.Object) *harness {
	cl := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.VariantAutoscaling{}).Build()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	require.NoError(t, err)
	q := &countingQuerier{}
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c, err := New(Deps{Client: cl, Querier: q, Metrics: m, Clock: clk}, Options{ConfigNamespace: "saturn-system", Interval: 30 * time.Second})
	require.NoError(t, err)
	return &harness{c: c, q: q, clk: clk, reg: reg, cl: cl}
}

func TestQueriesAreConstantInTheNumberOfVAs(t *testing.T) {
	counts := map[int]int{}
	for _, n := range []int{1, 10, 200} {
		var objs []client.Object
		for i := range n {
			objs = append(objs, variantObjects("ns", i)...)
		}
		h := newHarness(t, objs...)
		res, err := h.c.RunCycle(context.Background())
		require.NoError(t, err)
		assert.Equal(t, n, res.Variants)
		assert.Len(t, res.Decisions, n)
		counts[n] = h.q.count()
	}
	assert.Equal(t, counts[1], counts[10])
	assert.Equal(t, counts[1], counts[200])
	assert.Positive(t, counts[1])
}

func TestMissingMetricsHoldAndSetConditions(t *testing.T) {
	h := newHarness(t, variantObjects("ns", 0)...)
	_, err := h.c.RunCycle(context.Background())
	require.NoError(t, err)
	var va v1alpha1.VariantAutoscaling
	require.NoError(t, h.cl.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: "v0"}, &va))
	assert.Equal(t, int32(2), va.Status.DesiredOptimizedAlloc.NumReplicas, "held at current")
	assert.Equal(t, metav1.ConditionFalse, va.GetCondition(v1alpha1.TypeMetricsAvailable).Status)
	assert.Equal(t, metav1.ConditionTrue, va.GetCondition(v1alpha1.TypeTargetResolved).Status)
	assert.Equal(t, int64(1), va.Status.ObservedGeneration)
	assert.Equal(t, h.clk.Now().Unix(), va.Status.DesiredOptimizedAlloc.LastRunTime.Unix(), "time comes from the injected clock")
	assert.InDelta(t, 2.0, testutil.ToFloat64(gauge(t, h.reg, "wva_desired_replicas")), 0)
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name})
			g.Set(mf.GetMetric()[0].GetGauge().GetValue())
			return g
		}
	}
	t.Fatalf("%s not gathered", name)
	return nil
}

func TestReconcileCoalescesAndSchedulesTheNextCycle(t *testing.T) {
	h := newHarness(t, variantObjects("ns", 0)...)
	ctx := context.Background()
	res, err := h.c.Reconcile(ctx, reconcile.Request{})
	require.NoError(t, err)
	assert.Equal(t, DefaultRetryInterval, res.RequeueAfter, "metrics are missing: retry before the 30s interval")
	first := h.q.count()
	cycle := len(collector.Queries([]collector.Target{{Namespace: "ns", ModelID: "m"}}, collector.Options{}))
	require.Positive(t, cycle)
	assert.Equal(t, cycle+collector.QueriesPerHistoryPoint*collector.MaxHistoryPoints, first, "the first cycle also reads the model's history: 30 minutes of 30 s cycles")

	// A trigger 500ms later is deferred to MinGap, without querying.
	h.clk.Step(500 * time.Millisecond)
	res, err = h.c.Reconcile(ctx, reconcile.Request{})
	require.NoError(t, err)
	assert.Equal(t, DefaultMinGap-500*time.Millisecond, res.RequeueAfter)
	assert.Equal(t, first, h.q.count())

	h.clk.Step(DefaultMinGap)
	_, err = h.c.Reconcile(ctx, reconcile.Request{})
	require.NoError(t, err)
	assert.Equal(t, first+cycle, h.q.count(), "the history is read once")

	// Without variants nothing is held: the full interval applies.
	empty := newHarness(t)
	res, err = empty.c.Reconcile(ctx, reconcile.Request{})
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, res.RequeueAfter)
}

func TestConfigMapHotReload(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cfg, err := h.c.loadConfig(ctx)
	require.NoError(t, err)
	assert.InDelta(t, config.DefaultKvCacheThreshold, cfg.For("ns", "m").KvCacheThreshold, 0)

	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "saturn-system", Name: config.SaturationConfigMapName},
		Data: map[string]string{
			"default": "kvCacheThreshold: 0.7\nqueueLengthThreshold: 4\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n",
			"m":       "model_id: m\nnamespace: ns\nkvCacheThreshold: 0.5\n",
		},
	}
	require.NoError(t, h.cl.Create(ctx, cm))
	cfg, err = h.c.loadConfig(ctx)
	require.NoError(t, err)
	assert.InDelta(t, 0.7, cfg.For("other", "x").KvCacheThreshold, 1e-12)
	assert.InDelta(t, 0.5, cfg.For("ns", "m").KvCacheThreshold, 1e-12, "per-model overrides take effect")

	cm.Data["bad"] = "model_id: z\nkvCacheThreshold: 2\n"
	require.NoError(t, h.cl.Update(ctx, cm))
	cfg, err = h.c.loadConfig(ctx)
	require.Error(t, err, "an invalid entry is reported")
	assert.Contains(t, err.Error(), "bad")
	assert.InDelta(t, 0.5, cfg.For("ns", "m").KvCacheThreshold, 1e-12, "valid entries still apply")

	// An unknown field does not invalidate its entry; it is a Warning Event on the
	// ConfigMap naming the field, once, not once per cycle.
	rec := &recorder{}
	h.c.Recorder = rec
	delete(cm.Data, "bad")
	cm.Data["z"] = "model_id: z\nnoSuchField: 1\nkvCacheThreshold: 0.6\n"
	require.NoError(t, h.cl.Update(ctx, cm))
	for range 3 {
		cfg, err = h.c.loadConfig(ctx)
		require.NoError(t, err)
	}
	assert.InDelta(t, 0.6, cfg.For("ns", "z").KvCacheThreshold, 1e-12, "the entry's known fields apply")
	assert.Equal(t, 1, rec.n["ConfigNotHonoured"])
	assert.Contains(t, cfg.Saturation.Notices, `wva-saturation-scaling-config key "z": unknown field(s) noSuchField ignored (misspelt? the entry's other fields apply)`)

	s2z := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "saturn-system", Name: config.ScaleToZeroConfigMapName},
		Data:       map[string]string{"default": "enable_scale_to_zero: true\nretention_period: 3m\n"},
	}
	require.NoError(t, h.cl.Create(ctx, s2z))
	cfg, _ = h.c.loadConfig(ctx)
	mc := cfg.For("ns", "m")
	assert.True(t, mc.ScaleToZero)
	assert.Equal(t, 3*time.Minute, mc.RetentionPeriod)
}

func TestDeletedVariantsAreForgotten(t *testing.T) {
	objs := append(variantObjects("ns", 0), variantObjects("ns", 1)...)
	h := newHarness(t, objs...)
	ctx := context.Background()
	_, err := h.c.RunCycle(ctx)
	require.NoError(t, err)
	n, err := testutil.GatherAndCount(h.reg, "wva_desired_replicas")
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	require.NoError(t, h.cl.Delete(ctx, &v1alpha1.VariantAutoscaling{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "v1"}}))
	_, err = h.c.RunCycle(ctx)
	require.NoError(t, err)
	n, err = testutil.GatherAndCount(h.reg, "wva_desired_replicas")
	require.NoError(t, err)
	assert.Equal(t, 1, n, "series of a deleted VA disappear")
}

func TestInvalidCostIsReported(t *testing.T) {
	objs := variantObjects("ns", 0)
	objs[1].(*v1alpha1.VariantAutoscaling).Spec.VariantCost = "cheap"
	h := newHarness(t, objs...)
	_, err := h.c.RunCycle(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "variantCost")
	var va v1alpha1.VariantAutoscaling
	require.NoError(t, h.cl.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: "v0"}, &va))
	c := va.GetCondition(v1alpha1.TypeOptimizationReady)
	require.NotNil(t, c)
	assert.Equal(t, v1alpha1.ReasonInvalidConfiguration, c.Reason)
}

// countingStatus replaces the fake client's status writer (whose Patch
// rebuilds a REST mapper per call and would dominate the measurement) with
// one that counts the patches the cycle sends.
type countingStatus struct {
	client.Client
	patches int
}

func (c *countingStatus) Status() client.SubResourceWriter { return statusWriter{c} }

type statusWriter struct{ c *countingStatus }

func (w statusWriter) Create(context.Context, client.Object, client.Object, ...client.SubResourceCreateOption) error {
	return nil
}
func (w statusWriter) Update(context.Context, client.Object, ...client.SubResourceUpdateOption) error {
	return nil
}
func (w statusWriter) Patch(_ context.Context, obj client.Object, p client.Patch, _ ...client.SubResourcePatchOption) error {
	if _, err := p.Data(obj); err != nil {
		return err
	}
	w.c.patches++
	return nil
}
func (w statusWriter) Apply(context.Context, runtime.ApplyConfiguration, ...client.SubResourceApplyOption) error {
	return nil
}

// BenchmarkCycle1000VAs measures the controller-side CPU of one full cycle
// for 1,000 VAs on 10 models: list VAs, resolve 1,000 Deployments and 2,000
// pods (fake API reads), 8 PromQL queries (answered empty), decide, build and
// encode 1,000 status patches (not sent).
func BenchmarkCycle1000VAs(b *testing.B) {
	var objs []client.Object
	for i := range 1000 {
		objs = append(objs, variantObjects("ns", i)...)
	}
	h := newHarness(b, objs...)
	cs := &countingStatus{Client: h.cl}
	h.c.Client = cs
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		h.clk.Step(time.Minute)
		if _, err := h.c.RunCycle(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(h.q.count())/float64(b.N), "queries/cycle")
	b.ReportMetric(float64(cs.patches)/float64(b.N), "status-patches/cycle")
}

// recorder counts Events by reason.
type recorder struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *recorder) Eventf(_, _ runtime.Object, _, reason, _, _ string, _ ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[reason]++
}

func TestMetricsUnavailableEventOnTransitionOnly(t *testing.T) {
	h := newHarness(t, variantObjects("ns", 0)...)
	rec := &recorder{}
	h.c.Recorder = rec
	for range 3 {
		h.clk.Step(time.Minute)
		_, err := h.c.RunCycle(context.Background())
		require.NoError(t, err)
	}
	assert.Equal(t, 1, rec.n[v1alpha1.ReasonMetricsUnavailable], "one Warning when metrics go missing, not one per cycle")
}

func TestAcceleratorChangeReplacesSeries(t *testing.T) {
	h := newHarness(t, variantObjects("ns", 0)...)
	ctx := context.Background()
	_, err := h.c.RunCycle(ctx)
	require.NoError(t, err)
	var va v1alpha1.VariantAutoscaling
	require.NoError(t, h.cl.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "v0"}, &va))
	va.Labels[v1alpha1.AcceleratorLabel] = "A100"
	require.NoError(t, h.cl.Update(ctx, &va))
	h.clk.Step(time.Minute)
	_, err = h.c.RunCycle(ctx)
	require.NoError(t, err)
	mfs, err := h.reg.Gather()
	require.NoError(t, err)
	var accs []string
	for _, mf := range mfs {
		if mf.GetName() != "wva_desired_replicas" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "accelerator_type" {
					accs = append(accs, l.GetValue())
				}
			}
		}
	}
	assert.Equal(t, []string{"A100"}, accs, "one series, with the new accelerator")
}

// With a controller instance the controller decides for the VAs labeled with it only, as
// WVA with CONTROLLER_INSTANCE; its series carry controller_instance.
func TestControllerInstanceReconcilesItsOwnVAs(t *testing.T) {
	var objs []client.Object
	for i, instance := range []string{"team-a", "team-b", ""} {
		vo := variantObjects("ns", i)
		if instance != "" {
			va := vo[1].(*v1alpha1.VariantAutoscaling)
			va.Labels[v1alpha1.ControllerInstanceLabel] = instance
		}
		objs = append(objs, vo...)
	}
	cl := fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.VariantAutoscaling{}).Build()
	reg := prometheus.NewRegistry()
	m, err := metrics.NewFor(reg, "team-a")
	require.NoError(t, err)
	c, err := New(Deps{Client: cl, Querier: &countingQuerier{}, Metrics: m, Clock: clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))},
		Options{ConfigNamespace: "saturn-system", Interval: 30 * time.Second, ControllerInstance: "team-a"})
	require.NoError(t, err)
	res, err := c.RunCycle(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, res.Variants)
	require.Len(t, res.Decisions, 1)
	assert.Equal(t, "v0", res.Decisions[0].Variant)
	got, err := testutil.GatherAndCount(reg, "wva_desired_replicas")
	require.NoError(t, err)
	assert.Equal(t, 1, got)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP wva_desired_replicas Desired number of replicas for each variant
# TYPE wva_desired_replicas gauge
wva_desired_replicas{accelerator_type="H100",controller_instance="team-a",namespace="ns",variant_name="v0"} 2
`), "wva_desired_replicas"))

	var other v1alpha1.VariantAutoscaling
	require.NoError(t, cl.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: "v1"}, &other))
	assert.True(t, other.Status.DesiredOptimizedAlloc.LastRunTime.IsZero(), "another instance's VA is left alone")
	assert.True(t, c.owns(objs[1]))
	assert.False(t, c.owns(other.DeepCopy()))
}

// The accelerator comes from wherever the user put it (here WVA's samples' accelerator
// label, and the Deployment's nodeSelector); without any source the status says
// "unknown" (WVA's CRD requires one) and AcceleratorResolved says where to set it.
func TestAcceleratorIsResolvedAndReported(t *testing.T) {
	sample := variantObjects("ns", 0)
	delete(sample[1].(*v1alpha1.VariantAutoscaling).Labels, v1alpha1.AcceleratorLabel)
	sample[1].(*v1alpha1.VariantAutoscaling).Labels["accelerator"] = "h100"
	gfd := variantObjects("ns", 1)
	delete(gfd[1].(*v1alpha1.VariantAutoscaling).Labels, v1alpha1.AcceleratorLabel)
	gfd[0].(*appsv1.Deployment).Spec.Template.Spec.NodeSelector = map[string]string{"nvidia.com/gpu.product": "NVIDIA-L40S"}
	none := variantObjects("ns", 2)
	delete(none[1].(*v1alpha1.VariantAutoscaling).Labels, v1alpha1.AcceleratorLabel)
	h := newHarness(t, append(append(sample, gfd...), none...)...)
	_, err := h.c.RunCycle(context.Background())
	require.NoError(t, err)
	for name, want := range map[string][2]string{
		"v0": {"h100", "accelerator h100 from label accelerator"},
		"v1": {"NVIDIA-L40S", "accelerator NVIDIA-L40S from the scale target's nodeSelector nvidia.com/gpu.product"},
		"v2": {v1alpha1.UnknownAccelerator, "no source names the accelerator"},
	} {
		var va v1alpha1.VariantAutoscaling
		require.NoError(t, h.cl.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: name}, &va))
		assert.Equal(t, want[0], va.Status.DesiredOptimizedAlloc.Accelerator, name)
		c := va.GetCondition(v1alpha1.TypeAcceleratorResolved)
		require.NotNil(t, c, name)
		assert.Contains(t, c.Message, want[1], name)
		assert.Equal(t, want[0] != v1alpha1.UnknownAccelerator, c.Status == metav1.ConditionTrue, name)
	}
}

// As in WVA, a copy of the saturation ConfigMap in a VA's namespace replaces the global one
// for that namespace's VAs; other namespaces keep the global one.
func TestNamespaceLocalConfigMapReplacesTheGlobalOne(t *testing.T) {
	objs := append(variantObjects("team", 0), variantObjects("other", 1)...)
	objs = append(objs,
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "saturn-system", Name: config.SaturationConfigMapName},
			Data: map[string]string{"default": "analyzer: capacity\n"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: config.SaturationConfigMapName},
			Data: map[string]string{"default": "analyzer: wva-v1\nnoSuchKey: 1\n"}},
	)
	h := newHarness(t, objs...)
	rec := &recorder{}
	h.c.Recorder = rec
	ctx := context.Background()
	for range 2 {
		_, err := h.c.RunCycle(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, rec.n["ConfigNotHonoured"], "the local copy's unknown key, reported once")

	global, err := h.c.loadConfig(ctx)
	require.NoError(t, err)
	vs := []*variant{{va: objs[1].(*v1alpha1.VariantAutoscaling)}, {va: objs[5].(*v1alpha1.VariantAutoscaling)}}
	cfg := h.c.withNamespaceConfig(ctx, global, vs)
	assert.Equal(t, config.AnalyzerWVAV1, cfg.For("team", "model-0").Analyzer, "the local copy replaces the global one")
	assert.Contains(t, cfg.For("team", "model-0").Source, "team/")
	assert.Equal(t, config.AnalyzerCapacity, cfg.For("other", "model-1").Analyzer, "other namespaces keep the global one")
}

// The saturation ConfigMap is read under the configured name (WVA's SATURATION_CONFIG_MAP_NAME).
func TestSaturationConfigMapName(t *testing.T) {
	h := newHarness(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "saturn-system", Name: "wva-wva-saturation-scaling-config"},
		Data: map[string]string{"default": "analyzer: wva-v1\n"}})
	cfg, err := h.c.loadConfig(context.Background())
	require.NoError(t, err)
	assert.Equal(t, config.AnalyzerCapacity, cfg.For("ns", "m").Analyzer, "the default name finds nothing")
	h.c.opts.SaturationConfigMapName = "wva-wva-saturation-scaling-config"
	cfg, err = h.c.loadConfig(context.Background())
	require.NoError(t, err)
	assert.Equal(t, config.AnalyzerWVAV1, cfg.For("ns", "m").Analyzer)
}
