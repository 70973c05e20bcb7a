package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
)

// env is the package's shared API server, started by TestMain when
// KUBEBUILDER_ASSETS is set.
var env struct {
	cfg     *rest.Config
	client  client.Client
	scheme  *k8sruntime.Scheme
	skipMsg string
	testEnv *envtest.Environment
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// In-process controllers log nowhere; failures are asserted, not logged.
	ctrllog.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard()) // the in-process external metrics API server logs through klog
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		env.skipMsg = "KUBEBUILDER_ASSETS is not set: run `make test` (it builds kube-apiserver and etcd with hack/envtest.sh and exports KUBEBUILDER_ASSETS)"
		return m.Run()
	}
	env.scheme = k8sruntime.NewScheme()
	must(clientgoscheme.AddToScheme(env.scheme))
	must(v1alpha1.AddToScheme(env.scheme))
	env.testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(repoRoot(), "config", "crd")},
		ErrorIfCRDPathMissing: true,
		Scheme:                env.scheme,
	}
	cfg, err := env.testEnv.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting envtest (kube-apiserver + etcd from %s): %v\n", os.Getenv("KUBEBUILDER_ASSETS"), err)
		return 1
	}
	defer func() { _ = env.testEnv.Stop() }()
	env.cfg = cfg
	env.client, err = client.New(cfg, client.Options{Scheme: env.scheme})
	must(err)
	return m.Run()
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// requireEnv skips (or fails in CI) when no API server runs.
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

func createNamespace(t *testing.T, name string) {
	t.Helper()
	require.NoError(t, env.client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}))
}

// createDeployment creates a Deployment and sets its status as the (absent)
// deployment controller would: replicas and ready replicas.
func createDeployment(t *testing.T, ns, name string, replicas, ready int32) *appsv1.Deployment {
	t.Helper()
	ctx := context.Background()
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "vllm", Image: "saturn-sim:test"}}},
			},
		},
	}
	require.NoError(t, env.client.Create(ctx, d))
	d.Status.Replicas = replicas
	d.Status.ReadyReplicas = ready
	d.Status.AvailableReplicas = ready
	require.NoError(t, env.client.Status().Update(ctx, d))
	return d
}

// createReadyPod creates a pod of the Deployment and marks it Running and Ready.
func createReadyPod(t *testing.T, d *appsv1.Deployment, name string) {
	t.Helper()
	ctx := context.Background()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace, Name: name, Labels: d.Spec.Template.Labels},
		Spec:       d.Spec.Template.Spec,
	}
	require.NoError(t, env.client.Create(ctx, p))
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	require.NoError(t, env.client.Status().Update(ctx, p))
}

func createVA(t *testing.T, ns, name, target, model, accelerator string) *v1alpha1.VariantAutoscaling {
	t.Helper()
	va := &v1alpha1.VariantAutoscaling{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{v1alpha1.AcceleratorLabel: accelerator}},
		Spec: v1alpha1.VariantAutoscalingSpec{
			ScaleTargetRef: v1alpha1.CrossVersionObjectReference{Kind: "Deployment", Name: target},
			ModelID:        model,
		},
	}
	require.NoError(t, env.client.Create(context.Background(), va))
	return va
}

// helmBinary returns $SATURN_HELM, the helm binary `make test` builds into bin/helm. Without
// it the test is skipped outside CI (it runs in `make test` and .ci/run, which set it) and
// fails in CI.
func helmBinary(t *testing.T) string {
	t.Helper()
	return binaryFromEnv(t, "SATURN_HELM", "the helm binary")
}

// binaryFromEnv returns the path envVar names for a binary that `make test-deps` builds
// into bin/ and `make test` exports. Unset, the test fails under CI and is skipped
// elsewhere, saying so.
func binaryFromEnv(t *testing.T, envVar, what string) string {
	t.Helper()
	path := os.Getenv(envVar)
	if path == "" {
		msg := fmt.Sprintf("%s is not set: this test runs %s; `make test` and .ci/run build it (make test-deps) and export %s, so it runs there", envVar, what, envVar)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}
