package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AcceleratorLabel is the VariantAutoscaling label naming the accelerator its variant runs
// on (for example "A100", "H100", "L40S"), as in WVA.
const AcceleratorLabel = "inference.optimization/acceleratorName"

// ControllerInstanceLabel assigns a VariantAutoscaling to one of several controllers in a
// cluster: a controller started with a controller instance (WVA's CONTROLLER_INSTANCE)
// reconciles only the VariantAutoscalings carrying this label with that value.
const ControllerInstanceLabel = "wva.llmd.ai/controller-instance"

// DefaultVariantCost is the cost per replica assumed when spec.variantCost is empty.
const DefaultVariantCost = "10.0"

// VariantAutoscalingSpec is the desired state of autoscaling for one model variant
// (one Deployment serving one model on one accelerator type).
type VariantAutoscalingSpec struct {
	// ScaleTargetRef references the scalable resource (a Deployment) serving the variant,
	// as in a HorizontalPodAutoscaler.
	// +kubebuilder:validation:Required
	ScaleTargetRef CrossVersionObjectReference `json:"scaleTargetRef"`

	// ModelID is the model served by the variant, equal to the model_name label of the
	// vLLM metrics (the served model name).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Required
	ModelID string `json:"modelID"`

	// ModelProfile is accepted for compatibility with WVA manifests that carry
	// performance parameters for WVA's model-based optimizer. saturn does not use it.
	// +optional
	ModelProfile *ModelProfile `json:"modelProfile,omitempty"`

	// ActivateModelTuner is accepted for compatibility with WVA manifests; saturn ignores it.
	// +optional
	ActivateModelTuner bool `json:"activateModelTuner,omitempty"`

	// VariantCost is the cost per replica of this variant, a decimal number in a string.
	// Scale-up goes to the cheapest variant of a model first; scale-down removes from the
	// most expensive first.
	// +kubebuilder:validation:Pattern=`^\d+(\.\d+)?$`
	// +kubebuilder:default="10.0"
	// +optional
	VariantCost string `json:"variantCost,omitempty"`

	// MinReplicas is the lowest number of replicas saturn will ask for (saturn extension).
	// Unset means 1, or 0 when scale-to-zero is enabled for the model.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`

	// MaxReplicas is the highest number of replicas saturn will ask for (saturn extension).
	// Unset means no upper bound. A variant at its maximum has no headroom and receives
	// no further scale-up; another variant of the same model does.
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`
}

// CrossVersionObjectReference identifies the scale target; same fields as
// autoscaling/v1 CrossVersionObjectReference.
type CrossVersionObjectReference struct {
	// Kind of the referent, for example "Deployment".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Required
	Kind string `json:"kind"`

	// Name of the referent.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Required
	Name string `json:"name"`

	// APIVersion of the referent, for example "apps/v1".
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
}

// ModelProfile lists accelerator performance profiles (WVA compatibility, unused by saturn).
type ModelProfile struct {
	// Accelerators lists the profiles, one per accelerator type.
	// +optional
	Accelerators []AcceleratorProfile `json:"accelerators,omitempty"`
}

// AcceleratorProfile is one accelerator's performance profile (WVA compatibility).
type AcceleratorProfile struct {
	// Acc is the accelerator name.
	Acc string `json:"acc"`
	// AccCount is the number of accelerator units per replica.
	// +kubebuilder:validation:Minimum=1
	AccCount int32 `json:"accCount"`
	// PerfParms are WVA's queueing-model parameters.
	// +optional
	PerfParms PerfParms `json:"perfParms,omitempty"`
	// MaxBatchSize is the largest batch the accelerator runs.
	// +kubebuilder:validation:Minimum=1
	MaxBatchSize int32 `json:"maxBatchSize"`
}

// PerfParms holds WVA's prefill and decode model parameters as strings (compatibility).
type PerfParms struct {
	// DecodeParms such as "alpha" and "beta".
	// +optional
	DecodeParms map[string]string `json:"decodeParms,omitempty"`
	// PrefillParms such as "gamma" and "delta".
	// +optional
	PrefillParms map[string]string `json:"prefillParms,omitempty"`
}

// VariantAutoscalingStatus is the observed state and the latest decision for the variant.
type VariantAutoscalingStatus struct {
	// CurrentAlloc is the allocation observed at the last decision.
	// +optional
	CurrentAlloc Allocation `json:"currentAlloc,omitempty"`

	// DesiredOptimizedAlloc is the allocation decided by the last cycle; its numReplicas
	// is what wva_desired_replicas reports.
	// +optional
	DesiredOptimizedAlloc OptimizedAlloc `json:"desiredOptimizedAlloc,omitempty"`

	// Actuation tells whether the decision was applied.
	// +optional
	Actuation ActuationStatus `json:"actuation,omitempty"`

	// Conditions: TargetResolved, MetricsAvailable, OptimizationReady.
	// +optional
	// +patchMergeKey=type
	// +patchStrategy=merge
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// ObservedGeneration is the spec generation the status was computed for (saturn extension).
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// Allocation is the variant's observed allocation.
type Allocation struct {
	// Accelerator of the variant.
	// +optional
	Accelerator string `json:"accelerator,omitempty"`
	// NumReplicas currently requested by the scale target.
	// +kubebuilder:validation:Minimum=0
	// +optional
	NumReplicas int32 `json:"numReplicas"`
	// ReadyReplicas of the scale target (saturn extension).
	// +kubebuilder:validation:Minimum=0
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
}

// OptimizedAlloc is the decided allocation.
type OptimizedAlloc struct {
	// LastRunTime is when the decision was last computed.
	// +optional
	LastRunTime metav1.Time `json:"lastRunTime,omitempty"`
	// Accelerator of the variant.
	// +optional
	Accelerator string `json:"accelerator,omitempty"`
	// NumReplicas is the desired number of replicas.
	// +kubebuilder:validation:Minimum=0
	NumReplicas int32 `json:"numReplicas"`
	// Reason explains the decision in words with its numbers (saturn extension).
	// +optional
	Reason string `json:"reason,omitempty"`
	// Analyzer that made the decision, "capacity" or "wva-v1" (saturn extension).
	// +optional
	Analyzer string `json:"analyzer,omitempty"`
}

// ActuationStatus tells whether the decision was applied.
type ActuationStatus struct {
	// Applied is true when the desired replicas were acted upon (metric emitted or scale patched).
	Applied bool `json:"applied"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=va
// +kubebuilder:printcolumn:name="Target",type=string,JSONPath=".spec.scaleTargetRef.name"
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=".spec.modelID"
// +kubebuilder:printcolumn:name="Accelerator",type=string,JSONPath=".status.desiredOptimizedAlloc.accelerator"
// +kubebuilder:printcolumn:name="CurrentReplicas",type=integer,JSONPath=".status.currentAlloc.numReplicas"
// +kubebuilder:printcolumn:name="Optimized",type=integer,JSONPath=".status.desiredOptimizedAlloc.numReplicas"
// +kubebuilder:printcolumn:name="MetricsReady",type=string,JSONPath=".status.conditions[?(@.type=='MetricsAvailable')].status"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"

// VariantAutoscaling asks saturn to autoscale one model variant.
type VariantAutoscaling struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec VariantAutoscalingSpec `json:"spec,omitempty"`
	// Status is the observed state and the last decision.
	Status VariantAutoscalingStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// VariantAutoscalingList is a list of VariantAutoscaling.
type VariantAutoscalingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items of the list.
	Items []VariantAutoscaling `json:"items"`
}
