package planner

import (
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// Decision is the planner's output for one variant (one VariantAutoscaling).
type Decision struct {
	Namespace   string
	Variant     string
	ModelID     string
	Accelerator string
	// Current and Ready are the replicas of the scale target when deciding.
	Current int
	Ready   int
	// Recommended is the replicas asked for by the analyzer or the zero rules before
	// stabilization and bounds.
	Recommended int
	// Desired is the decision: what wva_desired_replicas reports and what direct
	// actuation applies.
	Desired int
	// Reason explains the decision in words, with the numbers.
	Reason string
	// Analyzer that produced Recommended ("capacity", "wva-v1"), or "hold", "scale-to-zero",
	// "scale-from-zero".
	Analyzer string
	// MetricsAvailable is the MetricsAvailable condition status; MetricsReason is its
	// reason (v1alpha1.ReasonMetricsFound, ReasonMetricsMissing, ReasonMetricsStale,
	// ReasonPrometheusError) and MetricsMessage its message.
	MetricsAvailable bool
	MetricsReason    string
	MetricsMessage   string
	// Inputs are the figures behind the decision (model-level analyzer inputs and the
	// variant's own), for records and explanations.
	Inputs map[string]float64
}

// Action is "scale-up", "scale-down" or "no-change" (Desired against Current).
func (d Decision) Action() string {
	switch {
	case d.Desired > d.Current:
		return "scale-up"
	case d.Desired < d.Current:
		return "scale-down"
	default:
		return "no-change"
	}
}

// Analyzer names used in Decision.Analyzer besides the analyzers' own.
const (
	AnalyzerHold          = "hold"
	AnalyzerScaleToZero   = "scale-to-zero"
	AnalyzerScaleFromZero = "scale-from-zero"
)

// Options configures a Planner. The zero value is valid.
type Options struct {
	// Analyzers replaces the analyzers by name (tests); missing names use saturation.New.
	Analyzers map[string]saturation.Analyzer
}
