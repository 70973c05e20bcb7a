package v1alpha1

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

func sampleVA() *VariantAutoscaling {
	return &VariantAutoscaling{
		ObjectMeta: metav1.ObjectMeta{Name: "llama-l40s", Namespace: "prod", Labels: map[string]string{AcceleratorLabel: "L40S"}},
		Spec: VariantAutoscalingSpec{
			ScaleTargetRef: CrossVersionObjectReference{Kind: "Deployment", Name: "llama-l40s", APIVersion: "apps/v1"},
			ModelID:        "meta-llama/Llama-3.1-8B-Instruct",
			VariantCost:    "5.5",
			MaxReplicas:    new(int32(8)),
			ModelProfile:   &ModelProfile{Accelerators: []AcceleratorProfile{{Acc: "L40S", AccCount: 1, MaxBatchSize: 4, PerfParms: PerfParms{DecodeParms: map[string]string{"alpha": "1"}}}}},
		},
	}
}

func TestSchemeRegistration(t *testing.T) {
	s := runtime.NewScheme()
	require.NoError(t, AddToScheme(s))
	gvks, _, err := s.ObjectKinds(&VariantAutoscaling{})
	require.NoError(t, err)
	require.Len(t, gvks, 1)
	assert.Equal(t, "llmd.ai", gvks[0].Group)
	assert.Equal(t, "v1alpha1", gvks[0].Version)
	assert.Equal(t, "VariantAutoscaling", gvks[0].Kind)
	assert.True(t, s.Recognizes(GroupVersion.WithKind("VariantAutoscalingList")))
	assert.Equal(t, "variantautoscalings", GroupVersionResource.Resource)
}

func TestDeepCopyIsIndependent(t *testing.T) {
	va := sampleVA()
	va.SetCondition(metav1.NewTime(time.Unix(100, 0)), TypeMetricsAvailable, metav1.ConditionTrue, ReasonMetricsFound, "ok")
	cp := va.DeepCopy()
	require.Equal(t, va, cp)
	*cp.Spec.MaxReplicas = 1
	cp.Labels[AcceleratorLabel] = "H100"
	cp.Spec.ModelProfile.Accelerators[0].PerfParms.DecodeParms["alpha"] = "2"
	cp.Status.Conditions[0].Reason = "changed"
	assert.Equal(t, int32(8), *va.Spec.MaxReplicas)
	assert.Equal(t, "L40S", va.Accelerator())
	assert.Equal(t, "1", va.Spec.ModelProfile.Accelerators[0].PerfParms.DecodeParms["alpha"])
	assert.Equal(t, ReasonMetricsFound, va.Status.Conditions[0].Reason)
	var obj runtime.Object = va
	assert.Equal(t, va, obj.DeepCopyObject())
}

func TestCost(t *testing.T) {
	va := sampleVA()
	c, err := va.Cost()
	require.NoError(t, err)
	assert.Equal(t, 5.5, c)
	va.Spec.VariantCost = ""
	c, err = va.Cost()
	require.NoError(t, err)
	assert.Equal(t, 10.0, c)
	for _, bad := range []string{"ten", "-1", "NaN", "Inf"} {
		va.Spec.VariantCost = bad
		_, err = va.Cost()
		assert.ErrorContains(t, err, "spec.variantCost", bad)
	}
}

func TestConditions(t *testing.T) {
	va := sampleVA()
	va.Generation = 3
	t1, t2 := metav1.NewTime(time.Unix(100, 0)), metav1.NewTime(time.Unix(200, 0))
	va.SetCondition(t1, TypeMetricsAvailable, metav1.ConditionFalse, ReasonMetricsStale, "pod x stale")
	va.SetCondition(t2, TypeMetricsAvailable, metav1.ConditionFalse, ReasonMetricsMissing, "pod y missing")
	c := va.GetCondition(TypeMetricsAvailable)
	require.NotNil(t, c)
	assert.Equal(t, t1, c.LastTransitionTime, "same status keeps the transition time")
	assert.Equal(t, ReasonMetricsMissing, c.Reason)
	assert.Equal(t, int64(3), c.ObservedGeneration)
	va.SetCondition(t2, TypeMetricsAvailable, metav1.ConditionTrue, ReasonMetricsFound, "")
	assert.Equal(t, t2, va.GetCondition(TypeMetricsAvailable).LastTransitionTime)
	assert.Nil(t, va.GetCondition(TypeTargetResolved))
}

func TestJSONFieldNamesMatchWVA(t *testing.T) {
	va := sampleVA()
	va.Status.DesiredOptimizedAlloc = OptimizedAlloc{LastRunTime: metav1.NewTime(time.Unix(100, 0)), Accelerator: "L40S", NumReplicas: 3}
	va.Status.Actuation.Applied = true
	b, err := yaml.Marshal(va)
	require.NoError(t, err)
	for _, k := range []string{"scaleTargetRef:", "modelID:", "variantCost:", "desiredOptimizedAlloc:", "lastRunTime:", "numReplicas: 3", "applied: true"} {
		assert.Contains(t, string(b), k)
	}
}
