// Package explain answers "why does this model have the replicas it has?":
// for one (namespace, model) it gathers, from live Prometheus and (when
// reachable) the cluster, each pod's KV-cache usage, queue and capacity, the
// thresholds in force and where they come from, and the decision the planner
// makes on exactly those figures, with its reason; then prints it as text.
//
// Gather does the I/O through the same collector queries and ConfigMaps the
// controller uses; Write is a pure formatter. The package must not change
// anything in the cluster.
package explain
