package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric and label names, as WVA emits them.
const (
	DesiredReplicasName     = "wva_desired_replicas"
	CurrentReplicasName     = "wva_current_replicas"
	DesiredRatioName        = "wva_desired_ratio"
	ReplicaScalingTotalName = "wva_replica_scaling_total"

	LabelVariantName     = "variant_name"
	LabelNamespace       = "namespace"
	LabelAcceleratorType = "accelerator_type"
	LabelDirection       = "direction"
	LabelReason          = "reason"
	// LabelControllerInstance is on every series when the controller runs with a
	// controller instance (WVA's CONTROLLER_INSTANCE), and absent otherwise.
	LabelControllerInstance = "controller_instance"

	DirectionUp   = "up"
	DirectionDown = "down"
)

// Variant identifies one VariantAutoscaling in the metrics.
type Variant struct {
	Name, Namespace, Accelerator string
}

// Metrics are the controller's output series.
type Metrics struct {
	desired *prometheus.GaugeVec
	current *prometheus.GaugeVec
	ratio   *prometheus.GaugeVec
	scaling *prometheus.CounterVec
}

// New creates the metrics and registers them on reg.
func New(reg prometheus.Registerer) (*Metrics, error) { return NewFor(reg, "") }

// NewFor creates the metrics of a controller instance and registers them on reg: every
// series carries controller_instance=instance when instance is set, as WVA's do when it
// runs with CONTROLLER_INSTANCE (so each instance's HPAs select their own).
func NewFor(reg prometheus.Registerer, instance string) (*Metrics, error) {
	base := []string{LabelVariantName, LabelNamespace, LabelAcceleratorType}
	var constLabels prometheus.Labels
	if instance != "" {
		constLabels = prometheus.Labels{LabelControllerInstance: instance}
	}
	m := &Metrics{
		desired: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: DesiredReplicasName, Help: "Desired number of replicas for each variant", ConstLabels: constLabels,
		}, base),
		current: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: CurrentReplicasName, Help: "Current number of replicas for each variant", ConstLabels: constLabels,
		}, base),
		ratio: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: DesiredRatioName, Help: "Ratio of the desired number of replicas and the current number of replicas for each variant", ConstLabels: constLabels,
		}, base),
		scaling: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: ReplicaScalingTotalName, Help: "Total number of replica scaling operations", ConstLabels: constLabels,
		}, []string{LabelVariantName, LabelNamespace, LabelDirection, LabelReason}),
	}
	for _, c := range []prometheus.Collector{m.desired, m.current, m.ratio, m.scaling} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering the wva_* controller metrics: %w", err)
		}
	}
	return m, nil
}

// Set records a variant's current and desired replicas and their ratio.
func (m *Metrics) Set(v Variant, current, desired int) {
	l := prometheus.Labels{LabelVariantName: v.Name, LabelNamespace: v.Namespace, LabelAcceleratorType: v.Accelerator}
	m.desired.With(l).Set(float64(desired))
	m.current.With(l).Set(float64(current))
	m.ratio.With(l).Set(Ratio(current, desired))
}

// Scaled counts one scaling operation from -> to (nothing when equal). reason
// must be low-cardinality (the analyzer name, not a sentence).
func (m *Metrics) Scaled(v Variant, from, to int, reason string) {
	if from == to {
		return
	}
	dir := DirectionUp
	if to < from {
		dir = DirectionDown
	}
	m.scaling.WithLabelValues(v.Name, v.Namespace, dir, reason).Inc()
}

// Forget drops every series of a deleted variant.
func (m *Metrics) Forget(name, namespace string) {
	match := prometheus.Labels{LabelVariantName: name, LabelNamespace: namespace}
	m.desired.DeletePartialMatch(match)
	m.current.DeletePartialMatch(match)
	m.ratio.DeletePartialMatch(match)
	m.scaling.DeletePartialMatch(match)
}

// Ratio is desired/current, or desired when current is zero (a scale from
// zero to N reads as ratio N, as in WVA).
func Ratio(current, desired int) float64 {
	if current == 0 {
		return float64(desired)
	}
	return float64(desired) / float64(current)
}
