package record

import "time"

// Mode says which driver produced a record.
const (
	ModeTwin = "twin"
	ModeKind = "kind"
)

// Record is the complete outcome of one scenario run.
type Record struct {
	Meta Meta `json:"meta"`
	// Requests holds one row per generated request, in arrival order.
	Requests []Request `json:"-"`
	// Timeline holds one point per variant per sampling interval.
	Timeline []TimelinePoint `json:"-"`
	// Samples holds per-replica metric samples (what a scrape saw).
	Samples []MetricSample `json:"-"`
	// Lifecycle holds replica state transitions in time order.
	Lifecycle []ReplicaEvent `json:"-"`
	// Decisions holds each controller decision, in time order.
	Decisions []Decision `json:"-"`
	// Scales holds every change of a variant's target replica count.
	Scales []ScaleEvent `json:"-"`
	// Floor is a provable lower bound on the resources of any autoscaler on
	// the run; nil when the driver could not compute it.
	Floor *Floor `json:"floor,omitempty"`
	// Plan is the clairvoyant schedule replayed in the twin; nil when it was
	// not computed.
	Plan *Plan `json:"plan,omitempty"`
}

// Meta describes the run.
type Meta struct {
	Scenario string `json:"scenario"`
	Mode     string `json:"mode"`
	Seed     int64  `json:"seed"`
	// Start is the wall or virtual time all offsets in the record count from.
	Start time.Time `json:"start"`
	// Duration is the length of the traffic window (offset of its end).
	Duration time.Duration `json:"-"`
	Model    string        `json:"model"`
	Analyzer string        `json:"analyzer"`
	// Actuation is "hpa", "keda" or "direct".
	Actuation string    `json:"actuation"`
	Router    string    `json:"router"`
	Variants  []Variant `json:"variants"`
	Phases    []Phase   `json:"phases"`
	SLO       SLO       `json:"slo"`
	// ScrapeInterval and ControlInterval are the sampling periods used.
	ScrapeInterval  time.Duration `json:"-"`
	ControlInterval time.Duration `json:"-"`
}

// Variant is one deployment serving the model.
type Variant struct {
	Name        string `json:"name"`
	Accelerator string `json:"accelerator"`
	// GPUsPerReplica is the tensor-parallel size (GPUs held by a replica).
	GPUsPerReplica int `json:"gpus_per_replica"`
	// CostPerHour is the cost of one replica for one hour.
	CostPerHour float64 `json:"cost_per_hour"`
	MinReplicas int     `json:"min_replicas"`
	MaxReplicas int     `json:"max_replicas"`
	Initial     int     `json:"initial_replicas"`
}

// Phase is a named window of the traffic, used to scope assertions.
type Phase struct {
	Name  string        `json:"name"`
	Start time.Duration `json:"-"`
	End   time.Duration `json:"-"`
}

// SLO is the latency objective requests are measured against.
type SLO struct {
	TTFT time.Duration `json:"-"`
	ITL  time.Duration `json:"-"`
}

// Status is the outcome of a request.
type Status uint8

// Request outcomes.
const (
	// StatusOK means the request completed.
	StatusOK Status = iota
	// StatusError means the server answered with an error (e.g. rejected
	// prompt, no ready replica, unresponsive replica timed out).
	StatusError
	// StatusLost means the request was still unanswered when the run ended.
	StatusLost
)

func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusError:
		return "error"
	case StatusLost:
		return "lost"
	}
	return "unknown"
}

// Request is one row of requests.csv. Times are offsets from Meta.Start;
// FirstToken and Finish are zero when the event did not happen.
type Request struct {
	ID      int64
	Class   string
	Phase   string
	Variant string
	Replica string
	Stream  bool
	Status  Status
	// Error says why a request failed ("" when Status is ok).
	Error        string
	Arrival      time.Duration
	FirstToken   time.Duration
	Finish       time.Duration
	PromptTokens int32
	OutputTokens int32
	CachedTokens int32
	Preemptions  int32
	// MaxITL is the largest gap between consecutive output tokens; MeanITL
	// is (Finish-FirstToken)/(OutputTokens-1).
	MaxITL  time.Duration
	MeanITL time.Duration
}

// TTFT is the time to first token (including queueing), zero when none.
func (r *Request) TTFT() time.Duration {
	if r.FirstToken == 0 {
		return 0
	}
	return r.FirstToken - r.Arrival
}

// E2E is the end-to-end latency, zero when the request did not finish.
func (r *Request) E2E() time.Duration {
	if r.Finish == 0 {
		return 0
	}
	return r.Finish - r.Arrival
}

// TimelinePoint is the state of one variant at one instant.
type TimelinePoint struct {
	Time    time.Duration
	Variant string
	// Desired is the replica count the actuator asked for (the Deployment's
	// spec.replicas); Ready, Starting (pending or loading) and Draining
	// count replicas by state.
	Desired  int
	Ready    int
	Starting int
	Draining int
	// KVMean and KVMax summarise vllm:kv_cache_usage_perc over ready
	// replicas; Running and Waiting are sums over them.
	KVMean  float64
	KVMax   float64
	Running int
	Waiting int
	// ArrivalRate is requests per second routed to the variant since the
	// previous point.
	ArrivalRate float64
}

