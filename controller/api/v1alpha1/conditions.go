package v1alpha1

import (
	"fmt"
	"math"
	"strconv"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition types, as in WVA.
const (
	// TypeTargetResolved is True when the scale target exists and its pods could be listed.
	TypeTargetResolved = "TargetResolved"
	// TypeMetricsAvailable is True when every pod of the variant had a fresh sample.
	TypeMetricsAvailable = "MetricsAvailable"
	// TypeOptimizationReady is True when the last cycle produced a decision.
	TypeOptimizationReady = "OptimizationReady"
	// TypeAcceleratorResolved (saturn) is True when a source names the variant's
	// accelerator (ResolveAccelerator); its message says which.
	TypeAcceleratorResolved = "AcceleratorResolved"
)

// Condition reasons. The first group is WVA's; saturn adds the ones marked.
const (
	ReasonMetricsFound    = "MetricsFound"
	ReasonMetricsMissing  = "MetricsMissing"
	ReasonMetricsStale    = "MetricsStale"
	ReasonPrometheusError = "PrometheusError"

	ReasonOptimizationSucceeded = "OptimizationSucceeded"
	ReasonOptimizationFailed    = "OptimizationFailed"
	ReasonMetricsUnavailable    = "MetricsUnavailable"
	ReasonInvalidConfiguration  = "InvalidConfiguration"
	ReasonSkippedProcessing     = "SkippedProcessing"

	ReasonTargetFound         = "TargetFound"         // saturn
	ReasonAcceleratorFound    = "AcceleratorFound"    // saturn
	ReasonAcceleratorUnknown  = "AcceleratorUnknown"  // saturn
	ReasonScaleTargetNotFound = "ScaleTargetNotFound" // as WVA's reconciler reports it
)

// Accelerator returns the value of the inference.optimization/acceleratorName label, or "".
// ResolveAccelerator looks in every place a user would name it.
func (va *VariantAutoscaling) Accelerator() string {
	return va.Labels[AcceleratorLabel]
}

// Cost parses spec.variantCost; empty means DefaultVariantCost. The error names the field.
func (va *VariantAutoscaling) Cost() (float64, error) {
	s := va.Spec.VariantCost
	if s == "" {
		s = DefaultVariantCost
	}
	c, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(c) || math.IsInf(c, 0) || c < 0 {
		return 0, fmt.Errorf("spec.variantCost %q of VariantAutoscaling %s/%s: want a non-negative decimal such as \"10.0\"", va.Spec.VariantCost, va.Namespace, va.Name)
	}
	return c, nil
}

// SetCondition sets or updates a condition in the status; LastTransitionTime changes only
// when the status flips, as meta.SetStatusCondition does. now is the transition time.
func (va *VariantAutoscaling) SetCondition(now metav1.Time, condType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&va.Status.Conditions, metav1.Condition{
		Type:               condType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: va.Generation,
		LastTransitionTime: now,
	})
}

// GetCondition returns the condition of the given type, or nil.
func (va *VariantAutoscaling) GetCondition(condType string) *metav1.Condition {
	return meta.FindStatusCondition(va.Status.Conditions, condType)
}
