package wvacompat

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/metrics"
	"github.com/saturn-autoscaler/saturn/controller/reconciler"
)

// env holds one API server per CRD: WVA v0.5.1's ("wva") and saturn's own ("saturn").
var env struct {
	clients map[string]client.Client
	skipMsg string
}

// crds are the CRD directories the suite runs under, by flavour.
var crds = map[string]string{
	"wva":    filepath.Join("testdata", "crd"),
	"saturn": filepath.Join("..", "..", "config", "crd"),
}

// eachCRD runs f under WVA's CRD and under saturn's, each on its own API server.
func eachCRD(t *testing.T, f func(t *testing.T, c client.Client, flavour string)) {
	t.Helper()
	requireEnv(t)
	for _, flavour := range []string{"wva", "saturn"} {
		t.Run(flavour+" CRD", func(t *testing.T) { f(t, env.clients[flavour], flavour) })
	}
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctrllog.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard())
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		env.skipMsg = "KUBEBUILDER_ASSETS is not set: this suite needs kube-apiserver and etcd; `make test` and .ci/run build them with hack/envtest.sh and export KUBEBUILDER_ASSETS, so it runs there"
		return m.Run()
	}
	scheme := k8sruntime.NewScheme()
	must(clientgoscheme.AddToScheme(scheme))
	must(v1alpha1.AddToScheme(scheme))
	env.clients = map[string]client.Client{}
	for flavour, dir := range crds {
		testEnv := &envtest.Environment{CRDDirectoryPaths: []string{dir}, ErrorIfCRDPathMissing: true, Scheme: scheme}
		cfg, err := testEnv.Start()
		if err != nil {
			fmt.Fprintf(os.Stderr, "starting envtest with %s's CRD (kube-apiserver + etcd from %s): %v\n", flavour, os.Getenv("KUBEBUILDER_ASSETS"), err)
			return 1
		}
		defer func() { _ = testEnv.Stop() }()
		c, err := client.New(cfg, client.Options{Scheme: scheme})
		must(err)
		env.clients[flavour] = c
	}
	return m.Run()
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func requireEnv(t *testing.T) {
	t.Helper()
	if env.skipMsg == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(env.skipMsg)
	}
	t.Skip(env.skipMsg)
}

// noSeries answers every PromQL query with nothing: the controller holds each variant at
// its current replicas and still writes its status, which is what this suite checks.
type noSeries struct{}

func (noSeries) Query(context.Context, string, time.Time) (model.Vector, error) {
	return model.Vector{}, nil
}

// applySamples creates every object of WVA's sample file as it is, and a Deployment with
// two ready replicas for each VariantAutoscaling's scale target.
func applySamples(t *testing.T, c client.Client) []*unstructured.Unstructured {
	t.Helper()
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("testdata", "variantautoscaling-with-cost.yaml"))
	require.NoError(t, err)
	var vas []*unstructured.Unstructured
	namespaces := map[string]bool{}
	for _, doc := range bytes.Split(raw, []byte("\n---")) {
		u := &unstructured.Unstructured{}
		require.NoError(t, yaml.Unmarshal(doc, &u.Object))
		if len(u.Object) == 0 {
			continue
		}
		if ns := u.GetNamespace(); !namespaces[ns] {
			namespaces[ns] = true
			require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
		}
		require.NoError(t, c.Create(ctx, u), "WVA's sample %s applies to WVA's CRD", u.GetName())
		target, _, _ := unstructured.NestedString(u.Object, "spec", "scaleTargetRef", "name")
		createReadyDeployment(t, c, u.GetNamespace(), target, 2)
		vas = append(vas, u)
	}
	require.Len(t, vas, 6, "the sample file holds six VariantAutoscalings")
	return vas
}

// Under WVA's CRD (and the same under saturn's), saturn reconciles WVA's own sample VariantAutoscalings: every status
// patch passes WVA's schema (desiredOptimizedAlloc.accelerator is required, at least two
// characters), the accelerator comes from the samples' `accelerator` label or says
// "unknown" with a condition naming the fix, and saturn's status extensions are pruned by
// WVA's structural schema rather than refusing the patch.
func TestSaturnReconcilesWVASamples(t *testing.T) {
	eachCRD(t, reconcileWVASamples)
}

