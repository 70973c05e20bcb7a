// Package metrics holds the controller's output metrics, with the names and
// labels of llm-d's Workload Variant Autoscaler so dashboards, alerts, the
// Prometheus Adapter rules and the HPA/KEDA objects of the llm-d guide work
// unchanged:
//
//	wva_desired_replicas{variant_name,namespace,accelerator_type}   gauge
//	wva_current_replicas{variant_name,namespace,accelerator_type}   gauge
//	wva_desired_ratio{variant_name,namespace,accelerator_type}      gauge (desired/current; desired when current is 0)
//	wva_replica_scaling_total{variant_name,namespace,direction,reason} counter
//
// With a controller instance (NewFor; WVA's CONTROLLER_INSTANCE) every series also
// carries controller_instance.
//
// Everything registers on an injected prometheus.Registerer. The package must
// not decide anything: it records what the reconciler decided.
package metrics
