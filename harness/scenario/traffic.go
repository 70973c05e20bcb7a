package scenario

import "time"

// Traffic is either synthetic (phases, diurnal, spikes, classes) or a trace replay.
//
// The request rate at time t is: the rate of the phase holding t when that phase has one,
// otherwise the diurnal rate; then every spike covering t applies. Time after the last phase
// gets the diurnal rate, or no traffic.
type Traffic struct {
	// Phases run one after another from t=0; their names label requests and scope assertions.
	Phases []Phase `yaml:"phases"`
	// Diurnal is a sinusoidal daily cycle, used where a phase has no rate of its own.
	Diurnal *Diurnal `yaml:"diurnal"`
	// Spikes multiply or replace the rate for a while.
	Spikes []Spike `yaml:"spikes"`
	// Arrivals is the default arrival process of every phase (default poisson).
	Arrivals Arrivals `yaml:"arrivals"`
	// Classes of requests with their shares and lengths (default one "default" class).
	Classes []Class `yaml:"classes"`
	// Trace replays a trace file instead of synthetic arrivals and classes.
	Trace *Trace `yaml:"trace"`
}

// Phase is a named window of the run.
type Phase struct {
	// Name is unique; assertions refer to it.
	Name string `yaml:"name"`
	// Duration of the phase (> 0).
	Duration time.Duration `yaml:"duration"`
	// Rate in requests per second; omit to use the diurnal rate (or the trace).
	Rate *Rate `yaml:"rate"`
	// Arrivals overrides Traffic.Arrivals for this phase.
	Arrivals *Arrivals `yaml:"arrivals"`
}

// Ramp shapes.
const (
	RampLinear      = "linear"
	RampExponential = "exponential"
)

// Rate is a constant rate ("rate: 5" or "rate: {constant: 5}") or a ramp over the phase
// ("rate: {from: 1, to: 20, shape: linear}").
type Rate struct {
	// Constant requests per second (>= 0).
	Constant *float64 `yaml:"constant"`
	// From is the ramp's rate at the phase start (>= 0; > 0 for exponential).
	From *float64 `yaml:"from"`
	// To is the ramp's rate at the phase end (>= 0; > 0 for exponential).
	To *float64 `yaml:"to"`
	// Shape is "linear" (default) or "exponential" (geometric interpolation).
	Shape string `yaml:"shape"`
}

// IsRamp reports whether the rate is a ramp.
func (r Rate) IsRamp() bool { return r.Constant == nil }

// Arrival processes.
const (
	ProcessPoisson  = "poisson"
	ProcessGamma    = "gamma"
	ProcessConstant = "constant"
)

// Arrivals is the inter-arrival process, applied in "operational time" so that it follows a
// varying rate: poisson (exponential gaps), gamma (renewal process with a coefficient of
// variation: CV > 1 is burstier than Poisson, CV < 1 smoother) or constant (evenly spaced).
type Arrivals struct {
	// Process is "poisson" (default), "gamma" or "constant".
	Process string `yaml:"process"`
	// CV is the gamma process's coefficient of variation of gaps (> 0; required for gamma).
	CV float64 `yaml:"cv"`
}

// Diurnal is a sinusoidal rate: base + amplitude*cos(2π(t-peakAt)/period).
type Diurnal struct {
	// Base (mean) rate in requests per second (>= amplitude).
	Base float64 `yaml:"base"`
	// Amplitude of the cycle (>= 0). Give either amplitude or peak.
	Amplitude float64 `yaml:"amplitude"`
	// Peak rate; amplitude = peak - base.
	Peak float64 `yaml:"peak"`
	// Period of the cycle (default 24h).
	Period time.Duration `yaml:"period"`
	// PeakAt is the offset from the start at which the rate peaks (default period/2).
	PeakAt *time.Duration `yaml:"peakAt"`
}

// Spike changes the rate during [at, at+duration).
type Spike struct {
	// At is the spike start offset.
	At time.Duration `yaml:"at"`
	// Duration of the spike (> 0).
	Duration time.Duration `yaml:"duration"`
	// Multiplier of the underlying rate (> 0). Give either multiplier or rate.
	Multiplier float64 `yaml:"multiplier"`
	// Rate replaces the underlying rate (requests per second, >= 0).
	Rate *float64 `yaml:"rate"`
}

