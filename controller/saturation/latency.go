package saturation

import (
	"fmt"
	"math"
	"time"
)

// The latency model: a vLLM replica's decode step batches every running request, and the
// step time grows with the batch (KV reads, and the prefill chunks of the requests being
// admitted), so the inter-token latency (ITL) of a variant's replicas is close to linear
// in their running requests for a given traffic mix:
//
//	ITL(running) = Base + PerRequest x running
//
// The planner fits the line on the pods' 1-minute means (vllm:inter_token_latency_seconds
// and vllm:num_requests_running) over the last half hour. With an ITL objective (sloITL),
// a replica is sized for the running requests at which its ITL reaches itlTargetShare of
// the objective: the compute limit a queue never shows, since vLLM keeps admitting
// requests while KV blocks are free and the steps slow down for everyone.

// itlTargetShare is the share of the ITL objective a replica's mean ITL is sized for: the
// requests' own mean ITLs spread around the pod's mean (batch size varies over their
// lifetime), so the mean must stay below the objective for most requests to meet it.
const itlTargetShare = 0.8

// LatencySample is one pod's 1-minute mean running requests and mean ITL (seconds).
type LatencySample struct {
	At      time.Time
	Running float64
	ITL     float64
}

// LatencyModel is a fitted ITL line; Known is false when the samples do not determine it.
type LatencyModel struct {
	Known bool
	// Base (seconds) and PerRequest (seconds per running request) define the line.
	Base, PerRequest float64
	// Samples is the number of samples fitted; MinRunning and MaxRunning the lowest and
	// highest running among them.
	Samples                int
	MinRunning, MaxRunning float64
}

const (
	// minLatencySamples: fewer samples fit no line.
	minLatencySamples = 6
	// minLatencySpread: the samples' running must span at least this many requests and
	// this share of their mean, else the slope is noise.
	minLatencySpread      = 4.0
	minLatencySpreadShare = 0.25
)

// FitLatency fits the ITL line on the samples by least squares with a slope that is not
// negative (a step never gets faster with a bigger batch). The line is unknown with too
// few samples or too little spread in running. When the best slope is not positive, the
// ITL did not measurably grow over the observed range (a fast accelerator at a light
// load, whose growth is within the measurement noise): the line is flat at the samples'
// mean: the objective bounds nothing, as with a slope barely above zero (the two fits
// size a replica alike), and the replica is sized by its throughput at saturation. Its
// samples at higher loads bend the line when the ITL starts to grow.
func FitLatency(samples []LatencySample) LatencyModel {
	var n, sx, sy, lo, hi float64
	lo = math.Inf(1)
	for _, s := range samples {
		if !finite(s.Running) || !finite(s.ITL) || s.Running <= 0 || s.ITL <= 0 {
			continue
		}
		n++
		sx += s.Running
		sy += s.ITL
		lo, hi = math.Min(lo, s.Running), math.Max(hi, s.Running)
	}
	m := LatencyModel{Samples: int(n), MinRunning: lo, MaxRunning: hi}
	if n == 0 {
		m.MinRunning = 0
	}
	if n < minLatencySamples {
		return m
	}
	mx, my := sx/n, sy/n
	if hi-lo < math.Max(minLatencySpread, minLatencySpreadShare*mx) {
		return m
	}
	var sxy, sxx float64
	for _, s := range samples {
		if !finite(s.Running) || !finite(s.ITL) || s.Running <= 0 || s.ITL <= 0 {
			continue
		}
		dx := s.Running - mx
		sxy += dx * (s.ITL - my)
		sxx += dx * dx
	}
	if sxx <= 0 {
		return m
	}
	b := sxy / sxx
	a := my - b*mx
	if !finite(a) || !finite(b) {
		return m
	}
	if b <= 0 {
		m.Known, m.Base = true, my
		return m
	}
	// A negative intercept is a fit artefact: the step time of one request is positive.
	// Keep the line through the mean with the base clamped at 0.
	m.Known, m.Base, m.PerRequest = true, math.Max(a, 0), b
	if a < 0 {
		m.PerRequest = my / mx
	}
	return m
}

// runningAt returns the running requests per replica at which the model's ITL reaches
// the share of the objective, and false when the model is unknown or the objective is not
// reachable (the base alone exceeds it). A flat line below the objective never reaches
// it: +Inf.
func (m LatencyModel) runningAt(objective time.Duration) (float64, bool) {
	t := itlTargetShare * objective.Seconds()
	if !m.Known || objective <= 0 || m.PerRequest < 0 || t <= m.Base {
		return 0, false
	}
	if m.Flat() {
		return math.Inf(1), true
	}
	x := (t - m.Base) / m.PerRequest
	return x, finite(x)
}

// Flat reports a known line whose ITL does not grow with the running requests.
func (m LatencyModel) Flat() bool { return m.Known && m.PerRequest == 0 }

// runningAtThroughputShare returns the running requests per replica at which a replica
// serves share of the requests per second it serves at sat running. By the line, a replica
// at c running serves c / (out x (Base + PerRequest x c)) requests per second: with
// X = sat / (Base + PerRequest x sat), c = share x X x Base / (1 - share x X x PerRequest).
// false when the line is unknown, has no base (its throughput does not depend on c) or
// the share or sat are not positive.
func (m LatencyModel) runningAtThroughputShare(share, sat float64) (float64, bool) {
	if !m.Known || m.Base <= 0 || m.PerRequest < 0 || !(share > 0) || share > 1 || !(sat > 0) || !finite(sat) {
		return 0, false
	}
	x := sat / (m.Base + m.PerRequest*sat)
	den := 1 - share*x*m.PerRequest
	if !(den > 0) {
		return 0, false
	}
	c := share * x * m.Base / den
	return math.Min(c, sat), finite(c) && c > 0
}

// throughputAt returns the requests per second a replica serves at c running requests
// by the line, out output tokens each; 0 when the line is unknown or the inputs are not
// positive.
func (m LatencyModel) throughputAt(c, out float64) float64 {
	w := out * (m.Base + m.PerRequest*c)
	if !m.Known || !(c > 0) || !(out > 0) || !(w > 0) || !finite(c/w) {
		return 0
	}
	return c / w
}

func (m LatencyModel) String() string {
	if !m.Known {
		if m.Samples == 0 {
			return fmt.Sprintf("ITL model unknown (no sample; %d pod means with a spread of %.0f running needed)", minLatencySamples, minLatencySpread)
		}
		return fmt.Sprintf("ITL model unknown (%d samples at %.1f-%.1f running; %d with a spread of %.0f running, and %.0f%% of their mean, needed)",
			m.Samples, m.MinRunning, m.MaxRunning, minLatencySamples, minLatencySpread, minLatencySpreadShare*100)
	}
	if m.Flat() {
		return fmt.Sprintf("ITL flat at %.1fms (%d samples up to %.0f running)", m.Base*1000, m.Samples, m.MaxRunning)
	}
	return fmt.Sprintf("ITL %.1fms + %.3fms per running request (%d samples up to %.0f running)",
		m.Base*1000, m.PerRequest*1000, m.Samples, m.MaxRunning)
}
