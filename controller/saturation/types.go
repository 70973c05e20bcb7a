package saturation

import (
	"fmt"
	"slices"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/config"
)

// ReplicaMetrics is one ready pod's latest figures.
type ReplicaMetrics struct {
	Pod string
	// KVUsage is vllm:kv_cache_usage_perc (0..1), the peak over the last minute.
	KVUsage float64
	// Waiting is vllm:num_requests_waiting, the peak over the last minute.
	Waiting float64
	// Running is vllm:num_requests_running.
	Running float64
	// SustainedWaiting, when SustainedKnown, is the waiting requests sustained over the
	// last cycles (the planner passes the lowest 1-minute peak of its last few cycles), so
	// that a one-off burst does not size the pool. Unknown: Waiting is used.
	SustainedWaiting float64
	SustainedKnown   bool
	// KVCapacityTokens is num_gpu_blocks x block_size from vllm:cache_config_info; 0 = unknown.
	KVCapacityTokens float64
	// MeanITL (seconds) and MeanRunning are the pod's mean inter-token latency and running
	// requests over the last minute; NaN or 0 = unknown. They feed the latency model.
	MeanITL     float64
	MeanRunning float64
	// MeanPrefill is the pod's mean prefill time (seconds) over the last minute; NaN or 0
	// = unknown. The planner sets the variant's LatencyModel.Prefill from it.
	MeanPrefill float64
}

// VariantState is what the caller knows about one variant (one VariantAutoscaling and its
// scale target) apart from metrics.
type VariantState struct {
	// Name of the VariantAutoscaling (the variant_name metric label).
	Name        string
	Namespace   string
	ModelID     string
	Accelerator string
	// TargetName is the scale target (Deployment) name; its pods are named
	// "<TargetName>-<replicaset hash>-<suffix>". Used to find the variant's pods in the
	// metrics when Pods is nil.
	TargetName string
	// Cost per replica (spec.variantCost).
	Cost float64
	// Current is the number of replicas the scale target asks for (spec.replicas).
	Current int
	// Ready is the number of ready replicas; Current-Ready are starting (pending).
	Ready int
	// Stuck counts the not-ready replicas the caller considers failed rather than starting
	// (for example not ready long after their startup grace). The capacity analyzer does
	// not count them as supply; wva-v1 ignores the field, as WVA does. 0 = none known.
	Stuck int
	// Desired is the previous decision (status.desiredOptimizedAlloc.numReplicas); 0 = none.
	Desired int
	// Min is spec.minReplicas (0 when unset). Analyzers never go below max(Min, 1); only
	// the planner's scale-to-zero takes a variant to zero, and only when Min is 0.
	Min int
	// Max is the highest target (spec.maxReplicas); 0 = unbounded.
	Max int
	// Pods lists the names of the variant's ready pods, each of which must report metrics.
	// nil means: the pods in the metrics named for TargetName as a Deployment's
	// ("<target>-<hash>-<suffix>") or a StatefulSet's ("<target>-<ordinal>") are.
	Pods []string
	// Startup is how long its ready pods took from creation to readiness, as the cluster
	// recorded it (the median of those that never restarted); 0 = unknown (no such pod, or
	// pods ready from the start).
	Startup time.Duration
	// Created is when the variant came to exist (the VariantAutoscaling's creation); a
	// model's last activity is never dated before its oldest variant's. Zero = unknown.
	Created time.Time
}

// MedianStartup is the VariantState.Startup of pods whose start-ups (creation to
// readiness) are given: their median, the unknown (<= 0) left out; 0 when none is known.
func MedianStartup(startups []time.Duration) time.Duration {
	known := slices.DeleteFunc(slices.Clone(startups), func(d time.Duration) bool { return d <= 0 })
	if len(known) == 0 {
		return 0
	}
	slices.Sort(known)
	return known[len(known)/2]
}

// Pending is the number of replicas asked for but not ready yet (stuck ones included).
func (v VariantState) Pending() int { return max(v.Current-v.Ready, 0) }

// Starting is the number of pending replicas that are expected to become ready.
func (v VariantState) Starting() int { return max(v.Pending()-max(v.Stuck, 0), 0) }

// Serving is the number of replicas counted as supply: those asked for, less the pending
// ones not expected to become ready (stuck).
func (v VariantState) Serving() int { return v.Current - (v.Pending() - v.Starting()) }

// HasHeadroom tells whether the variant may grow past n replicas.
func (v VariantState) HasHeadroom(n int) bool { return v.Max <= 0 || n < v.Max }

