// Package explain answers "why does this model have the replicas it has?":
// for one (namespace, model) it gathers, from live Prometheus and (when
// reachable) the cluster, each pod's KV-cache usage, queue and capacity, the
// thresholds in force and where they come from, the decision a fresh planner
// makes on exactly those figures, with its reason, and the running
// controller's last decision from each VariantAutoscaling's status (which a
// fresh planner cannot reproduce: it has no memory of the stabilization
// windows, the fitted ITL lines or the start-up times); then prints it as text.
//
// Gather does the I/O through the same collector queries and ConfigMaps the
// controller uses; Write is a pure formatter. The package must not change
// anything in the cluster.
package explain
