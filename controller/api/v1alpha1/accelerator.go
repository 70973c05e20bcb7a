package v1alpha1

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// UnknownAccelerator is what the allocations in status say when no source names the
// accelerator: WVA's CRD requires status.desiredOptimizedAlloc.accelerator (at least two
// characters), so a status without it would be refused; the AcceleratorResolved condition
// says why and where to set it.
const UnknownAccelerator = "unknown"

// acceleratorNodeKeys are the node labels clusters name an accelerator by, as a pod
// template selects them (nodeSelector, or a required node affinity term with one value):
// NVIDIA GPU feature discovery, GKE, Karpenter on AWS.
var acceleratorNodeKeys = []string{
	"nvidia.com/gpu.product",
	"cloud.google.com/gke-accelerator",
	"karpenter.k8s.aws/instance-gpu-name",
}

// wvaSampleAcceleratorLabel is the label WVA v0.5.1's sample VariantAutoscalings
// (config/samples/variantautoscaling-with-cost.yaml) name the accelerator with.
const wvaSampleAcceleratorLabel = "accelerator"

// ResolveAccelerator finds a variant's accelerator where a user would have put it: the VA's
// inference.optimization/acceleratorName label (WVA's), the VA's accelerator label (WVA's
// samples), the scale target's pod template (the same label, or the node label it selects
// nodes by), the accelerator the status already holds. It returns the name and where it was
// found; "" and "" when no source names it.
func ResolveAccelerator(va *VariantAutoscaling, tmpl *corev1.PodTemplateSpec) (name, source string) {
	if v := va.Labels[AcceleratorLabel]; v != "" {
		return v, "label " + AcceleratorLabel
	}
	if v := va.Labels[wvaSampleAcceleratorLabel]; v != "" {
		return v, "label " + wvaSampleAcceleratorLabel
	}
	if tmpl != nil {
		if v := tmpl.Labels[AcceleratorLabel]; v != "" {
			return v, "the scale target's pod template label " + AcceleratorLabel
		}
		for _, k := range acceleratorNodeKeys {
			if v := tmpl.Spec.NodeSelector[k]; v != "" {
				return v, "the scale target's nodeSelector " + k
			}
		}
		if v, k := affinityValue(tmpl.Spec.Affinity); v != "" {
			return v, "the scale target's required node affinity on " + k
		}
	}
	if v := va.Status.DesiredOptimizedAlloc.Accelerator; v != "" && v != UnknownAccelerator {
		return v, "the accelerator already in status"
	}
	return "", ""
}

// affinityValue returns the value a required node affinity pins an accelerator node label
// to, when every term pins the same one.
func affinityValue(a *corev1.Affinity) (value, key string) {
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return "", ""
	}
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, e := range term.MatchExpressions {
			for _, k := range acceleratorNodeKeys {
				if e.Key != k || e.Operator != corev1.NodeSelectorOpIn || len(e.Values) != 1 {
					continue
				}
				if value != "" && value != e.Values[0] {
					return "", "" // terms disagree: no single accelerator
				}
				value, key = e.Values[0], k
			}
		}
	}
	return value, key
}

// AcceleratorMessage is the AcceleratorResolved condition's message.
func AcceleratorMessage(name, source string) string {
	if name == "" {
		return fmt.Sprintf("no source names the accelerator: set the label %s on the VariantAutoscaling (or on the scale target's pod template); status reports %q until then",
			AcceleratorLabel, UnknownAccelerator)
	}
	return fmt.Sprintf("accelerator %s from %s", name, source)
}
