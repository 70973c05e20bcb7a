// Package hpa models how a Deployment's replica count follows an autoscaler
// in the twin: the Kubernetes HorizontalPodAutoscaler algorithm for one
// External metric (target type Value or AverageValue), KEDA (an HPA plus
// scale-to and from zero) and direct actuation through the scale
// subresource.
//
// The HPA model follows kube-controller-manager's podautoscaler: the usage
// ratio with a 0.1 tolerance, ceil(ratio x ready pods) for Value and
// ceil(total / target) for AverageValue, a recommendation history for the
// scale-up and scale-down stabilization windows, scale events per policy
// period for the Pods/Percent policies with selectPolicy Max, Min or
// Disabled, and the min/max clamp. A missing metric leaves the replica
// count alone, as the real HPA does (ScalingActive=False).
//
// Everything here is a pure state machine: time is an argument to Sync, no
// goroutines, no clock. The driver calls Sync every SyncPeriod (15 s by
// default, kube-controller-manager's --horizontal-pod-autoscaler-sync-period).
package hpa
