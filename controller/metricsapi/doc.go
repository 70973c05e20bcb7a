// Package metricsapi serves the controller's decisions as a Kubernetes
// external metrics API (external.metrics.k8s.io/v1beta1), so an HPA can read
// wva_desired_replicas without Prometheus and Prometheus Adapter. It also
// answers the older name inferno_desired_replicas, which the llm-d guide's
// verification step queries.
//
// Store is the hand-off: the reconciler writes each variant's desired
// replicas into it after every decision; the Provider reads it. Series carry
// the labels of the wva_* gauges (variant_name, namespace, accelerator_type)
// and exported_namespace (= namespace), so the HPA selectors written for
// Prometheus Adapter and WVA's chart ({variant_name, exported_namespace}) keep
// matching.
//
// The package must not decide anything and must not query Prometheus.
package metricsapi
