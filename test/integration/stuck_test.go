package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/actuation"
	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/reconciler"
)

// createNotReadyPod creates a pod of the Deployment that is Running but not Ready since
// notReadySince, optionally with its container waiting for reason.
func createNotReadyPod(t *testing.T, ns string, labels map[string]string, name string, notReadySince time.Time, waiting string) {
	t.Helper()
	ctx := context.Background()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "vllm", Image: "saturn-sim:test"}}},
	}
	require.NoError(t, env.client.Create(ctx, p))
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: metav1.NewTime(notReadySince)}}
	if waiting != "" {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "vllm", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: waiting}}}}
	}
	require.NoError(t, env.client.Status().Update(ctx, p))
}

// The reconciler tells starting pods from stuck ones as a cluster shows them: a pod not
// ready for longer than --stuck-after (hung, failing its readiness probe, unschedulable)
// or unable to start (crash loop) is not supply; a pod that just started is.
func TestReconcilerCountsStuckPodsOut(t *testing.T) {
	f := newFixture(t, "recon-stuck", 0.3, 0)
	ctx := context.Background()
	// Six replicas asked for: two ready (the fixture's), one hung for 20 minutes, one
	// crash-looping, one that lost its readiness 30 s ago while its engine kept running
	// (unresponsive, as the twin's fault), one starting for a minute.
	f.deploy.Spec.Replicas = ptrInt32(6)
	require.NoError(t, env.client.Update(ctx, f.deploy))
	f.deploy.Status.Replicas, f.deploy.Status.ReadyReplicas, f.deploy.Status.AvailableReplicas = 6, 2, 2
	require.NoError(t, env.client.Status().Update(ctx, f.deploy))
	labels := f.deploy.Spec.Template.Labels
	now := time.Now()
	createNotReadyPod(t, f.ns, labels, "qwen-l40s-6b7f9c-hung1", now.Add(-20*time.Minute), "")
	createNotReadyPod(t, f.ns, labels, "qwen-l40s-6b7f9c-crash", now.Add(-2*time.Minute), "CrashLoopBackOff")
	createNotReadyPod(t, f.ns, labels, "qwen-l40s-6b7f9c-start", now.Add(-time.Minute), "")
	createNotReadyPod(t, f.ns, labels, "qwen-l40s-6b7f9c-hung2", now.Add(-30*time.Second), "")
	hung := &corev1.Pod{}
	require.NoError(t, env.client.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: "qwen-l40s-6b7f9c-hung2"}, hung))
	hung.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "vllm", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(now.Add(-time.Hour))}}}}
	require.NoError(t, env.client.Status().Update(ctx, hung))

	createVA(t, f.ns, "qwen-l40s", "qwen-l40s", model, "L40S")
	c, _, _, _ := newController(t, f.ns, f.query, actuation.ModeMetrics)
	_, err := c.RunCycle(ctx)
	require.NoError(t, err)

	va := getVA(t, f.ns, "qwen-l40s")
	tr := va.GetCondition(v1alpha1.TypeTargetResolved)
	require.NotNil(t, tr)
	assert.Contains(t, tr.Message, "Deployment qwen-l40s: 6 replicas, 2 ready, 3 stuck")
	assert.Contains(t, tr.Message, "qwen-l40s-6b7f9c-hung2: unresponsive: lost readiness")
	assert.Contains(t, tr.Message, "qwen-l40s-6b7f9c-crash: container vllm CrashLoopBackOff")
	assert.Contains(t, tr.Message, "qwen-l40s-6b7f9c-hung1: not ready for 20m")
	assert.NotContains(t, tr.Message, "qwen-l40s-6b7f9c-start", "a pod starting for a minute is supply")
	assert.Contains(t, va.Status.DesiredOptimizedAlloc.Reason, "3 stuck replicas not counted")
}

// A ready pod whose engine hangs while its exporter and readiness still answer (requests
// running, no token generated over the rate window) is decided around as the twin counts
// an unresponsive replica: not supply, and the model is not held blind. The windows are
// shortened so that the test runs in seconds (scrapes every second).
func TestReconcilerCountsAHungEngineOut(t *testing.T) {
	f := newFixture(t, "recon-hung", 0.3, 0)
	ctx := context.Background()
	createVA(t, f.ns, "qwen-l40s", "qwen-l40s", model, "L40S")
	c, _, _, _ := newController(t, f.ns, f.query, actuation.ModeMetrics, func(o *reconciler.Options) {
		o.Collector.StaleAfter, o.Collector.RateWindow = 4*time.Second, 5*time.Second
	})
	first := time.Now()
	_, err := c.RunCycle(ctx)
	require.NoError(t, err)
	metricsCond := func() *metav1.Condition {
		return getVA(t, f.ns, "qwen-l40s").GetCondition(v1alpha1.TypeMetricsAvailable)
	}
	require.NotNil(t, metricsCond())
	assert.Contains(t, metricsCond().Message, "2 of 2 ready pods report fresh metrics")

	hung := f.pods[1]
	hung.hang(true)
	// The pod has been ready for longer than the staleness limit since the controller
	// first saw it, and Prometheus sees its counter flat over the rate window.
	require.Eventually(t, func() bool {
		if time.Since(first) < 6*time.Second {
			return false
		}
		v, err := f.query.Query(ctx, fmt.Sprintf(`increase(vllm:generation_tokens_total{namespace=%q,pod=%q}[5s])`, f.ns, hung.Name), time.Now())
		return err == nil && len(v) == 1 && v[0].Value == 0
	}, 30*time.Second, 250*time.Millisecond, "the hung pod's counter never looked flat:\n%s", f.prom.Log())
	_, err = c.RunCycle(ctx)
	require.NoError(t, err)
	cond := metricsCond()
	require.NotNil(t, cond)
	assert.Equal(t, metav1.ConditionTrue, cond.Status, cond.Message)
	assert.Contains(t, cond.Message, "1 of 2 ready pods report fresh metrics; unresponsive, not counted as supply: pod "+hung.Name+": requests running and no token generated over the rate window (engine hung)")
	assert.Contains(t, getVA(t, f.ns, "qwen-l40s").Status.DesiredOptimizedAlloc.Reason, "1 stuck replicas not counted")
}

func ptrInt32(v int32) *int32 { return &v }
