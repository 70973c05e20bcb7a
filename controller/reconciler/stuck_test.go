package reconciler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
