package cluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/harness/record"
)

func deployment(spec, replicas, ready int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		Spec:   appsv1.DeploymentSpec{Replicas: ptr.To(spec)},
		Status: appsv1.DeploymentStatus{Replicas: replicas, ReadyReplicas: ready},
	}
}

func va(run time.Time, desired int32, metricsOK bool) *v1alpha1.VariantAutoscaling {
	v := &v1alpha1.VariantAutoscaling{ObjectMeta: metav1.ObjectMeta{Name: "h100", Namespace: "e2e"}}
	v.Spec.ModelID = "meta-llama/Llama-3.1-8B-Instruct"
	v.Status.DesiredOptimizedAlloc = v1alpha1.OptimizedAlloc{LastRunTime: metav1.NewTime(run), NumReplicas: desired, Reason: "kv spare below trigger", Analyzer: "capacity"}
	status, reason := metav1.ConditionTrue, v1alpha1.ReasonMetricsFound
	if !metricsOK {
		status, reason = metav1.ConditionFalse, v1alpha1.ReasonPrometheusError
	}
	v.SetCondition(metav1.NewTime(run), v1alpha1.TypeMetricsAvailable, status, reason, "query failed")
	return v
}

func TestSamplerObserve(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	s := NewSampler(nil, testingclock.NewFakeClock(t0), t0, nil)
	h100 := Variant{Name: "h100", Namespace: "e2e", Deployment: "sim-h100", HPA: "sim-h100", VariantAutoscaling: "h100"}
	hpa := &autoscalingv2.HorizontalPodAutoscaler{}

	s.Observe(t0.Add(5*time.Second), []Observation{{Variant: h100, Deployment: deployment(1, 1, 1), HPA: hpa, VA: va(t0.Add(4*time.Second), 1, true)}})
	s.Observe(t0.Add(10*time.Second), []Observation{{Variant: h100, Deployment: deployment(3, 3, 1), HPA: hpa, VA: va(t0.Add(4*time.Second), 1, true)}})
	s.Observe(t0.Add(15*time.Second), []Observation{{Variant: h100, Deployment: deployment(3, 3, 3), HPA: hpa, VA: va(t0.Add(14*time.Second), 3, false)}})

	var rec record.Record
	s.Fill(&rec)
	require.Len(t, rec.Timeline, 3)
	assert.Equal(t, record.TimelinePoint{Time: 10 * time.Second, Variant: "h100", Desired: 3, Ready: 1, Starting: 2}, rec.Timeline[1])
	require.Len(t, rec.Scales, 1, "one change of spec.replicas")
	assert.Equal(t, record.ScaleEvent{Time: 10 * time.Second, Variant: "h100", From: 1, To: 3, Source: "hpa"}, rec.Scales[0])
	require.Len(t, rec.Decisions, 2, "a decision per new lastRunTime")
	assert.Equal(t, 1, rec.Decisions[0].Desired)
	assert.True(t, rec.Decisions[0].MetricsOK)
	assert.Equal(t, 3, rec.Decisions[1].Desired)
	assert.False(t, rec.Decisions[1].MetricsOK)
	assert.Equal(t, "PrometheusError: query failed", rec.Decisions[1].MetricsWhy)
	assert.Equal(t, "capacity", rec.Decisions[1].Analyzer)
}

func TestSamplerDirectScaleAndDraining(t *testing.T) {
	t0 := time.Unix(0, 0)
	s := NewSampler(nil, testingclock.NewFakeClock(t0), t0, nil)
	v := Variant{Name: "l40s", Namespace: "e2e", Deployment: "sim-l40s"}
	s.Observe(t0, []Observation{{Variant: v, Deployment: deployment(4, 4, 4)}})
	s.Observe(t0.Add(time.Second), []Observation{{Variant: v, Deployment: deployment(2, 4, 4)}})
	var rec record.Record
	s.Fill(&rec)
	require.Len(t, rec.Scales, 1)
	assert.Equal(t, "direct", rec.Scales[0].Source)
	assert.Equal(t, 2, rec.Timeline[1].Draining)
	assert.Equal(t, 0, rec.Timeline[1].Starting)
}

// fakeQuerier answers each metric with fixed per-pod values.
type fakeQuerier map[string]map[string]float64

func (f fakeQuerier) Query(_ context.Context, q string, _ time.Time) (model.Vector, error) {
	for metric, pods := range f {
		if strings.Contains(q, metric+"{") {
			var v model.Vector
			for pod, val := range pods {
				v = append(v, &model.Sample{Metric: model.Metric{"pod": model.LabelValue(pod)}, Value: model.SampleValue(val)})
			}
			return v, nil
		}
	}
	return nil, fmt.Errorf("unexpected query %q", q)
}

