// Package planner turns one cycle's metrics snapshot and the variants' states into one
// Decision per variant. It is the stateful part of saturn's pure core: it remembers
// recommendations for the stabilization windows, the last moment each model was active
// (scale-to-zero) and its own last decisions, but it has no clock and no goroutines:
// the caller passes the cycle time to Decide.
//
// Per model (namespace + model ID, pooling all its variants) Decide:
//
//  1. never decides blind: if a query the analyzers need failed, or a ready pod of any
//     variant of the model has no sample or a stale one, every variant of the model keeps
//     its current target (the previous decision, else the current replicas), with
//     MetricsAvailable=false and a reason naming the pods or queries. One exception: ready
//     pods whose samples went stale while the model's other pods report fresh ones are
//     unresponsive (Prometheus scrapes the rest; their exporter hangs or their scrapes
//     fail): they count as stuck, not as supply, as the twin counts a hung replica, and
//     the model is decided on the others, adding replicas but removing none while they
//     last, so that one hung pod no longer freezes its model (a pod that ran requests over
//     the whole rate window and generated no token, ready for longer than the staleness
//     limit, is one of them: its engine hangs while its exporter answers). And a pod
//     ready for no longer than the staleness limit that was never scraped, beside pods
//     that report, counts as starting (supply; the analyzers remove nothing while
//     replicas start), so that the replicas of a scale-up do not blind their model in
//     the cycles after they become ready;
//  2. scales from zero: a model whose variants are all at zero gets one replica on its
//     cheapest variant when the scale-from-zero signal shows waiting requests (or when
//     scale-to-zero is not enabled for it);
//  3. runs the configured analyzer (config "analyzer": capacity or wva-v1), after feeding
//     it what the planner remembers: each pod's sustained waiting (the lowest 1-minute peak
//     of its last 2 cycles, so a one-off burst does not size the pool; a peak of 4 x
//     queueLengthThreshold or more counts at once; a peak a scale-up already answered,
//     once the scale target has the replicas it asked for, counts again only once it
//     grows or leaves the peak window; after a scale from zero, a woken pod's peaks count
//     nothing until a peak window that shares no scrape with its first one, which holds
//     the requests the gateway kept while the model was at zero), and per variant
//     the saturation concurrency (the most running requests seen on a replica holding a
//     queue over 3 consecutive cycles with KV below kvCacheThreshold, counted only when it
//     runs at least 90% of the most ever seen on one replica), the running requests a
//     replica was seen queueing at in one cycle (a bound for consolidation), the highest
//     healthy concurrency, and the ITL line fitted on its pods' means (pods ready for
//     less than the rate window excluded); the capacity analyzer sizes replicas and checks
//     removals against them;
//  4. scales to zero when enabled for the model, every variant has minReplicas 0 and no
//     request finished, waited or ran for the retention period (a cycle without complete
//     metrics, or a gap between cycles longer than the activity window, counts as activity);
//  5. stabilizes: a recommendation above the current replicas applies at once (or after
//     the scale-up window), one below applies only as the highest recommendation seen
//     during the scale-down window (default 5m), as the HPA does; a capacity scale-down
//     then removes at most scaleDownMaxFraction (default half) of the highest current
//     replicas of the last minute (ScaleDownPolicyPeriod), so shrinking goes step by step
//     and each step is checked again on fresh metrics;
//  6. clamps to minReplicas/maxReplicas.
//
// It must not query Prometheus, read the clock, or talk to the API server.
package planner
