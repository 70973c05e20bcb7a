package scenario

import (
	"io/fs"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/harness/route"
)

// APIVersion and Kind identify a scenario file; both are required and checked first.
const (
	APIVersion = "saturn.dev/v1alpha1"
	Kind       = "Scenario"
)

// Scenario is one scenario file: what runs (model, variants, autoscaler, router), the traffic
// it receives, the faults injected, and the outcomes asserted.
//
// Field tags name the YAML keys. Durations are Go duration strings ("90s", "24h") in YAML and
// time.Duration here. Fields documented "default X" hold X after Load.
type Scenario struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   Metadata `yaml:"metadata"`
	Spec       Spec     `yaml:"spec"`

	// Source is the file the scenario was loaded from ("" when unknown); trace paths are
	// resolved relative to its directory. Not read from YAML.
	Source string `yaml:"-"`
	// FS, when set, is the file system Source and trace paths live in (e.g. the embedded
	// library); nil means the operating system's. Not read from YAML.
	FS fs.FS `yaml:"-"`

	// positions locates the fields read from the file, for errors found after loading
	// (CheckLimits); nil when the scenario was not loaded from a file.
	positions map[string]position
}

// Metadata names and describes a scenario.
type Metadata struct {
	// Name identifies the scenario in reports (required; lowercase letters, digits, '-').
	Name string `yaml:"name"`
	// Description is free text shown in reports.
	Description string `yaml:"description"`
	// Labels are free-form tags (e.g. "tier: smoke") for selecting scenarios.
	Labels map[string]string `yaml:"labels"`
}

// Spec is everything a run needs.
type Spec struct {
	// Seed drives every random draw (arrivals, lengths, start-up times); default 1.
	Seed uint64 `yaml:"seed"`
	// Duration of simulated time; default the sum of the traffic phases. Required for
	// trace replay and diurnal traffic without phases.
	Duration time.Duration `yaml:"duration"`
	// Model served by every variant.
	Model Model `yaml:"model"`
	// Variants are the deployments serving the model (at least one).
	Variants []Variant `yaml:"variants"`
	// Autoscaler under test.
	Autoscaler Autoscaler `yaml:"autoscaler"`
	// Prometheus scraping the replicas.
	Prometheus Prometheus `yaml:"prometheus"`
	// Router in front of the replicas.
	Router Router `yaml:"router"`
	// SLO is the service-level objective of the run: used by sloAttainment assertions that
	// give no targets of their own and by the plan. Defaults: the first sloAttainment's
	// targets, else the first ttft/itl latency assertion's max, else 2s TTFT / 100ms ITL.
	SLO *SLO `yaml:"slo"`
	// Traffic sent to the router.
	Traffic Traffic `yaml:"traffic"`
	// Faults injected during the run.
	Faults []Fault `yaml:"faults"`
	// Assertions checked against the run's record.
	Assertions []Assertion `yaml:"assertions"`
}

// SLO targets a request must meet.
type SLO struct {
	// TTFT is the time-to-first-token target (> 0).
	TTFT time.Duration `yaml:"ttft"`
	// ITL is the inter-token-latency target (> 0).
	ITL time.Duration `yaml:"itl"`
}

// Model is the served model and the engine settings of its replicas.
type Model struct {
	// Name is a model profile name, e.g. "meta-llama/Llama-3.1-8B-Instruct" (see KnownModels).
	Name string `yaml:"name"`
	// Engine settings shared by every variant (a variant may override them).
	Engine Engine `yaml:"engine"`
}

// Engine holds vLLM engine settings. Zero means "the engine's default" unless noted.
type Engine struct {
	// MaxNumSeqs is vLLM's --max-num-seqs (default 256).
	MaxNumSeqs int `yaml:"maxNumSeqs"`
	// MaxNumBatchedTokens is vLLM's --max-num-batched-tokens (default 8192).
	MaxNumBatchedTokens int `yaml:"maxNumBatchedTokens"`
	// GPUMemoryUtilization is vLLM's --gpu-memory-utilization in (0,1] (default 0.9).
	GPUMemoryUtilization float64 `yaml:"gpuMemoryUtilization"`
	// TensorParallelSize is vLLM's --tensor-parallel-size (default: the model profile's).
	TensorParallelSize int `yaml:"tensorParallelSize"`
	// BlockSize is the KV-cache block size in tokens (default 16).
	BlockSize int `yaml:"blockSize"`
	// MaxModelLen caps prompt+output tokens (default: the model's maximum context).
	MaxModelLen int `yaml:"maxModelLen"`
	// EnablePrefixCaching turns prefix caching on (default true, as in vLLM V1).
	EnablePrefixCaching *bool `yaml:"enablePrefixCaching"`
}

