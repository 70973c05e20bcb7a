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
//   - "capacity" (NewCapacity, saturn's default) sizes the pool in one decision from two
//     demands. KV: the tokens in use on every ready pod (usage x capacity, capacity being
//     num_gpu_blocks x block_size from vllm:cache_config_info) plus the tokens the waiting
//     requests will need (waiting x mean prompt length) must fit at
//     kvCacheThreshold-kvSpareTrigger utilisation. Concurrency: the running requests plus
//     the waiting ones must fit at concurrencyTarget (default 0.15) of the saturation
//     concurrency per replica, the running requests at which the variant's replicas were
//     seen queueing with KV to spare (remembered by the planner, or the ConfigMap's
//     saturationConcurrency); a variant that never saturated borrows the model's lowest
//     target, scaled by its KV cache relative to the lender's when both are known. A
//     replica saturates on compute or batch size long before its KV cache in many
//     workloads, and its running requests (rate x latency) grow much faster than its load
//     near saturation, hence a target well below the saturation point. Waiting
//     requests are the sustained value the planner passes (else the 1-minute peak) and a
//     pod's queue counts at most queueLengthThreshold: a backlog stays on its pod and
//     does not size the pool. Until a saturation concurrency is known, the waiting
//     requests also need one replica per queueLengthThreshold, at most doubling the pool
//     per decision. Replicas that are starting (current - ready, minus those the caller
//     marks Stuck) count as supply. The missing replicas go to the cheapest variant with
//     headroom (maxReplicas), spilling to the next; without vllm:cache_config_info the KV
//     sums run in KV fractions of a replica. Surplus replicas are removed from the most
//     expensive variant only while the pool without them still holds the KV demand and
//     keeps the concurrency under 70% of what the remaining replicas are sized for (KV
//     in use shrinks when a pool grows and explodes when it is cut: KV alone never
//     justifies a removal; with the concurrency from the forecast rate at the targets,
//     85% on average and the busiest replica, by the router's imbalance, under its
//     target, down to one replica as to any other count), and never while replicas are starting, while a replica holds
//     a sustained queue of queueLengthThreshold, or below a variant's minimum (at least
//     one replica: only the planner's scale-to-zero empties a variant). Until saturation
//     is observed, a replica is trusted with no more than the highest concurrency one was
//     seen to carry without queueing (VariantInput.HealthyConcurrency). The planner bounds
//     how many replicas one decision removes (scaleDownMaxFraction). Two refinements use what vLLM's counters tell about the traffic (ModelInput.Load,
//     VariantInput.Latency, both from the planner). The forecast: arrivals are the
//     completion rate plus the growth of the requests in flight (the planner fits it per
//     pod, and while a pod is younger than the rate window takes it no higher than the
//     in-flight change summed over the pods, which counts the new pod from zero); a step
//     within the rate window (a level flat before it, a rise standing out of the rate's
//     noise) is forecast at the level it stepped to, which the windowed rate shows only
//     a window later; otherwise they are extrapolated by their
//     rising trend (the slope over three minutes, at most the last minute's and the last
//     interval's rise, so a step that has levelled off is not extrapolated as a ramp)
//     over the lead time (the
//     model's observed start-up plus one cycle and the rate window's lag), they grow the running requests and the KV in use by Little's
//     law (forecast rate x time in system), at most 8x per decision, so the pool is sized
//     for the traffic its new replicas will meet. With the time in
//     system known, requests the ready replicas hold beyond both the forecast's need and
//     their targets are a backlog, which stays on its pods: they drain it at their
//     saturated rate once new replicas take the arrivals, and count as busy (their
//     targets added to the forecast's need) for the share of a lead time their drain
//     lasts beyond the lead time; nothing is removed while they hold one. The latency model: each variant's ITL is
//     fitted as a line in its pods' running requests over the last half hour; with an ITL
//     objective (sloITL) a replica is sized for the running requests at which its ITL
//     reaches 80% of the objective, up to the running requests that serve a share of the
//     request rate at its saturation concurrency (a utilisation target on the rate; vLLM's
//     default --max-num-seqs 256 while none is known, or the requests its KV cache holds at
//     the mean prompt and half the mean output when fewer): 90%, or with a TTFT objective
//     the share at which 99% of the requests wait for a slot no longer than the objective
//     allows (80% of it, or what it leaves after the measured prefill), by an M/M/c queue
//     on the line's saturated rate (queueing.go), in place of concurrencyTarget, and
//     the time in system becomes the variant's mean prefill time (first scheduled to
//     first token, vllm:request_prefill_time_seconds; one ITL without it) plus the other
//     output tokens x the ITL at that point, for the throughput share too: a long
//     prompt's prefill is time in the replica no output token shares. The
//     line is trusted up to the running requests at which the standard error of the ITL
//     it predicts stays within 10% of it (its samples' scatter, counting one pod's
//     overlapping means once per window): a consolidation relies on a replica for no
//     more than that, with the time in system there, nor, while no saturation is known,
//     for more than a batch of the running requests a replica was seen queueing at
//     (vLLM does not export --max-num-seqs); a line fitted on samples at
//     about one load (too little spread to extrapolate) only raises the healthy
//     high-water mark to it, for consolidation. Pods ready for less than the rate window
//     give the line no sample (their means cover the burst they started with). A variant without a line of its own (at zero replicas, or just started) takes a
//     measured variant's throughput scaled by published vLLM throughput ratios of their
//     accelerators (prior.go) until its line is fitted. With every variant's throughput
//     known, variants are ranked by cost per request per second (a
//     replica's concurrency target over its time in system) instead of cost per replica,
//     for scale-up and scale-down alike; and a variant running past its SLO capacity
//     while the pool has room (the router's share, not the pool's size) sizes the pool
//     for its demand times that overload factor (the demand, not the supply, so that
//     replicas added for the share are not multiplied again while the router keeps the
//     variant over).
//
// The package must not query Prometheus, read the clock, keep state between calls or
// start goroutines: stabilization windows, scale-to-zero and the never-blind hold live in
// controller/planner, which also guarantees that every ready pod has a fresh sample
// before an analyzer runs. Analyzers still defend themselves: a non-finite or negative
// input makes them hold the current replicas and say why.
package saturation