// SizingWaiting is the waiting requests used to size the pool: the sustained value when
// known, else the 1-minute peak.
func (r ReplicaMetrics) SizingWaiting() float64 {
	if r.SustainedKnown {
		return r.SustainedWaiting
	}
	return r.Waiting
}

// VariantInput is a variant with the metrics of its ready pods.
type VariantInput struct {
	VariantState
	// Replicas holds one entry per ready pod that reported metrics.
	Replicas []ReplicaMetrics
	// SaturationConcurrency is the running requests per replica at which this variant's
	// replicas were observed to saturate (queue with KV to spare), remembered by the
	// planner across cycles; 0 = never observed.
	SaturationConcurrency float64
	// HealthyConcurrency is the highest concurrency (running + waiting) per replica this
	// variant was observed to carry without queueing, remembered by the planner; 0 = none.
	HealthyConcurrency float64
	// QueuedRunning is the most running requests per replica at which a replica of this
	// variant was seen with a queue (a one-minute waiting peak of queueLengthThreshold or
	// more, KV below its threshold) at about the most it ever ran, remembered by the
	// planner; 0 = never. Not sustained, it teaches no saturation: until one is known, a
	// consolidation relies on a replica for no more than this batch limit allows.
	QueuedRunning float64
	// Latency is the variant's inter-token latency model fitted by the planner on its pods'
	// recent metrics; zero = unknown.
	Latency LatencyModel
}

// ModelInput is everything an analyzer needs for one model in one namespace.
type ModelInput struct {
	Namespace string
	ModelID   string
	Variants  []VariantInput
	// MeanPromptTokens is the recent mean prompt length (tokens per request); 0 or NaN = unknown.
	MeanPromptTokens float64
	// Load is the model's arrival rate, its trend and the start-up lead time.
	Load       Load
	Thresholds config.Thresholds
	// Capacity tunes the capacity analyzer's concurrency model; zero fields mean defaults.
	Capacity config.CapacityTuning
}

// Target is an analyzer's recommendation for one variant.
type Target struct {
	Variant  string
	Replicas int
	// Reason says, with its numbers, why this variant gets this many replicas.
	Reason string
}

// Result is an analyzer's recommendation for one model.
type Result struct {
	Analyzer string
	// Targets has one entry per input variant, in input order.
	Targets []Target
	// Reason summarises the model-level analysis with its numbers.
	Reason string
	// Inputs are the model-level figures the decision used (for records and explain).
	Inputs map[string]float64
}

// Analyzer turns one model's metrics into per-variant replica targets.
type Analyzer interface {
	// Name is "wva-v1" or "capacity".
	Name() string
	// Analyze never panics and never returns fewer targets than variants.
	Analyze(in ModelInput) Result
}

// New returns the analyzer with the given name (config.AnalyzerCapacity or config.AnalyzerWVAV1).
func New(name string) (Analyzer, error) {
	switch name {
	case config.AnalyzerCapacity, "":
		return NewCapacity(), nil
	case config.AnalyzerWVAV1:
		return NewWVAV1(), nil
	default:
		return nil, fmt.Errorf("unknown analyzer %q: want %q or %q", name, config.AnalyzerCapacity, config.AnalyzerWVAV1)
	}
}

// hold returns the current replicas for every variant with the same reason.
func hold(name string, in ModelInput, reason string) Result {
	r := Result{Analyzer: name, Reason: reason, Targets: make([]Target, len(in.Variants))}
	for i, v := range in.Variants {
		r.Targets[i] = Target{Variant: v.Name, Replicas: max(v.Current, 0), Reason: reason}
	}
	return r
}

// Load is a model's traffic as the planner sees it across cycles. The zero value means
// unknown: the capacity analyzer then sizes on the requests in flight only.
type Load struct {
	// Known is true when CompletionRate and ArrivalRate were measured this cycle.
	Known bool
	// CompletionRate is the requests finished per second (rate over the last minute).
	CompletionRate float64
	// ArrivalRate is the requests arriving per second: completions plus the growth of the
	// requests in flight.
	ArrivalRate float64
	// Trend is the slope of the arrival rate over the last few cycles (requests/s per
	// second), at most its slope over the last minute; 0 when too few cycles were seen or
	// when Step is set.
	Trend float64
	// Step is the level the arrival rate stepped up to within the last rate window, which
	// the windowed rate reaches only a window after the step; 0 when no step was seen. The
	// forecast is at least it.
	Step float64
	// Lead is how far ahead a scale-up must look: the time a new replica takes to become
	// ready (observed on this model's variants, else a default) plus the measurement lag.
	Lead time.Duration
	// MeanOutputTokens is the recent mean generated tokens per request; 0 or NaN = unknown.
	MeanOutputTokens float64
}
