package metricsapi

import (
	"context"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/metrics/pkg/apis/external_metrics"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"
)

// Metric names served.
const (
	MetricDesiredReplicas = "wva_desired_replicas"
	// MetricInfernoDesiredReplicas is the pre-rename alias the llm-d guide queries.
	MetricInfernoDesiredReplicas = "inferno_desired_replicas"
)

// Source lists the latest decisions of a namespace (all when empty).
type Source interface {
	List(namespace string) []Entry
}

// Provider serves a Source's entries as external metrics: the Store (fed by
// the leader's reconciler) or VAStatus (read from VariantAutoscaling status,
// so every replica answers the same, leader or not).
type Provider struct {
	Store Source
	// Instance, when set, is the controller instance (WVA's CONTROLLER_INSTANCE): every
	// value carries controller_instance=Instance, which WVA's chart adds to its HPA
	// selector when wva.controllerInstance is set.
	Instance string
}

var _ provider.ExternalMetricsProvider = (*Provider)(nil)

// ListAllExternalMetrics lists the two served names.
func (p *Provider) ListAllExternalMetrics() []provider.ExternalMetricInfo {
	return []provider.ExternalMetricInfo{{Metric: MetricDesiredReplicas}, {Metric: MetricInfernoDesiredReplicas}}
}

// GetExternalMetric returns one value per variant of namespace whose labels
// match selector. An unknown metric name is NotFound (as the HPA expects).
func (p *Provider) GetExternalMetric(_ context.Context, namespace string, selector labels.Selector, info provider.ExternalMetricInfo) (*external_metrics.ExternalMetricValueList, error) {
	if info.Metric != MetricDesiredReplicas && info.Metric != MetricInfernoDesiredReplicas {
		return nil, provider.NewMetricNotFoundError(external_metrics.Resource("externalmetrics"), info.Metric)
	}
	if selector == nil {
		selector = labels.Everything()
	}
	out := &external_metrics.ExternalMetricValueList{}
	for _, e := range p.Store.List(namespace) {
		l := e.Labels()
		if p.Instance != "" {
			l["controller_instance"] = p.Instance
		}
		if !selector.Matches(labels.Set(l)) {
			continue
		}
		out.Items = append(out.Items, external_metrics.ExternalMetricValue{
			MetricName:   info.Metric,
			MetricLabels: l,
			Timestamp:    metav1.NewTime(e.Time),
			Value:        *resource.NewQuantity(int64(e.Desired), resource.DecimalSI),
		})
	}
	return out, nil
}
