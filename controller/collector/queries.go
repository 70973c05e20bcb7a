package collector

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Query names, keys of Snapshot.Failed.
const (
	QueryKV            = "kv_usage"
	QueryKVTimestamp   = "kv_usage_timestamp"
	QueryWaiting       = "waiting"
	QueryRunning       = "running"
	QueryCacheConfig   = "cache_config"
	QueryPromptTokens  = "mean_prompt_tokens"
	QueryActivity      = "finished_requests"
	QueryScaleFromZero = "scale_from_zero"
	// QueryCompletionRate, QueryInFlightGrowth and QueryOutputTokens feed the capacity
	// analyzer's arrival-rate forecast; they are optional (a failure only disables it).
	QueryCompletionRate = "completion_rate"
	QueryInFlightGrowth = "in_flight_growth"
	QueryOutputTokens   = "mean_output_tokens"
	// QueryITL (each pod's mean inter-token latency) and QueryMeanRunning (its mean running
	// requests) over the rate window feed the capacity analyzer's latency model; optional.
	QueryITL         = "itl"
	QueryMeanRunning = "mean_running"
	// QueryGenerated is each pod's tokens generated over the rate window: a pod that runs
	// requests and generates nothing has a hung engine. Optional.
	QueryGenerated = "generated_tokens"
	// QueryInFlightChange is the change per second of the requests in flight on the
	// model's pods between the start and the end of the rate window, summed over the pods
	// before the difference: a pod that appeared within the window counts from zero, where
	// a slope fitted on its short series misjudges the growth. Optional.
	QueryInFlightChange = "in_flight_change"
	// QueryPrefillTime is each pod's mean prefill time (first scheduled to first token)
	// over the rate window: with the ITL, a request's time in a replica.
	QueryPrefillTime = "prefill_time"
)

// The llm-d endpoint picker's flow-control queue gauges (labelled with
// target_model_name): the current name and the deprecated one. saturn's router and the
// twin export EPPQueueMetric.
const (
	EPPQueueMetric           = "llm_d_epp_flow_control_queue_size"
	DeprecatedEPPQueueMetric = "inference_extension_flow_control_queue_size"
)

// DefaultScaleFromZeroQuery reads the llm-d EPP flow-control queue: EPPQueueMetric where
// it is exported, else DeprecatedEPPQueueMetric ("or" keeps the left side for label sets
// present in both).
const DefaultScaleFromZeroQuery = `sum by (namespace, target_model_name) (` + EPPQueueMetric + `)` +
	` or sum by (namespace, target_model_name) (` + DeprecatedEPPQueueMetric + `)`

// DefaultScaleFromZeroModelLabel is the label of DefaultScaleFromZeroQuery naming the model.
const DefaultScaleFromZeroModelLabel = "target_model_name"

// Options tunes the queries. The zero value means the defaults.
type Options struct {
	// KVWindow is the max_over_time window for KV usage and waiting requests (default 1m, as WVA).
	KVWindow time.Duration
	// StaleAfter flags a pod whose latest sample is older (default 2m).
	StaleAfter time.Duration
	// PromptWindow is the rate window for the mean prompt length (default 5m).
	PromptWindow time.Duration
	// RateWindow is the window of the completion rate and of the growth of the requests in
	// flight (default 1m): short, so that the arrival rate follows a ramp closely.
	RateWindow time.Duration
	// ActivityWindow is the increase window for finished requests (default 2m). Keep it
	// longer than the cycle interval: the planner cannot see activity between two cycles
	// further apart, and then restarts the scale-to-zero retention period.
	ActivityWindow time.Duration
	// ScaleFromZeroQuery is a PromQL expression returning, per namespace and model, the
	// requests waiting for a model with no replica (default DefaultScaleFromZeroQuery).
	// Its result must carry a "namespace" label and ScaleFromZeroModelLabel.
	ScaleFromZeroQuery string
	// ScaleFromZeroModelLabel names the model label of ScaleFromZeroQuery's result.
	ScaleFromZeroModelLabel string
}

