// Package config parses saturn's two WVA-compatible ConfigMaps into typed settings:
//
//   - wva-saturation-scaling-config: key "default" holds the global thresholds
//     (kvCacheThreshold 0.80, queueLengthThreshold 5, kvSpareTrigger 0.1,
//     queueSpareTrigger 3); every other key is a per-model override carrying model_id
//     (and optionally namespace) plus the fields it overrides. Unlike WVA, overrides take
//     effect. saturn extensions are optional keys in the same entries: analyzer
//     ("capacity" or "wva-v1"), scaleUpStabilizationWindow, scaleDownStabilizationWindow,
//     and the capacity analyzer's concurrency tuning (CapacityTuning): concurrencyTarget
//     (share of the observed saturation concurrency a replica is sized for, default 0.15),
//     scaleDownMaxFraction (largest share of the replicas one decision removes, default
//     0.5), saturationConcurrency (running requests per replica at which a replica
//     saturates, used until saturn observes it; default 0 = learn it), sloITL (the
//     inter-token latency objective replicas are sized for once their ITL line is
//     fitted, e.g. "100ms"; default 0 = none) and sloTTFT (the time-to-first-token
//     objective: how close to its saturated rate a replica runs is the utilisation at
//     which a queue with its batch slots keeps 99% of the waits under 80% of it, e.g.
//     "2s"; default 0 = 90% of the saturated rate).
//   - wva-model-scale-to-zero-config: key "default" (or WVA's older "__defaults__") holds
//     enable_scale_to_zero and retention_period; other keys are per-model overrides with
//     model_id and optional namespace.
//
// As in WVA, a copy of either ConfigMap in a VA's own namespace (Config.NamespaceSaturation,
// Config.NamespaceScaleToZero) replaces the global one for that namespace. The reconciler
// reads such copies by name each cycle for the namespaces holding VariantAutoscalings (the
// chart grants get on those two names only, no list or watch).
//
// Wrong types, duplicate fields and impossible values are errors that name the ConfigMap,
// the key and the field, and a bad entry never hides the good ones: Parse* return the
// settings built from the valid entries together with the joined errors. A field saturn
// does not know does not invalidate its entry (WVA ignores such fields too): it is named in
// the settings' Notices, as are WVA's keys saturn reads without acting on (enableLimiter:
// true, the V2 analyzer's analyzerName, scaleUpThreshold, scaleDownBoundary); the
// reconciler turns notices into Warning Events on the ConfigMap.
//
// The package is pure: it does not read ConfigMaps from the API server (the reconciler
// does, and hot-reloads them) and holds no global state.
package config