// Class is a kind of request with its share of the traffic.
type Class struct {
	// Name is unique; it labels requests in the record.
	Name string `yaml:"name"`
	// Share of requests in (0,1]; the shares of all classes sum to 1.
	Share float64 `yaml:"share"`
	// Prompt length in tokens.
	Prompt LengthDist `yaml:"prompt"`
	// Output length in tokens (the exact number of tokens generated).
	Output LengthDist `yaml:"output"`
	// Stream requests tokens as server-sent events.
	Stream bool `yaml:"stream"`
	// Prefix makes requests share a prompt prefix within a few groups (e.g. system prompts).
	Prefix *PrefixSharing `yaml:"prefix"`
}

// PrefixSharing puts each request of a class into one of Groups groups, uniformly; requests in
// a group share their first Tokens prompt tokens.
type PrefixSharing struct {
	// Groups is the number of distinct prefixes (>= 1).
	Groups int `yaml:"groups"`
	// Tokens shared (>= 1; capped at each request's prompt length).
	Tokens int `yaml:"tokens"`
}

// Distribution types for lengths and durations.
const (
	DistConstant  = "constant"
	DistUniform   = "uniform"
	DistNormal    = "normal"
	DistLognormal = "lognormal"
	DistEmpirical = "empirical"
)

// LengthDist is a distribution of token counts. "prompt: 512" is short for a constant.
// Draws are rounded, clamped to [min, max] when given, and to at least 1.
type LengthDist struct {
	// Type is constant, uniform, normal, lognormal or empirical (default constant when value is set).
	Type string `yaml:"type"`
	// Value of a constant.
	Value int `yaml:"value"`
	// Min bound (uniform's lower end; a clamp for normal and lognormal).
	Min int `yaml:"min"`
	// Max bound (uniform's upper end; a clamp for normal and lognormal).
	Max int `yaml:"max"`
	// Mean of normal and lognormal (of the tokens, not of their logarithm).
	Mean float64 `yaml:"mean"`
	// StdDev of normal and lognormal (of the tokens).
	StdDev float64 `yaml:"stddev"`
	// Values of an empirical distribution with their weights.
	Values []WeightedValue `yaml:"values"`
}

// WeightedValue is one point of an empirical distribution.
type WeightedValue struct {
	// Value in tokens (>= 1).
	Value int `yaml:"value"`
	// Weight (> 0; default 1). Weights need not sum to 1.
	Weight float64 `yaml:"weight"`
}

// DurationDist is a distribution of durations; "30s" is short for a constant.
type DurationDist struct {
	// Type is constant, uniform, normal or lognormal (default constant).
	Type string `yaml:"type"`
	// Value of a constant.
	Value time.Duration `yaml:"value"`
	// Min (uniform's lower end; a clamp for normal and lognormal; never below 0).
	Min time.Duration `yaml:"min"`
	// Max (uniform's upper end; a clamp for normal and lognormal).
	Max time.Duration `yaml:"max"`
	// Mean of normal and lognormal.
	Mean time.Duration `yaml:"mean"`
	// StdDev of normal and lognormal.
	StdDev time.Duration `yaml:"stddev"`
}

// Trace formats.
const (
	TraceAzure    = "azure"
	TraceBurstGPT = "burstgpt"
	TraceMooncake = "mooncake"
)

// Trace replays a request trace.
type Trace struct {
	// Format is "azure" (Azure LLM inference CSV), "burstgpt" (BurstGPT CSV) or "mooncake"
	// (Mooncake JSONL).
	Format string `yaml:"format"`
	// Path of the trace file, relative to the scenario file.
	Path string `yaml:"path"`
	// TimeScale multiplies every offset from the first record (0.5 plays the trace in half
	// the time, at twice the rate; default 1).
	TimeScale float64 `yaml:"timeScale"`
	// RateMultiplier keeps the trace's timing but multiplies its number of requests:
	// 2 emits every record twice (the copy spread evenly towards the next record), 0.5 keeps
	// a deterministic half (default 1).
	RateMultiplier float64 `yaml:"rateMultiplier"`
	// Stream marks replayed requests as streaming.
	Stream bool `yaml:"stream"`
	// Class names the replayed requests in the record (default "trace").
	Class string `yaml:"class"`
}
