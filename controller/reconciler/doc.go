// Package reconciler is saturn's controller loop for VariantAutoscaling
// objects (llmd.ai/v1alpha1).
//
// It runs one cycle for ALL VariantAutoscalings at a time, not one per
// object: every trigger (a VA or its target Deployment changing, one of the
// two WVA ConfigMaps changing, or the periodic --interval tick) enqueues the
// same work item, so the queue coalesces bursts into one cycle. A cycle
//
//  1. reads the saturation and scale-to-zero ConfigMaps (hot reload),
//  2. resolves each VA's scaleTargetRef and lists its ready pods, and its stuck ones (not
//     ready for --stuck-after, default 15m, or unable to start: failed, crash loop, image
//     pull or container config errors), which the capacity analyzer does not count as
//     starting supply, as the twin does with its unresponsive replicas (TargetResolved
//     condition),
//  3. collects the vLLM metrics of every model with one constant set of
//     PromQL queries (controller/collector),
//  4. lets the planner decide (controller/planner),
//  5. applies each decision (controller/actuation), sets the wva_* gauges and
//     the external-metrics store, writes status (desiredOptimizedAlloc,
//     actuation.applied, MetricsAvailable/OptimizationReady conditions with
//     ObservedGeneration) and records Events for every scaling and for
//     unavailable metrics.
//
// Time comes from an injected k8s.io/utils/clock.Clock. The package must not
// compute replica counts itself: deciding is the planner's job.
package reconciler