// ActivityWindowFor is the finished-requests window a controller cycling every interval
// should use: three cycles, and at least a minute so that increase() spans several scrapes.
// A longer window only delays scale to zero: the planner knows nothing finished within
// the window once a quiet cycle shows none, so zero comes at most window+retention after
// the last request.
func ActivityWindowFor(interval time.Duration) time.Duration {
	return max(time.Minute, 3*interval)
}

// WithDefaults fills unset fields.
func (o Options) WithDefaults() Options {
	if o.KVWindow <= 0 {
		o.KVWindow = time.Minute
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 2 * time.Minute
	}
	if o.PromptWindow <= 0 {
		o.PromptWindow = 5 * time.Minute
	}
	if o.ActivityWindow <= 0 {
		o.ActivityWindow = 2 * time.Minute
	}
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	if strings.TrimSpace(o.ScaleFromZeroQuery) == "" {
		o.ScaleFromZeroQuery = DefaultScaleFromZeroQuery
		o.ScaleFromZeroModelLabel = DefaultScaleFromZeroModelLabel
	}
	if o.ScaleFromZeroModelLabel == "" {
		o.ScaleFromZeroModelLabel = DefaultScaleFromZeroModelLabel
	}
	return o
}

// Validate checks the options; errors name the field.
func (o Options) Validate() error {
	if o.ScaleFromZeroModelLabel != "" && !labelNameRE.MatchString(o.ScaleFromZeroModelLabel) {
		return fmt.Errorf("ScaleFromZeroModelLabel %q is not a Prometheus label name", o.ScaleFromZeroModelLabel)
	}
	for name, d := range map[string]time.Duration{
		"KVWindow": o.KVWindow, "StaleAfter": o.StaleAfter, "PromptWindow": o.PromptWindow, "ActivityWindow": o.ActivityWindow, "RateWindow": o.RateWindow,
	} {
		if d < 0 {
			return fmt.Errorf("%s %v must not be negative (0 means the default)", name, d)
		}
	}
	return nil
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Query is one named PromQL query of a cycle.
type Query struct {
	Name string
	Expr string
}

// Queries returns the cycle's queries for the targets: always the same number,
// whatever len(targets) (none when targets is empty).
func Queries(targets []Target, opts Options) []Query {
	opts = opts.WithDefaults()
	namespaces, models := distinct(targets)
	if len(namespaces) == 0 {
		return nil
	}
	sel := fmt.Sprintf(`{namespace=~%s,model_name=~%s}`, regexMatcher(namespaces), regexMatcher(models))
	nsSel := fmt.Sprintf(`{namespace=~%s}`, regexMatcher(namespaces))
	kvw := promDuration(opts.KVWindow)
	pw := promDuration(opts.PromptWindow)
	aw := promDuration(opts.ActivityWindow)
	rw := promDuration(opts.RateWindow)
	const byPod = `max by (namespace, model_name, pod) `
	return []Query{
		{QueryKV, byPod + `(max_over_time(vllm:kv_cache_usage_perc` + sel + `[` + kvw + `]))`},
		{QueryKVTimestamp, byPod + `(timestamp(vllm:kv_cache_usage_perc` + sel + `))`},
		{QueryWaiting, byPod + `(max_over_time(vllm:num_requests_waiting` + sel + `[` + kvw + `]))`},
		{QueryRunning, byPod + `(vllm:num_requests_running` + sel + `)`},
		{QueryCacheConfig, `max by (namespace, pod, num_gpu_blocks, block_size) (vllm:cache_config_info` + nsSel + `)`},
		{QueryPromptTokens, `sum by (namespace, model_name) (rate(vllm:request_prompt_tokens_sum` + sel + `[` + pw + `]))` +
			` / sum by (namespace, model_name) (rate(vllm:request_prompt_tokens_count` + sel + `[` + pw + `]))`},
		{QueryActivity, `sum by (namespace, model_name) (increase(vllm:request_success_total` + sel + `[` + aw + `]))`},
		{QueryScaleFromZero, opts.ScaleFromZeroQuery},
		{QueryCompletionRate, `sum by (namespace, model_name) (rate(vllm:request_success_total` + sel + `[` + rw + `]))`},
		// Arrivals = completions + the growth of the requests in flight (running and waiting).
		{QueryInFlightGrowth, `sum by (namespace, model_name) (deriv(vllm:num_requests_running` + sel + `[` + rw + `]))` +
			` + sum by (namespace, model_name) (deriv(vllm:num_requests_waiting` + sel + `[` + rw + `]))`},
		{QueryOutputTokens, `sum by (namespace, model_name) (rate(vllm:request_generation_tokens_sum` + sel + `[` + pw + `]))` +
			` / sum by (namespace, model_name) (rate(vllm:request_generation_tokens_count` + sel + `[` + pw + `]))`},
		// vLLM >= 0.10 names the histogram inter_token_latency; older releases only have
		// time_per_output_token (the same observations).
		{QueryITL, `(sum by (namespace, model_name, pod) (rate(vllm:inter_token_latency_seconds_sum` + sel + `[` + rw + `]))` +
			` / sum by (namespace, model_name, pod) (rate(vllm:inter_token_latency_seconds_count` + sel + `[` + rw + `])))` +
			` or (sum by (namespace, model_name, pod) (rate(vllm:time_per_output_token_seconds_sum` + sel + `[` + rw + `]))` +
			` / sum by (namespace, model_name, pod) (rate(vllm:time_per_output_token_seconds_count` + sel + `[` + rw + `])))`},
		{QueryMeanRunning, byPod + `(avg_over_time(vllm:num_requests_running` + sel + `[` + rw + `]))`},
		{QueryGenerated, `sum by (namespace, model_name, pod) (increase(vllm:generation_tokens_total` + sel + `[` + rw + `]))`},
		{QueryInFlightChange, inFlightChange(sel, rw, opts.RateWindow)},
		{QueryPrefillTime, `sum by (namespace, model_name, pod) (rate(vllm:request_prefill_time_seconds_sum` + sel + `[` + rw + `]))` +
			` / sum by (namespace, model_name, pod) (rate(vllm:request_prefill_time_seconds_count` + sel + `[` + rw + `]))`},
	}
}

// distinct returns the sorted distinct namespaces and model IDs of the targets.
func distinct(targets []Target) (namespaces, models []string) {
	ns, ms := map[string]bool{}, map[string]bool{}
	for _, t := range targets {
		ns[t.Namespace] = true
		ms[t.ModelID] = true
	}
	return sortedSet(ns), sortedSet(ms)
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// regexMatcher returns a PromQL string literal holding an anchored alternation that
// matches exactly the given values: each value is a regex literal (QuoteMeta), and the
// whole is a PromQL string (Go-style escaping, which PromQL's lexer shares).
func regexMatcher(values []string) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = regexp.QuoteMeta(v)
	}
	return strconv.Quote(strings.Join(parts, "|"))
}

// promDuration formats d as a PromQL duration in the largest whole unit (1m, 90s, 250ms).
func promDuration(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.name
		}
	}
	return strconv.FormatInt(max(d.Milliseconds(), 1), 10) + "ms"
}

// inFlightChange is (in flight now - in flight one rate window ago) / the window, each side
// summed over the model's pods.
func inFlightChange(sel, rw string, window time.Duration) string {
	inFlight := func(offset string) string {
		return `(sum by (namespace, model_name) (vllm:num_requests_running` + sel + offset + `)` +
			` + sum by (namespace, model_name) (vllm:num_requests_waiting` + sel + offset + `))`
	}
	return `(` + inFlight("") + ` - ` + inFlight(" offset "+rw) + `) / ` + strconv.FormatFloat(window.Seconds(), 'f', -1, 64)
}
