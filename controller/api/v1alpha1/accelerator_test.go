package v1alpha1

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The accelerator is found where a user would have put it, in that order, and the source
// is named.
func TestResolveAccelerator(t *testing.T) {
	va := func(labels map[string]string, status string) *VariantAutoscaling {
		v := &VariantAutoscaling{ObjectMeta: metav1.ObjectMeta{Labels: labels}}
		v.Status.DesiredOptimizedAlloc.Accelerator = status
		return v
	}
	tmpl := func(labels, nodeSelector map[string]string, affinity *corev1.Affinity) *corev1.PodTemplateSpec {
		return &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{NodeSelector: nodeSelector, Affinity: affinity}}
	}
	pin := func(key string, values ...string) *corev1.Affinity {
		return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}}}},
		}}}
	}
	tests := []struct {
		name         string
		va           *VariantAutoscaling
		tmpl         *corev1.PodTemplateSpec
		want, source string
	}{
		{"WVA's label", va(map[string]string{AcceleratorLabel: "L40S", "accelerator": "a100"}, ""), nil, "L40S", "label inference.optimization/acceleratorName"},
		{"WVA's samples' label", va(map[string]string{"accelerator": "h100"}, ""), nil, "h100", "label accelerator"},
		{"pod template label", va(nil, ""), tmpl(map[string]string{AcceleratorLabel: "A100"}, nil, nil), "A100", "the scale target's pod template label inference.optimization/acceleratorName"},
		{"GPU feature discovery", va(nil, ""), tmpl(nil, map[string]string{"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}, nil), "NVIDIA-H100-80GB-HBM3", "the scale target's nodeSelector nvidia.com/gpu.product"},
		{"GKE", va(nil, ""), tmpl(nil, map[string]string{"cloud.google.com/gke-accelerator": "nvidia-l4"}, nil), "nvidia-l4", "the scale target's nodeSelector cloud.google.com/gke-accelerator"},
		{"node affinity", va(nil, ""), tmpl(nil, nil, pin("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-80GB")), "NVIDIA-A100-SXM4-80GB", "the scale target's required node affinity on nvidia.com/gpu.product"},
		{"affinity to either of two: no single one", va(nil, ""), tmpl(nil, nil, pin("nvidia.com/gpu.product", "A", "B")), "", ""},
		{"status", va(nil, "H100"), tmpl(nil, nil, nil), "H100", "the accelerator already in status"},
		{"status placeholder is not a source", va(nil, UnknownAccelerator), nil, "", ""},
		{"nothing", va(nil, ""), nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, source := ResolveAccelerator(tt.va, tt.tmpl)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.source, source)
		})
	}
	assert.Contains(t, AcceleratorMessage("", ""), "set the label inference.optimization/acceleratorName")
	assert.Equal(t, "accelerator h100 from label accelerator", AcceleratorMessage("h100", "label accelerator"))
}