// Variant is one deployment of the model on one accelerator type.
type Variant struct {
	// Name identifies the variant (required, unique; lowercase letters, digits, '-').
	Name string `yaml:"name"`
	// Accelerator profile name: L40S, A100, H100 or Intel-Max-1550.
	Accelerator string `yaml:"accelerator"`
	// Cost per replica-hour, in the user's unit (default: the accelerator's list cost
	// from llm-d's samples: H100 100, A100 40, L40S 32, Intel-Max-1550 60).
	Cost float64 `yaml:"cost"`
	// InitialReplicas at t=0 (default MinReplicas, or 1 when MinReplicas is 0 and
	// scale-to-zero is off).
	InitialReplicas *int `yaml:"initialReplicas"`
	// MinReplicas is the autoscaler's lower bound (default 1; 0 needs scaleToZero.enabled).
	MinReplicas *int `yaml:"minReplicas"`
	// MaxReplicas is the autoscaler's upper bound (default 10).
	MaxReplicas int `yaml:"maxReplicas"`
	// Startup is the time from a replica being created to it serving.
	Startup Startup `yaml:"startup"`
	// Engine overrides the model's engine settings for this variant (non-zero fields win).
	Engine Engine `yaml:"engine"`
}

// Startup is a replica's start-up time: scheduling (pod pending, image pull) plus loading the
// weights; each is drawn independently per replica.
type Startup struct {
	// Scheduling time (default constant 5s).
	Scheduling DurationDist `yaml:"scheduling"`
	// WeightsLoading time (default constant 60s).
	WeightsLoading DurationDist `yaml:"weightsLoading"`
}

// Analyzer names.
const (
	AnalyzerCapacity = config.AnalyzerCapacity
	AnalyzerWVAv1    = config.AnalyzerWVAV1
)

// Actuation modes.
const (
	ActuationHPA    = "hpa"
	ActuationKEDA   = "keda"
	ActuationDirect = "direct"
)

// Autoscaler configures the controller under test.
type Autoscaler struct {
	// Analyzer is "capacity" (saturn's: scales by the replicas needed in one decision) or
	// "wva-v1" (WVA v0.5 saturation: one replica per cycle); default "capacity".
	Analyzer string `yaml:"analyzer"`
	// Interval between decision cycles (default 30s).
	Interval time.Duration `yaml:"interval"`
	// Thresholds as in WVA's wva-saturation-scaling-config ConfigMap.
	Thresholds Thresholds `yaml:"thresholds"`
	// Stabilization windows applied by the controller itself before it publishes a decision.
	Stabilization Stabilization `yaml:"stabilization"`
	// Actuation is how decisions reach the replica count.
	Actuation Actuation `yaml:"actuation"`
	// ScaleToZero lets a variant go to zero replicas after a period without traffic.
	ScaleToZero ScaleToZero `yaml:"scaleToZero"`
}

// Thresholds are WVA's saturation thresholds (ConfigMap key "default").
type Thresholds struct {
	// KVCacheThreshold: a replica is saturated at this KV-cache usage (0..1, default 0.80).
	KVCacheThreshold *float64 `yaml:"kvCacheThreshold"`
	// QueueLengthThreshold: a replica is saturated with this many waiting requests (default 5).
	QueueLengthThreshold *float64 `yaml:"queueLengthThreshold"`
	// KVSpareTrigger: scale up when the average spare KV capacity falls below this (default 0.1).
	KVSpareTrigger *float64 `yaml:"kvSpareTrigger"`
	// QueueSpareTrigger: scale up when the average spare queue capacity falls below this (default 3).
	QueueSpareTrigger *float64 `yaml:"queueSpareTrigger"`
}

// Stabilization windows: a scale-up (down) is applied only when every decision in the window
// agrees (the smallest recommendation for up, the largest for down).
type Stabilization struct {
	// ScaleUp window (default 0s).
	ScaleUp *time.Duration `yaml:"scaleUp"`
	// ScaleDown window (default 5m).
	ScaleDown *time.Duration `yaml:"scaleDown"`
}

// Actuation selects how desired replicas are applied.
type Actuation struct {
	// Mode is "hpa" (an HPA reads wva_desired_replicas), "keda" (a KEDA ScaledObject does) or
	// "direct" (the controller patches the scale subresource); default "hpa".
	Mode string `yaml:"mode"`
	// HPA settings (used by "hpa" and "keda", whose ScaledObject drives an HPA).
	HPA HPA `yaml:"hpa"`
	// KEDA settings (used by "keda").
	KEDA KEDA `yaml:"keda"`
}

