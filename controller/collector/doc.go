// Package collector reads, through PromQL only, the vLLM metrics that saturn decides
// on, for every VariantAutoscaling at once.
//
// Collect issues the same fixed set of queries (see Queries) whatever the number of
// models and variants: each query groups by (namespace, model_name, pod) or
// (namespace, model_name) and selects all the cycle's models with one regex matcher per
// label. Label values are escaped twice, as regular-expression literals
// (regexp.QuoteMeta) and as PromQL strings, so a hostile model name or namespace can
// neither widen the selection nor break out of the query.
//
// The result is a Snapshot: per (namespace, model) per pod KV usage (peak over 1m, as
// WVA), waiting and running requests, KV capacity from vllm:cache_config_info
// (num_gpu_blocks x block_size), the timestamp of the pod's latest sample (from
// timestamp(), to flag stale pods), each pod's mean ITL, mean running requests, tokens
// generated and mean prefill time (the latency model), plus per-model mean prompt and
// output lengths, completion rate and in-flight growth (the forecast), finished-request
// count (scale-to-zero) and the scale-from-zero signal. A failed query is recorded in
// Snapshot.Failed and never turned into zeros.
//
// The package does no HTTP itself (a Querier does: controller/promclient over HTTPS in
// the cluster, harness/promstore in the twin), keeps no state and starts no goroutines.
package collector