// MetricSample is what one scrape of one replica saw.
type MetricSample struct {
	Time    time.Duration
	Variant string
	Replica string
	KVUsage float64
	Running int
	Waiting int
}

// ReplicaState is a lifecycle state of a replica.
type ReplicaState string

// Replica lifecycle states.
const (
	ReplicaPending  ReplicaState = "pending"
	ReplicaStarting ReplicaState = "starting"
	ReplicaReady    ReplicaState = "ready"
	ReplicaDraining ReplicaState = "draining"
	ReplicaStopped  ReplicaState = "stopped"
	// ReplicaFailed marks a replica killed by a fault.
	ReplicaFailed ReplicaState = "failed"
)

// ReplicaEvent is one lifecycle transition.
type ReplicaEvent struct {
	Time    time.Duration
	Variant string
	Replica string
	State   ReplicaState
}

// Decision is one controller decision for one variant.
type Decision struct {
	Time        time.Duration      `json:"-"`
	TimeSeconds float64            `json:"t"`
	Variant     string             `json:"variant"`
	Namespace   string             `json:"namespace,omitempty"`
	Model       string             `json:"model,omitempty"`
	Accelerator string             `json:"accelerator,omitempty"`
	Analyzer    string             `json:"analyzer,omitempty"`
	Current     int                `json:"current"`
	Desired     int                `json:"desired"`
	Reason      string             `json:"reason"`
	MetricsOK   bool               `json:"metrics_available"`
	MetricsWhy  string             `json:"metrics_reason,omitempty"`
	Inputs      map[string]float64 `json:"inputs,omitempty"`
	Error       string             `json:"error,omitempty"`
}

// ScaleEvent is a change of a variant's target replica count (what the
// actuator wrote to spec.replicas).
type ScaleEvent struct {
	Time    time.Duration
	Variant string
	From    int
	To      int
	// Source says who changed it: "hpa", "keda", "direct" or "fault".
	Source string
}

// Floor is a lower bound on the GPU-hours and cost any autoscaler needs for a
// run: the larger of the work bound (the run's tokens over the highest
// saturated throughput per replica) and the replica-hours minReplicas force.
type Floor struct {
	GPUHours float64 `json:"gpu_hours"`
	Cost     float64 `json:"cost"`
	// Bound names the larger bound: FloorBoundWork or FloorBoundMinReplicas.
	Bound              string  `json:"bound"`
	WorkGPUHours       float64 `json:"work_gpu_hours"`
	WorkCost           float64 `json:"work_cost"`
	MinReplicaGPUHours float64 `json:"min_replica_gpu_hours"`
	MinReplicaCost     float64 `json:"min_replica_cost"`
	// Variant has the highest saturated throughput per GPU; MaxRPS is one of
	// its replicas' request rate at saturation for the run's mix.
	Variant string  `json:"variant,omitempty"`
	MaxRPS  float64 `json:"max_rps,omitempty"`
	// The work: requests, prompt tokens, the prompt tokens the prefix cache
	// could serve at best, output tokens.
	Requests     int64 `json:"requests"`
	PromptTokens int64 `json:"prompt_tokens"`
	CachedTokens int64 `json:"cached_tokens"`
	OutputTokens int64 `json:"output_tokens"`
}

// Plan is a clairvoyant schedule of replicas, sized with perfect knowledge of
// the arrivals and each change ordered ahead by the start-up time, then
// replayed in the twin as a scripted autoscaler: an achievable schedule whose
// GPU-hours and attainment are measured. It is the upper side of the bracket
// whose lower side is the floor.
type Plan struct {
	GPUHours float64 `json:"gpu_hours"`
	Cost     float64 `json:"cost"`
	// Attainment is the SLO attainment the replay reached; Target is the
	// attainment the plan was sized for over the run, Assertions how many of
	// the scenario's assertions it was sized or bounded by besides (its
	// sloAttainment, latency and replicas assertions).
	Attainment     float64 `json:"attainment"`
	Target         float64 `json:"target"`
	Assertions     int     `json:"assertions,omitempty"`
	P99TTFTSeconds float64 `json:"p99_ttft_seconds"`
	// Variant is the variant the plan scales (the others stay at their
	// minReplicas); Replicas is its schedule, one entry per Step.
	Variant      string  `json:"variant"`
	StepSeconds  float64 `json:"step_seconds"`
	LeadSeconds  float64 `json:"lead_seconds"`
	Replicas     []int   `json:"replicas"`
	PeakReplicas int     `json:"peak_replicas"`
	// Replays is how many times the schedule was replayed while it was sized.
	Replays int `json:"replays"`
}

// Floor bounds.
const (
	FloorBoundWork        = "work"
	FloorBoundMinReplicas = "min-replicas"
)

// PhaseAt returns the name of the phase containing offset t ("" if none).
func (m *Meta) PhaseAt(t time.Duration) string {
	for _, p := range m.Phases {
		if t >= p.Start && t < p.End {
			return p.Name
		}
	}
	return ""
}

// Phase returns the named phase.
func (m *Meta) Phase(name string) (Phase, bool) {
	for _, p := range m.Phases {
		if p.Name == name {
			return p, true
		}
	}
	return Phase{}, false
}

// VariantByName returns the named variant.
func (m *Meta) VariantByName(name string) (Variant, bool) {
	for _, v := range m.Variants {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}
