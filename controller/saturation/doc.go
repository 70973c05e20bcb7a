// Package saturation decides, for one model served by one or more variants (one
// VariantAutoscaling and one Deployment each, typically on different accelerators), how
// many replicas each variant needs. It is a pure core: a ModelInput (per-pod metrics,
// variant states, thresholds) goes in, a Result (per-variant targets with human-readable
// reasons) comes out.
//
// Two analyzers implement the Analyzer interface:
//
//   - "wva-v1" (NewWVAV1) reproduces the saturation rule of llm-d's Workload Variant
//     Autoscaler v0.5.1: a replica is saturated when its KV-cache usage or its queue
//     reaches the thresholds; spare KV and queue room are averaged over the non-saturated
//     replicas of all variants; when an average falls below its trigger the cheapest
//     variant without pending replicas gets ready+1; otherwise, when removing one replica
//     keeps the redistributed spare room above both triggers (N-1 simulation, at least two
//     non-saturated replicas), the most expensive variant above one replica gets ready-1;
//     while any variant is transitioning (desired != current, or replicas reporting
//     metrics != current) nothing moves.
//   - "capacity" (NewCapacity, saturn's default) sizes the pool in one decision. KV demand
//     is the tokens in use on every ready pod (usage x capacity, capacity being
//     num_gpu_blocks x block_size from vllm:cache_config_info) plus the tokens the waiting
//     requests will need (waiting x mean prompt length); the pool must hold it at
//     kvCacheThreshold-kvSpareTrigger utilisation, and hold the waiting requests at no more
//     than queueLengthThreshold-queueSpareTrigger per replica. Replicas that are starting
//     (current - ready, minus those the caller marks Stuck) count as supply. The missing
//     replicas go to the cheapest variant with headroom (maxReplicas), spilling to the
//     next; without vllm:cache_config_info the same sums run in KV fractions of a replica,
//     and the waiting requests count through the queue rule only. Surplus replicas are removed from
//     the most expensive variant only while the pool without them still passes the same
//     check (N-1), never while replicas are starting and never below a variant's minimum
//     (at least one replica: only the planner's scale-to-zero empties a variant).
//
// The package must not query Prometheus, read the clock, keep state between calls or
// start goroutines: stabilization windows, scale-to-zero and the never-blind hold live in
// controller/planner, which also guarantees that every ready pod has a fresh sample
// before an analyzer runs. Analyzers still defend themselves: a non-finite or negative
// input makes them hold the current replicas and say why.
package saturation
