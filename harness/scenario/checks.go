package scenario

import "time"

// Fault is one injected failure; exactly one field is set.
type Fault struct {
	// PrometheusOutage makes every query fail during a window.
	PrometheusOutage *PrometheusOutage `yaml:"prometheusOutage"`
	// ScrapeDelay delays the samples Prometheus ingests (stale metrics).
	ScrapeDelay *ScrapeDelay `yaml:"scrapeDelay"`
	// KillReplica deletes ready replicas; the deployment replaces them.
	KillReplica *KillReplica `yaml:"killReplica"`
	// SlowStart adds start-up time to a variant's replicas.
	SlowStart *SlowStart `yaml:"slowStart"`
	// UnresponsiveReplica makes a replica stop answering and stop being scraped for a while.
	UnresponsiveReplica *UnresponsiveReplica `yaml:"unresponsiveReplica"`
	// ControllerRestart restarts the autoscaler: it runs no cycle for a while and comes
	// back with no memory.
	ControllerRestart *ControllerRestart `yaml:"controllerRestart"`
}

// ControllerRestart: the autoscaler's pod is replaced at At. For Downtime (default
// DefaultRestartDowntime) no cycle runs and the scale targets keep what they were last
// told; then a new controller starts with no memory of its predecessor's cycles: only
// what the cluster and Prometheus hold (the VariantAutoscalings' status, the metrics'
// history).
type ControllerRestart struct {
	At       time.Duration `yaml:"at"`
	Downtime time.Duration `yaml:"downtime"`
}

// DefaultRestartDowntime is a controller pod's replacement: a new pod started and the
// leader lease taken over.
const DefaultRestartDowntime = 30 * time.Second

// PrometheusOutage: queries fail in [start, start+duration).
type PrometheusOutage struct {
	Start    time.Duration `yaml:"start"`
	Duration time.Duration `yaml:"duration"`
}

// ScrapeDelay: samples scraped in [start, start+duration) reach the TSDB Delay later.
type ScrapeDelay struct {
	// Delay added to ingestion (> 0).
	Delay time.Duration `yaml:"delay"`
	// Start of the window (default 0).
	Start time.Duration `yaml:"start"`
	// Duration of the window (default: until the end of the run).
	Duration time.Duration `yaml:"duration"`
}

// KillReplica deletes Count ready replicas of Variant at At (the newest first).
type KillReplica struct {
	At      time.Duration `yaml:"at"`
	Variant string        `yaml:"variant"`
	// Count of replicas (default 1).
	Count int `yaml:"count"`
}

// SlowStart adds Extra to the start-up of Variant's replicas created in
// [start, start+duration) (default: the whole run).
type SlowStart struct {
	Variant  string        `yaml:"variant"`
	Extra    time.Duration `yaml:"extra"`
	Start    time.Duration `yaml:"start"`
	Duration time.Duration `yaml:"duration"`
}

// UnresponsiveReplica: at At, one ready replica of Variant stops answering (its requests time
// out, its scrapes fail) for Duration, then recovers.
type UnresponsiveReplica struct {
	At       time.Duration `yaml:"at"`
	Variant  string        `yaml:"variant"`
	Duration time.Duration `yaml:"duration"`
}

// Assertion is one expected outcome; exactly one check field is set. With Phase set, it is
// evaluated over that phase only, otherwise over the whole run.
type Assertion struct {
	// Name labels the assertion in reports (default: derived from the check).
	Name string `yaml:"name"`
	// Phase limits the assertion to a named traffic phase.
	Phase string `yaml:"phase"`

	Replicas          *ReplicasCheck          `yaml:"replicas"`
	ScaleUpWithin     *ScaleUpCheck           `yaml:"scaleUpWithin"`
	ScaleDownWithin   *ScaleDownCheck         `yaml:"scaleDownWithin"`
	MaxReplicaChanges *MaxReplicaChangesCheck `yaml:"maxReplicaChanges"`
	Latency           *LatencyCheck           `yaml:"latency"`
	SLOAttainment     *SLOAttainmentCheck     `yaml:"sloAttainment"`
	ErrorRate         *ErrorRateCheck         `yaml:"errorRate"`
	GPUHours          *BudgetCheck            `yaml:"gpuHours"`
	Cost              *BudgetCheck            `yaml:"cost"`
	// NothingLost: every generated request is accounted for (finished or failed, none
	// silently dropped or still in flight at the end). Only "true" is allowed.
	NothingLost *bool `yaml:"nothingLost"`
}

// ReplicasCheck: the variant's ready replicas stay within [min, max] (at least one bound).
type ReplicasCheck struct {
	// Variant name (default: the only variant; required with several).
	Variant string `yaml:"variant"`
	Min     *int   `yaml:"min"`
	Max     *int   `yaml:"max"`
	// Held: the autoscaler changes no desired replica count of the variant in the window
	// (for example while its metrics are missing).
	Held bool `yaml:"held"`
}

// ScaleUpCheck: within Within of the phase start (or the run start), the variant's desired
// replicas reach at least ToAtLeast (default: one more than at the phase start).
type ScaleUpCheck struct {
	Variant   string        `yaml:"variant"`
	Within    time.Duration `yaml:"within"`
	ToAtLeast int           `yaml:"toAtLeast"`
}

// ScaleDownCheck: within Within of the phase start (or the run start), the variant's desired
// replicas drop to at most ToAtMost (default: one fewer than at the phase start).
type ScaleDownCheck struct {
	Variant  string        `yaml:"variant"`
	Within   time.Duration `yaml:"within"`
	ToAtMost *int          `yaml:"toAtMost"`
}

// MaxReplicaChangesCheck: in any sliding window of Window, the variant's desired replica
// count changes at most Count times (no flapping). Without Variant, every variant.
type MaxReplicaChangesCheck struct {
	Variant string        `yaml:"variant"`
	Window  time.Duration `yaml:"window"`
	Count   int           `yaml:"count"`
}

// Latency metrics and percentiles.
const (
	MetricTTFT = "ttft"
	MetricITL  = "itl"
	MetricE2E  = "e2e"
)

// Percentiles accepted by LatencyCheck, with their quantile.
var Percentiles = map[string]float64{"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}

// LatencyCheck: the percentile of a latency metric over finished requests is at most Max.
type LatencyCheck struct {
	// Metric is "ttft" (time to first token, queueing included), "itl" (inter-token latency)
	// or "e2e" (end-to-end).
	Metric string `yaml:"metric"`
	// Percentile is p50, p90, p95 or p99.
	Percentile string `yaml:"percentile"`
	// Max latency allowed (> 0).
	Max time.Duration `yaml:"max"`
	// Class limits the check to one request class.
	Class string `yaml:"class"`
}

// SLOAttainmentCheck: the share of requests meeting both targets is at least MinShare.
// A request that failed does not meet them. Give TTFT, ITL or both.
type SLOAttainmentCheck struct {
	TTFT     time.Duration `yaml:"ttft"`
	ITL      time.Duration `yaml:"itl"`
	MinShare float64       `yaml:"minShare"`
	Class    string        `yaml:"class"`
}

// ErrorRateCheck: failed requests / all requests is at most Max (0..1).
type ErrorRateCheck struct {
	Max float64 `yaml:"max"`
}

// BudgetCheck: the total (GPU-hours, or cost in the variants' unit) is at most Max.
type BudgetCheck struct {
	Max float64 `yaml:"max"`
}
