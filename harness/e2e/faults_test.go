package e2e

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/saturn-autoscaler/saturn/harness/blueprint"
)

func faultEnv(t *testing.T, objs ...client.Object) (*Env, client.Client, *bytes.Buffer) {
	t.Helper()
	scheme := runtime.NewScheme()
	require.NoError(t, corev1.AddToScheme(scheme))
	require.NoError(t, appsv1.AddToScheme(scheme))
	cl := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	var logs bytes.Buffer
	return &Env{Client: cl, Namespace: "llm-d", ControllerNamespace: "saturn-system", Log: slog.New(slog.NewTextHandler(&logs, nil))}, cl, &logs
}

func deployment(ns, name string, replicas int32, app string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
		},
	}
}

func pod(ns, name, app string, created time.Time, ready bool) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": app}, CreationTimestamp: metav1.NewTime(created)},
		Spec:       corev1.PodSpec{NodeName: "node"},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
	}
}

// The scenario's faults become cluster changes in time order: the controller scaled to 0
// and back after the downtime, the newest ready pods of the variant deleted, Prometheus
// scaled to 0 and back after the outage.
func TestFaultActionsOnTheCluster(t *testing.T) {
	sc := loadScenario(t, twoVariants+`  faults:
    - controllerRestart: {at: 40s, downtime: 15s}
    - killReplica: {at: 30s, variant: l40s, count: 2}
    - prometheusOutage: {start: 50s, duration: 20s}
`)
	bp, err := blueprint.For(sc)
	require.NoError(t, err)
	l40s := DeploymentName(sc, "l40s")
	t0 := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	e, cl, logs := faultEnv(t,
		deployment("saturn-system", ControllerDeployment, 1, "saturn"),
		deployment("saturn-monitoring", "prometheus", 1, "prometheus"),
		deployment("llm-d", l40s, 4, "l40s"),
		pod("llm-d", "l40s-a", "l40s", t0, true),
		pod("llm-d", "l40s-b", "l40s", t0.Add(time.Minute), true),
		pod("llm-d", "l40s-c", "l40s", t0.Add(2*time.Minute), true),
		pod("llm-d", "l40s-d", "l40s", t0.Add(3*time.Minute), false), // starting: not killed
		pod("llm-d", "h100-a", "h100", t0.Add(4*time.Minute), true),  // another variant
	)
	e.Prometheus.Namespace, e.Prometheus.Name = "saturn-monitoring", "prometheus"
	actions := e.faultActions(sc, bp)
	require.Len(t, actions, 5)
	var whens []time.Duration
	for _, a := range actions {
		whens = append(whens, a.at)
	}
	assert.Equal(t, []time.Duration{30 * time.Second, 40 * time.Second, 50 * time.Second, 55 * time.Second, 70 * time.Second}, whens)
	assert.Equal(t, "spec.faults[1].killReplica: 2 of l40s", actions[0].what)

	ctx := context.Background()
	replicasOf := func(ns, name string) int32 {
		var d appsv1.Deployment
		require.NoError(t, cl.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &d))
		return *d.Spec.Replicas
	}
	replicas := func() int32 { return replicasOf("saturn-system", ControllerDeployment) }
	require.NoError(t, actions[0].do(ctx))
	var pods corev1.PodList
	require.NoError(t, cl.List(ctx, &pods))
	var left []string
	for _, p := range pods.Items {
		left = append(left, p.Name)
	}
	assert.ElementsMatch(t, []string{"l40s-a", "l40s-d", "h100-a"}, left, "the two newest ready l40s pods are gone")
	require.NoError(t, actions[1].do(ctx))
	assert.Equal(t, int32(0), replicas(), "controller down")
	assert.Equal(t, "spec.faults[2].prometheusOutage: Prometheus down", actions[2].what)
	require.NoError(t, actions[2].do(ctx))
	assert.Equal(t, int32(0), replicasOf("saturn-monitoring", "prometheus"), "Prometheus down")
	require.NoError(t, actions[3].do(ctx))
	assert.Equal(t, int32(1), replicas(), "controller up again")
	require.NoError(t, actions[4].do(ctx))
	assert.Equal(t, int32(1), replicasOf("saturn-monitoring", "prometheus"), "Prometheus up again")

	// Each action runs at its offset from the replay's start on the clock, and is logged.
	clk := clocktesting.NewFakeClock(t0)
	ran := []time.Duration{}
	acts := []faultAction{
		{10 * time.Second, "first", func(context.Context) error { ran = append(ran, clk.Since(t0)); return nil }},
		{25 * time.Second, "second", func(context.Context) error { ran = append(ran, clk.Since(t0)); return nil }},
	}
	done := make(chan error, 1)
	go func() { done <- e.runFaults(ctx, clk, t0, acts) }()
	for _, step := range []time.Duration{10 * time.Second, 15 * time.Second} {
		require.Eventually(t, clk.HasWaiters, 5*time.Second, time.Millisecond)
		clk.Step(step)
	}
	require.NoError(t, <-done)
	assert.Equal(t, []time.Duration{10 * time.Second, 25 * time.Second}, ran)
	assert.Contains(t, logs.String(), "fault injected")
	assert.Contains(t, logs.String(), "fault=second")
}

// A failed action stops the injection and names the fault; so does the end of the run
// before an action's time; a variant with no ready pod cannot lose one.
func TestFaultFailures(t *testing.T) {
	e, _, _ := faultEnv(t, deployment("llm-d", "v", 2, "v"), pod("llm-d", "v-a", "v", time.Now(), false))
	err := killNewest(context.Background(), e.Client, "llm-d", "v", 1)
	require.ErrorContains(t, err, "deployment llm-d/v has no ready pod to kill")
	err = killNewest(context.Background(), e.Client, "llm-d", "missing", 1)
	require.ErrorContains(t, err, "getting deployment llm-d/missing")

	clk := clocktesting.NewFakeClock(time.Now())
	err = e.runFaults(context.Background(), clk, clk.Now().Add(-time.Minute), []faultAction{
		{time.Second, "spec.faults[0].controllerRestart: controller down", func(context.Context) error {
			return assert.AnError
		}},
	})
	require.ErrorContains(t, err, "spec.faults[0].controllerRestart: controller down at 1s: ")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = e.runFaults(ctx, clk, clk.Now(), []faultAction{{time.Minute, "later", func(context.Context) error { return nil }}})
	require.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, err, "later at 1m0s not injected")
}