func reconcileWVASamples(t *testing.T, c client.Client, crd string) {
	ctx := context.Background()
	flavour, err := v1alpha1.CRDFlavour(ctx, c)
	require.NoError(t, err)
	want := map[string]string{"wva": v1alpha1.FlavourWVA, "saturn": v1alpha1.FlavourSaturn}[crd]
	assert.Equal(t, want, flavour, "the controller can tell which CRD it runs under")
	vas := applySamples(t, c)

	// WVA's own saturation ConfigMap, where WVA's deploy manifests put it.
	raw, err := os.ReadFile(filepath.Join("testdata", "configmap-saturation-scaling.yaml"))
	require.NoError(t, err)
	var cm corev1.ConfigMap
	require.NoError(t, yaml.Unmarshal(raw, &cm))
	require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: cm.Namespace}}))
	require.NoError(t, c.Create(ctx, &cm))

	m, err := metrics.New(prometheus.NewRegistry())
	require.NoError(t, err)
	rec := &events{}
	ctl, err := reconciler.New(reconciler.Deps{
		Client: c, Querier: noSeries{}, Metrics: m, Recorder: rec,
		Clock: clocktesting.NewFakeClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)),
	}, reconciler.Options{ConfigNamespace: cm.Namespace, Interval: 30 * time.Second})
	require.NoError(t, err)
	res, err := ctl.RunCycle(ctx)
	require.NoError(t, err, "every status patch is accepted by WVA's CRD")
	assert.Equal(t, 6, res.Variants)

	wantAcc := map[string]string{
		"llama-70b-premium-h100": "h100", "llama-70b-standard-a100": "a100", "llama-8b-budget-t4": "t4",
		"llama-8b-tenant-gold": v1alpha1.UnknownAccelerator, "llama-8b-tenant-silver": v1alpha1.UnknownAccelerator,
		"llama-8b-default-cost": v1alpha1.UnknownAccelerator,
	}
	for _, sample := range vas {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(sample.GroupVersionKind())
		require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(sample), u))
		name := u.GetName()
		alloc, found, err := unstructured.NestedMap(u.Object, "status", "desiredOptimizedAlloc")
		require.NoError(t, err)
		require.True(t, found, "%s: status.desiredOptimizedAlloc written", name)
		assert.Equal(t, wantAcc[name], alloc["accelerator"], name)
		assert.EqualValues(t, 2, alloc["numReplicas"], "%s: held at the current replicas", name)
		if crd == "wva" {
			assert.NotContains(t, alloc, "analyzer", "%s: saturn's extension pruned by WVA's schema", name)
			assert.NotContains(t, alloc, "reason", "%s: saturn's extension pruned by WVA's schema", name)
		} else {
			assert.NotEmpty(t, alloc["analyzer"], "%s: saturn's CRD keeps its extensions", name)
			assert.NotEmpty(t, alloc["reason"], "%s: saturn's CRD keeps its extensions", name)
		}

		var va v1alpha1.VariantAutoscaling
		require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(sample), &va))
		cond := va.GetCondition(v1alpha1.TypeAcceleratorResolved)
		require.NotNil(t, cond, "%s: the accelerator's source is reported", name)
		if wantAcc[name] == v1alpha1.UnknownAccelerator {
			assert.Equal(t, metav1.ConditionFalse, cond.Status, name)
			assert.True(t, strings.Contains(cond.Message, "set the label inference.optimization/acceleratorName"), "%s: %s", name, cond.Message)
		} else {
			assert.Equal(t, metav1.ConditionTrue, cond.Status, name)
			assert.Equal(t, "accelerator "+wantAcc[name]+" from label accelerator", cond.Message, name)
		}
		assert.NotNil(t, va.GetCondition(v1alpha1.TypeTargetResolved), name)
		assert.NotNil(t, va.GetCondition(v1alpha1.TypeMetricsAvailable), name)
	}

	assert.Zero(t, rec.count("ConfigNotHonoured"), "WVA's default ConfigMap (enableLimiter: false) applies as it is: %v", rec.notes)

	// A second cycle patches again (conditions' times, the same decision): still accepted.
	// The limiter switched on is a key saturn cannot honour: one Warning naming it.
	cm.Data["default"] += "enableLimiter: true\n"
	cm.Data["default"] = strings.Replace(cm.Data["default"], "enableLimiter: false\n", "", 1)
	require.NoError(t, c.Update(ctx, &cm))
	_, err = ctl.RunCycle(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, rec.count("ConfigNotHonoured"), "%v", rec.notes)
	assert.Contains(t, rec.notes[0], "enableLimiter: true is not honoured")
}

// events records Events by reason.
type events struct {
	reasons []string
	notes   []string
}

func (e *events) Eventf(_, _ k8sruntime.Object, _, reason, _, note string, args ...any) {
	if reason == "ConfigNotHonoured" {
		e.notes = append(e.notes, fmt.Sprintf(note, args...))
	}
	e.reasons = append(e.reasons, reason)
}

func (e *events) count(reason string) int {
	n := 0
	for _, r := range e.reasons {
		if r == reason {
			n++
		}
	}
	return n
}

// createReadyDeployment creates a Deployment of replicas pods labeled app=name (a vLLM
// container) whose status says they are all ready.
func createReadyDeployment(t *testing.T, c client.Client, ns, name string, replicas int32) *appsv1.Deployment {
	t.Helper()
	ctx := context.Background()
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "vllm", Image: "vllm:test"}}}}},
	}
	require.NoError(t, c.Create(ctx, d))
	d.Status.Replicas, d.Status.ReadyReplicas = replicas, replicas
	require.NoError(t, c.Status().Update(ctx, d))
	return d
}
