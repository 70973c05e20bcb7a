// Package actuation turns a decided replica count into action on the cluster.
//
// Two modes:
//   - metrics (default, as WVA): nothing is written to the target; the
//     decision is published through the wva_desired_replicas gauge (and the
//     built-in external metrics API when enabled) for an HPA or KEDA to act on.
//   - direct: the target's scale subresource is patched to the desired
//     replica count, so no HPA is needed.
//
// The package must not decide replica counts, clamp them or read metrics; it
// only applies what the planner decided, idempotently.
package actuation
