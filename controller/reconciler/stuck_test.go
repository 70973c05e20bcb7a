package reconciler

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
)

func TestStuckReason(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	pod := func(created time.Duration, mut func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(now.Add(-created))}}
		p.Status.Phase = corev1.PodRunning
		if mut != nil {
			mut(p)
		}
		return p
	}
	notReadySince := func(d time.Duration) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: metav1.NewTime(now.Add(-d))}}
		}
	}
	deleting := metav1.NewTime(now)
	running := func(name string, since time.Time) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(since)}}}
	}
	for name, tc := range map[string]struct {
		p    *corev1.Pod
		want string
	}{
		"starting, no conditions yet":          {pod(time.Minute, nil), ""},
		"unschedulable for an hour":            {pod(time.Hour, func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending }), "not ready for 1h0m0s"},
		"loading weights for five minutes":     {pod(5*time.Minute, notReadySince(5*time.Minute)), ""},
		"readiness lost twenty minutes ago":    {pod(3*time.Hour, notReadySince(20*time.Minute)), "not ready for 20m0s"},
		"failed":                               {pod(time.Minute, func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }), "failed"},
		"succeeded (a finished job, not ours)": {pod(time.Hour, func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }), ""},
		"terminating":                          {pod(time.Hour, func(p *corev1.Pod) { p.DeletionTimestamp = &deleting }), ""},
		"init container cannot pull": {pod(time.Minute, func(p *corev1.Pod) {
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "fetch", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}
		}), "container fetch ImagePullBackOff"},
		"ready, then unresponsive: readiness lost 30s ago, running for an hour": {pod(2*time.Hour, func(p *corev1.Pod) {
			notReadySince(30 * time.Second)(p)
			p.Status.ContainerStatuses = []corev1.ContainerStatus{running("vllm", now.Add(-time.Hour))}
		}), "unresponsive: lost readiness 30s ago, containers still running"},
		"never ready yet: not ready since before its container started": {pod(3*time.Minute, func(p *corev1.Pod) {
			notReadySince(3 * time.Minute)(p)
			p.Status.ContainerStatuses = []corev1.ContainerStatus{running("vllm", now.Add(-2*time.Minute))}
		}), ""},
		"restarted after losing readiness: starting again": {pod(2*time.Hour, func(p *corev1.Pod) {
			notReadySince(time.Minute)(p)
			p.Status.ContainerStatuses = []corev1.ContainerStatus{running("vllm", now.Add(-30*time.Second))}
		}), ""},
		"one sidecar running, the engine not": {pod(2*time.Hour, func(p *corev1.Pod) {
			notReadySince(time.Minute)(p)
			p.Status.ContainerStatuses = []corev1.ContainerStatus{running("proxy", now.Add(-time.Hour)), {Name: "vllm"}}
		}), ""},
		"container creating is starting": {pod(time.Minute, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "vllm", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}
		}), ""},
	} {
		assert.Equal(t, tc.want, stuckReason(tc.p, now, 15*time.Minute), name)
	}
}

func TestStuckBoundedByMissingPods(t *testing.T) {
	tg := target{Current: 4, Ready: 3, StuckPods: []string{"a: failed", "b: failed"}}
	tg.countStuck()
	assert.Equal(t, 1, tg.Stuck, "the workload controller already replaced one of them")
	tg = target{Current: 2, Ready: 3, StuckPods: []string{"a: failed"}}
	tg.countStuck()
	assert.Zero(t, tg.Stuck)
}

// A target's start-up is the median creation-to-readiness of its ready pods; a pod whose
// container restarted (ready again later, for other reasons) and a pod with no Ready
// transition are left out.
func TestTargetStartupFromReadyPods(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	pod := func(name string, created time.Time, startup time.Duration, restarts int32) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{"app": "v0"}, CreationTimestamp: metav1.NewTime(created)},
			Status: corev1.PodStatus{Phase: corev1.PodRunning,
				Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "vllm", RestartCount: restarts}}},
		}
		if startup > 0 {
			p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(created.Add(startup))
		}
		return p
	}
	objs := variantObjects("ns", 0)[:2] // the Deployment and its VA, not their pods
	objs = append(objs,
		pod("v0-a", t0, 40*time.Second, 0),
		pod("v0-b", t0.Add(time.Minute), 50*time.Second, 0),
		pod("v0-c", t0.Add(2*time.Minute), 10*time.Minute, 0), // waited for a node
		pod("v0-d", t0.Add(-time.Hour), 2*time.Hour, 1),       // restarted
		pod("v0-e", t0, 0, 0),                                 // no Ready transition recorded
	)
	h := newHarness(t, objs...)
	var va v1alpha1.VariantAutoscaling
	require.NoError(t, h.cl.Get(context.Background(), client.ObjectKey{Namespace: "ns", Name: "v0"}, &va))
	h.c.pods.reset(t0.Add(time.Hour), 15*time.Minute)
	tg, err := h.c.resolveTarget(context.Background(), &va)
	require.NoError(t, err)
	assert.Len(t, tg.ReadyPods, 5)
	assert.Equal(t, 50*time.Second, tg.Startup)
	assert.Zero(t, PodStartup(pod("x", t0, 0, 0)))
}
