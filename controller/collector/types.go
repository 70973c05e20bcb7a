package collector

import (
	"context"
	"math"
	"time"

	"github.com/prometheus/common/model"
)

// Querier runs one instant PromQL query at ts. Implemented by controller/promclient
// (Prometheus over HTTPS) and harness/promstore (embedded TSDB + PromQL engine).
type Querier interface {
	Query(ctx context.Context, query string, ts time.Time) (model.Vector, error)
}

// RangeQuerier is a Querier that also evaluates a query at every step from start to end
// (Prometheus' query_range): a history then costs one request per query instead of one
// per query and past instant. Both controller/promclient and harness/promstore implement
// it; CollectHistory uses it when its Querier does.
type RangeQuerier interface {
	Querier
	QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) (model.Matrix, error)
}

// Target is one (namespace, model) to collect; the variants of a model share its pods'
// metrics, so variant details are not needed here. Duplicates are ignored.
type Target struct {
	Namespace string
	ModelID   string
}

// ModelKey identifies a model in a namespace.
type ModelKey struct {
	Namespace string
	ModelID   string
}

// Snapshot is one cycle's metrics for every requested model.
type Snapshot struct {
	// Time is the evaluation time of every query.
	Time time.Time
	// Models holds an entry for every requested target, even without any series.
	Models map[ModelKey]*ModelMetrics
	// Failed maps a query name (QueryKV, ...) to its error. Values of a failed query are
	// absent (NaN), never zero.
	Failed map[string]error
	// Queries is the number of PromQL queries issued.
	Queries int
	// StaleAfter is the age beyond which a pod's latest sample is stale.
	StaleAfter time.Duration
	// ActivityWindow is the window of ModelMetrics.FinishedRequests: cycles further apart
	// than this cannot tell whether a request finished in between.
	ActivityWindow time.Duration
	// RateWindow is the window of the rates and of the in-flight growth.
	RateWindow time.Duration
	// KVWindow is the window of the KV usage and waiting peaks (PodMetrics.KVUsage,
	// Waiting).
	KVWindow time.Duration
	// History is the history of the models read with CollectHistory for this
	// cycle (History.Models); nil when none was read.
	History map[ModelKey]map[string][]HistoryPoint
}

// ModelMetrics is one model's metrics.
type ModelMetrics struct {
	// Pods by pod name: every pod that reported vllm:kv_cache_usage_perc in the lookback.
	Pods map[string]*PodMetrics
	// MeanPromptTokens over the prompt window; NaN when no request finished or unknown.
	MeanPromptTokens float64
	// MeanOutputTokens over the prompt window (generated tokens per finished request); NaN
	// when unknown.
	MeanOutputTokens float64
	// CompletionRate is the requests finished per second over the rate window; NaN when
	// unknown.
	CompletionRate float64
	// InFlightGrowth is the growth per second of the requests running and waiting on the
	// model's pods (deriv over the rate window); CompletionRate + InFlightGrowth is the
	// arrival rate. NaN when unknown.
	InFlightGrowth float64
	// InFlightChange is the change per second of the requests in flight between the start
	// and the end of the rate window, summed over the pods (a pod that appeared within the
	// window counts from zero); NaN when unknown.
	InFlightChange float64
	// FinishedRequests is the increase of vllm:request_success_total over the activity
	// window; NaN when the model has no such series.
	FinishedRequests float64
	// ScaleFromZeroWaiting is the scale-from-zero signal (requests waiting upstream of
	// the model servers, by default the EPP flow-control queue); NaN when absent.
	ScaleFromZeroWaiting float64
}

// PodMetrics is one pod's metrics. Missing values are NaN.
type PodMetrics struct {
	Pod string
	// KVUsage is the peak of vllm:kv_cache_usage_perc over the KV window (0..1).
	KVUsage float64
	// Waiting is the peak of vllm:num_requests_waiting over the KV window.
	Waiting float64
	// Running is the latest vllm:num_requests_running.
	Running float64
	// MeanITL is the pod's mean inter-token latency (seconds) over the rate window and
	// MeanRunning its mean running requests over the same window; NaN when unknown.
	MeanITL     float64
	MeanRunning float64
	// MeanPrefill is the pod's mean prefill time (seconds, first scheduled to first token)
	// over the rate window; NaN when unknown.
	MeanPrefill float64
	// Generated is the increase of vllm:generation_tokens_total over the rate window; NaN
	// when unknown.
	Generated float64
	// KVCapacityTokens is num_gpu_blocks x block_size; 0 when unknown.
	KVCapacityTokens float64
	// LastSample is the timestamp of the pod's latest KV-usage sample (zero if unknown).
	LastSample time.Time
	// Stale is true when LastSample is older than the snapshot's StaleAfter.
	Stale bool
}

// Complete tells whether the pod has every value an analyzer needs and is fresh; when it
// has not, reason says what is missing.
func (p *PodMetrics) Complete() (ok bool, reason string) {
	switch {
	case p == nil:
		return false, "no sample"
	case p.Stale:
		return false, "stale sample"
	case math.IsNaN(p.KVUsage):
		return false, "no vllm:kv_cache_usage_perc sample"
	case math.IsNaN(p.Waiting):
		return false, "no vllm:num_requests_waiting sample"
	case math.IsNaN(p.Running):
		return false, "no vllm:num_requests_running sample"
	}
	return true, ""
}

func newModelMetrics() *ModelMetrics {
	return &ModelMetrics{
		Pods:                 map[string]*PodMetrics{},
		MeanPromptTokens:     math.NaN(),
		MeanOutputTokens:     math.NaN(),
		CompletionRate:       math.NaN(),
		InFlightGrowth:       math.NaN(),
		InFlightChange:       math.NaN(),
		FinishedRequests:     math.NaN(),
		ScaleFromZeroWaiting: math.NaN(),
	}
}

func newPodMetrics(pod string) *PodMetrics {
	return &PodMetrics{Pod: pod, KVUsage: math.NaN(), Waiting: math.NaN(), Running: math.NaN(), MeanITL: math.NaN(), MeanRunning: math.NaN(), MeanPrefill: math.NaN(), Generated: math.NaN()}
}