func TestSamplerReadsReplicaGaugesFromPrometheus(t *testing.T) {
	t0 := time.Unix(100, 0)
	d := deployment(2, 2, 2)
	d.Name, d.Namespace = "m-h100", "e2e"
	other := deployment(1, 1, 1)
	other.Name, other.Namespace = "m-h100-big", "e2e"
	c := fake.NewClientBuilder().WithObjects(d, other).Build()
	q := fakeQuerier{
		"vllm:kv_cache_usage_perc":  {"m-h100-abc12-x1": 0.2, "m-h100-abc12-x2": 0.6, "m-h100-big-def34-y1": 0.9},
		"vllm:num_requests_running": {"m-h100-abc12-x1": 3, "m-h100-abc12-x2": 5, "m-h100-big-def34-y1": 8},
		"vllm:num_requests_waiting": {"m-h100-abc12-x1": 0, "m-h100-abc12-x2": 2},
	}
	s := NewSampler(c, testingclock.NewFakeClock(t0.Add(3*time.Second)), t0, []Variant{{Name: "h100", Namespace: "e2e", Deployment: "m-h100"}}).WithPrometheus(q)
	require.NoError(t, s.Sample(context.Background()))
	var rec record.Record
	s.Fill(&rec)
	require.Len(t, rec.Timeline, 1)
	p := rec.Timeline[0]
	assert.Equal(t, 3*time.Second, p.Time)
	assert.InDelta(t, 0.4, p.KVMean, 1e-9)
	assert.InDelta(t, 0.6, p.KVMax, 1e-9)
	assert.Equal(t, 8, p.Running, "the longer Deployment's pod is not counted")
	assert.Equal(t, 2, p.Waiting)
	require.Len(t, rec.Samples, 2)
	assert.Equal(t, "m-h100-abc12-x1", rec.Samples[0].Replica)

	bad := NewSampler(c, testingclock.NewFakeClock(t0), t0, []Variant{{Name: "h100", Namespace: "e2e", Deployment: "m-h100"}}).WithPrometheus(fakeQuerier{})
	require.ErrorContains(t, bad.Sample(context.Background()), "sampling vllm:kv_cache_usage_perc")
	bad.Fill(&rec)
	assert.Len(t, rec.Timeline, 2, "replica counts are still recorded when Prometheus fails")
}

func pod(name, node string, ready bool) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "e2e", Labels: map[string]string{"app": "m-h100"}},
		Spec:       corev1.PodSpec{NodeName: node},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if node == "" {
		p.Status.Phase = corev1.PodPending
	}
	if ready {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	}
	return p
}

// The sampler records each pod's lifecycle as the twin records its replicas, so that a
// Kind run counts its GPU-hours as the twin does: from scheduling to the pod's end.
func TestSamplerRecordsThePodsLifecycle(t *testing.T) {
	t0 := time.Unix(0, 0)
	d := deployment(2, 2, 1)
	d.Name, d.Namespace = "m-h100", "e2e"
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "m-h100"}}
	stray := pod("other-abc12-z9", "kind-worker", true)
	stray.Labels = map[string]string{"app": "other"}
	c := fake.NewClientBuilder().WithObjects(d, pod("m-h100-abc12-a1", "kind-worker", true), pod("m-h100-abc12-b2", "", false), stray).Build()
	clk := testingclock.NewFakeClock(t0)
	s := NewSampler(c, clk, t0, []Variant{{Name: "h100", Namespace: "e2e", Deployment: "m-h100"}})
	ctx := context.Background()
	require.NoError(t, s.Sample(ctx))

	// b2 is scheduled, then ready; a1 is deleted (draining), then gone.
	clk.Step(10 * time.Second)
	b2 := &corev1.Pod{}
	require.NoError(t, c.Get(ctx, client.ObjectKey{Namespace: "e2e", Name: "m-h100-abc12-b2"}, b2))
	b2.Spec.NodeName, b2.Status.Phase = "kind-worker", corev1.PodRunning
	require.NoError(t, c.Update(ctx, b2))
	require.NoError(t, s.Sample(ctx))
	clk.Step(10 * time.Second)
	require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(b2), b2))
	b2.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	require.NoError(t, c.Status().Update(ctx, b2))
	require.NoError(t, s.Sample(ctx), "an unchanged pod adds no event")
	clk.Step(10 * time.Second)
	require.NoError(t, c.Delete(ctx, pod("m-h100-abc12-a1", "", false)))
	require.NoError(t, s.Sample(ctx))

	var rec record.Record
	s.Fill(&rec)
	assert.Equal(t, []record.ReplicaEvent{
		{Time: 0, Variant: "h100", Replica: "m-h100-abc12-a1", State: record.ReplicaReady},
		{Time: 0, Variant: "h100", Replica: "m-h100-abc12-b2", State: record.ReplicaPending},
		{Time: 10 * time.Second, Variant: "h100", Replica: "m-h100-abc12-b2", State: record.ReplicaStarting},
		{Time: 20 * time.Second, Variant: "h100", Replica: "m-h100-abc12-b2", State: record.ReplicaReady},
		{Time: 30 * time.Second, Variant: "h100", Replica: "m-h100-abc12-a1", State: record.ReplicaStopped},
	}, rec.Lifecycle, "the other Deployment's pod is not this variant's")
	rec.Meta = record.Meta{Duration: time.Minute}
	hours := record.ReplicaHours(&rec)
	assert.InDelta(t, (30*time.Second + 50*time.Second).Hours(), hours["h100"], 1e-12, "a1 from 0 to its end, b2 from its scheduling to the run's end")
}

func TestReplicaStateOfAPod(t *testing.T) {
	assert.Equal(t, record.ReplicaPending, ReplicaState(pod("p", "", false)))
	assert.Equal(t, record.ReplicaStarting, ReplicaState(pod("p", "n", false)))
	assert.Equal(t, record.ReplicaReady, ReplicaState(pod("p", "n", true)))
	deleting := pod("p", "n", true)
	deleting.DeletionTimestamp = ptr.To(metav1.Now())
	assert.Equal(t, record.ReplicaDraining, ReplicaState(deleting))
	failed := pod("p", "n", false)
	failed.Status.Phase = corev1.PodFailed
	assert.Equal(t, record.ReplicaFailed, ReplicaState(failed))
}