// HPA models the Kubernetes HorizontalPodAutoscaler that applies the controller's metric.
type HPA struct {
	// SyncPeriod of the HPA controller (default 15s, kube-controller-manager's default).
	SyncPeriod time.Duration `yaml:"syncPeriod"`
	// Tolerance: changes within this ratio of the target are ignored (default 0.1).
	Tolerance *float64 `yaml:"tolerance"`
	// Behavior is autoscaling/v2 HPA behavior; defaults are charts/saturn's (no window of
	// the HPA's own, 10 pods per 15 s either way): the controller stabilizes.
	Behavior HPABehavior `yaml:"behavior"`
}

// HPABehavior is autoscaling/v2 HorizontalPodAutoscalerBehavior.
type HPABehavior struct {
	// ScaleUp rules (default: stabilization 0, 10 pods/15s).
	ScaleUp *HPAScalingRules `yaml:"scaleUp"`
	// ScaleDown rules (default: stabilization 0, 10 pods/15s).
	ScaleDown *HPAScalingRules `yaml:"scaleDown"`
}

// HPA policy types and select policies, as in autoscaling/v2.
const (
	PolicyPods         = "Pods"
	PolicyPercent      = "Percent"
	SelectMax          = "Max"
	SelectMin          = "Min"
	SelectDisabled     = "Disabled"
	defaultHPASyncTime = 15 * time.Second
)

// HPAScalingRules is autoscaling/v2 HPAScalingRules.
type HPAScalingRules struct {
	// StabilizationWindowSeconds (0..3600).
	StabilizationWindowSeconds *int32 `yaml:"stabilizationWindowSeconds"`
	// SelectPolicy is Max, Min or Disabled (default Max).
	SelectPolicy string `yaml:"selectPolicy"`
	// Policies limit the change per period.
	Policies []HPAPolicy `yaml:"policies"`
	// Tolerance overrides HPA.Tolerance for this direction (Kubernetes >= 1.33 field).
	Tolerance *float64 `yaml:"tolerance"`
}

// HPAPolicy is autoscaling/v2 HPAScalingPolicy.
type HPAPolicy struct {
	// Type is Pods or Percent.
	Type string `yaml:"type"`
	// Value is the number of pods or the percentage (> 0).
	Value int32 `yaml:"value"`
	// PeriodSeconds is the window the policy applies to (1..1800).
	PeriodSeconds int32 `yaml:"periodSeconds"`
}

// KEDA models a KEDA ScaledObject on top of the HPA.
type KEDA struct {
	// PollingInterval of the scaler (default 15s, charts/saturn's).
	PollingInterval time.Duration `yaml:"pollingInterval"`
	// CooldownPeriod after the metric reads 0, before scaling to zero (default 30s,
	// charts/saturn's: the controller's retention period is the idle wait).
	CooldownPeriod time.Duration `yaml:"cooldownPeriod"`
}

// ScaleToZero lets variants drop to zero replicas.
type ScaleToZero struct {
	// Enabled allows minReplicas 0.
	Enabled bool `yaml:"enabled"`
	// RetentionPeriod without requests before scaling to zero (default 10m).
	RetentionPeriod time.Duration `yaml:"retentionPeriod"`
}

// Prometheus configures the scrapes the autoscaler reads.
type Prometheus struct {
	// ScrapeInterval of every replica (default 15s).
	ScrapeInterval time.Duration `yaml:"scrapeInterval"`
}

// Router policies.
const (
	RouterRoundRobin    = route.RoundRobin
	RouterLeastQueue    = route.LeastQueue
	RouterKVQueueScorer = route.KVQueueScorer
)

// Router picks a ready replica for each request.
type Router struct {
	// Policy is "round-robin", "least-queue" or "kv-queue-scorer" (llm-d endpoint-picker
	// style: weighted queue, KV-cache and prefix-cache scores); default "least-queue".
	Policy string `yaml:"policy"`
	// Weights of the kv-queue-scorer's scorers.
	Weights RouterWeights `yaml:"weights"`
}

// RouterWeights weigh the kv-queue-scorer's scorers (defaults 1, 1, 0).
type RouterWeights struct {
	Queue       *float64 `yaml:"queue"`
	KVCache     *float64 `yaml:"kvCache"`
	PrefixCache *float64 `yaml:"prefixCache"`
}
