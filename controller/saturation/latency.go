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

// LatencySample is one pod's mean running requests and mean ITL (seconds) over Window
// (the collector's rate window) ending At.
type LatencySample struct {
	At      time.Time
	Running float64
	ITL     float64
	// Window is the span of the means; 0 means latencyMeanWindow (one minute, the
	// collector's default). One pod's samples closer than it share requests.
	Window time.Duration
}

// LatencyModel is a fitted ITL line; Known is false when the samples do not determine it.
type LatencyModel struct {
	// Known: the samples span enough load (minLatencySpread) for the line to be
	// extrapolated, and their scatter leaves it trusted at their mean.
	Known bool
	// Local: the line is fitted and trusted near the samples, which span too little load
	// to extrapolate it (a pool whose pods all run about the same requests). Base,
	// PerRequest and Trusted are set; it sizes no replica beyond Trusted.
	Local bool
	// Base (seconds) and PerRequest (seconds per running request) define the line.
	Base, PerRequest float64
	// Samples is the number of samples fitted; MinRunning and MaxRunning the lowest and
	// highest running among them.
	Samples                int
	MinRunning, MaxRunning float64
	// Trusted is the most running requests at which the line's ITL is known to within
	// latencyTrustShare (its standard error, from the samples' scatter around the line);
	// +Inf when the slope itself is that precise; at least MaxRunning. 0 = not bounded (a
	// line given rather than fitted).
	Trusted float64
	// Independent is the number of independent samples the trust counts: the pods' 1-minute
	// means overlap when the cycles are closer than a minute.
	Independent float64
	// Prefill is the variant's mean prefill time (seconds, first scheduled to first token,
	// vllm:request_prefill_time_seconds) measured on its replicas; 0 = unknown. A request
	// spends it in a replica before its output tokens (see InSystem).
	Prefill float64
}

const (
	// minLatencySamples: fewer samples fit no line.
	minLatencySamples = 6
	// minLatencySpread: the samples' running must span at least this many requests and
	// this share of their mean for the line to be extrapolated (Known), else it is Local.
	minLatencySpread      = 4.0
	minLatencySpreadShare = 0.25
	// minIndependentSamples: fewer independent samples (non-overlapping 1-minute means)
	// determine no scatter to trust a line by.
	minIndependentSamples = 3
	// latencyMeanWindow is the window of the pods' means a sample that does not say its
	// own is taken over (the collector's default rate window).
	latencyMeanWindow = time.Minute
	// latencyTrustShare is the standard error, as a share of the ITL the line predicts,
	// up to which the line is trusted: within the 20% the sizing leaves below the
	// objective (itlTargetShare), so that a replica sized at the edge of the trust still
	// meets it.
	latencyTrustShare = 0.1
)

// FitLatency fits the ITL line on the samples by least squares with a slope that is not
// negative (a step never gets faster with a bigger batch), and says how far the line is
// trusted: up to the running requests at which the standard error of the ITL it predicts,
// s x sqrt(1/n + (x - mean)^2 / sxx) with the samples' scatter s around the line, stays
// within latencyTrustShare of that ITL. Many precise samples at one load determine the
// line near it; the trust grows as samples arrive at other loads (a pool that consolidates
// brings them). n counts independent samples: one pod's 1-minute means taken every cycle
// overlap, so the samples are discounted by the cycle over the window.
//
// The line is unknown with too few samples or samples all at one load. It is Known when
// the samples span enough load to extrapolate it (a scatter that leaves even the mean ITL
// uncertain then trusts it only up to the samples' highest load), Local when they span
// less but their scatter still trusts it near them. When the best slope is not positive, the ITL did
// not measurably grow over the observed range (a fast accelerator at a light load, whose
// growth is within the measurement noise): the line is flat at the samples' mean, trusted
// as far as the uncertainty of the slope allows.
func FitLatency(samples []LatencySample) LatencyModel {
	var n, sx, sy, lo, hi float64
	lo = math.Inf(1)
	// instants counts the runs of one At in the samples' order: their distinct instants
	// when they come in time order, as the planner keeps them (out of order, more: fewer
	// independent samples, never more).
	first, last, prev := time.Time{}, time.Time{}, time.Time{}
	instants := 0
	var window time.Duration
	for _, s := range samples {
		if !usableSample(s) {
			continue
		}
		n++
		sx += s.Running
		sy += s.ITL
		lo, hi = math.Min(lo, s.Running), math.Max(hi, s.Running)
		if first.IsZero() || s.At.Before(first) {
			first = s.At
		}
		if s.At.After(last) {
			last = s.At
		}
		if instants == 0 || !s.At.Equal(prev) {
			instants++
		}
		prev = s.At
		window = max(window, s.Window)
	}
	m := LatencyModel{Samples: int(n), MinRunning: lo, MaxRunning: hi}
	if n == 0 {
		m.MinRunning = 0
	}
	if window <= 0 {
		window = latencyMeanWindow
	}
	m.Independent = independentSamples(n, instants, last.Sub(first), window)
	if n < minLatencySamples || m.Independent < minIndependentSamples {
		return m
	}
	mx, my := sx/n, sy/n
	var sxy, sxx float64
	for _, s := range samples {
		if !usableSample(s) {
			continue
		}
		dx := s.Running - mx
		sxy += dx * (s.ITL - my)
		sxx += dx * dx
	}
	if !(sxx > 0) || !finite(sxx) {
		return m
	}
	b := sxy / sxx
	a := my - b*mx
	if !finite(a) || !finite(b) {
		return m
	}
	base, per := math.Max(a, 0), b
	switch {
	case b <= 0:
		base, per = my, 0
	case a < 0:
		// A negative intercept is a fit artefact: the step time of one request is
		// positive. Keep the line through the mean with the base clamped at 0.
		per = my / mx
	}
	// The scatter around the line kept (two parameters fitted): a clamped line's misfit
	// counts as scatter.
	var sse float64
	for _, s := range samples {
		if usableSample(s) {
			r := s.ITL - (base + per*s.Running)
			sse += r * r
		}
	}
	scatter := 0.0
	if n > 2 {
		scatter = math.Sqrt(sse / (n - 2))
	}
	trusted, ok := trustedRunning(base, per, mx, scatter, m.Independent, sxx*m.Independent/n)
	spread := hi-lo >= math.Max(minLatencySpread, minLatencySpreadShare*mx)
	if !ok && !spread {
		return m
	}
	m.Base, m.PerRequest = base, per
	m.Trusted = math.Max(trusted, hi)
	m.Known, m.Local = spread, !spread
	return m
}

func usableSample(s LatencySample) bool {
	return finite(s.Running) && finite(s.ITL) && s.Running > 0 && s.ITL > 0
}

// independentSamples discounts n samples taken at instants distinct times over span for
// the overlap of their means: samples closer than the means' window share their requests.
// n when the samples are all of one instant (different pods).
func independentSamples(n float64, instants int, span, window time.Duration) float64 {
	if instants <= 1 || span <= 0 {
		return n
	}
	step := span.Seconds() / float64(instants-1)
	return n * math.Min(1, step/window.Seconds())
}

// trustedRunning returns the most running requests x >= mean at which the standard error
// of the line's ITL, scatter x sqrt(1/n + (x - mean)^2 / sxx), is within latencyTrustShare
// of the ITL base + per x x; +Inf when it stays within at any load (the slope is known to
// that share), false when not even the mean is.
func trustedRunning(base, per, mean, scatter, n, sxx float64) (float64, bool) {
	r, y0 := latencyTrustShare, base+per*mean
	if !(y0 > 0) || !(n > 0) || !(sxx > 0) {
		return 0, false
	}
	s2 := scatter * scatter
	// With u = x - mean: (r (y0 + per u))^2 - s2 (1/n + u^2/sxx) >= 0, a quadratic in u.
	qa := r*r*per*per - s2/sxx
	qb := 2 * r * r * y0 * per
	qc := r*r*y0*y0 - s2/n
	if qc < 0 {
		return 0, false
	}
	if qa >= 0 {
		return math.Inf(1), true
	}
	d := qb*qb - 4*qa*qc
	u := (-qb - math.Sqrt(math.Max(d, 0))) / (2 * qa)
	x := mean + u
	return x, finite(x)
}

// trusted is the most running requests the line is trusted at: Trusted, +Inf when not
// bounded.
func (m LatencyModel) trusted() float64 {
	if m.Trusted > 0 {
		return m.Trusted
	}
	return math.Inf(1)
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

// InSystem is the time (seconds) a request with out output tokens spends in a replica
// running c requests: its prefill, then its other out-1 tokens at the line's ITL there
// (Little's law: a replica serving it holds rate x InSystem running requests). Without a
// measured prefill one ITL stands in for it: out x the ITL. 0 when out is not positive.
func (m LatencyModel) InSystem(c, out float64) float64 {
	if !(out > 0) {
		return 0
	}
	itl := m.Base + m.PerRequest*c
	if p := m.prefill(); p > 0 {
		return p + math.Max(out-1, 0)*itl
	}
	return out * itl
}

// prefill is the measured prefill time (seconds), 0 when unknown.
func (m LatencyModel) prefill() float64 {
	if !(m.Prefill > 0) || !finite(m.Prefill) {
		return 0
	}
	return m.Prefill
}

// runningAtThroughputShare returns the running requests per replica at which a replica
// serves share of the requests per second it serves at sat running, out output tokens
// each. By the line, a replica at c running serves c / (A + D x c) requests per second,
// where A + D x c is InSystem(c, out): with X = sat / (A + D x sat), c = share x X x A /
// (1 - share x X x D). Without a prefill the output tokens cancel (A, D = Base,
// PerRequest). false when the line is unknown, a request's time in system does not
// depend on c or has no constant part, or the share or sat are not positive.
func (m LatencyModel) runningAtThroughputShare(share, sat, out float64) (float64, bool) {
	if !m.Known || m.Base <= 0 || m.PerRequest < 0 || !(share > 0) || share > 1 || !(sat > 0) || !finite(sat) {
		return 0, false
	}
	a, d := m.Base, m.PerRequest
	if out > 0 && finite(out) {
		a = m.InSystem(0, out)
		d = m.InSystem(1, out) - a
	}
	x := sat / (a + d*sat)
	den := 1 - share*x*d
	if !(den > 0) || !(a > 0) {
		return 0, false
	}
	c := share * x * a / den
	return math.Min(c, sat), finite(c) && c > 0
}

// throughputAt returns the requests per second a replica serves at c running requests
// by the line, out output tokens each (c / InSystem); 0 when the line is unknown or the
// inputs are not positive.
func (m LatencyModel) throughputAt(c, out float64) float64 {
	w := m.InSystem(c, out)
	if !m.Known || !(c > 0) || !(out > 0) || !(w > 0) || !finite(c/w) {
		return 0
	}
	return c / w
}

func (m LatencyModel) String() string {
	trust := "at any load"
	if t := m.trusted(); !math.IsInf(t, 1) {
		trust = fmt.Sprintf("up to %.0f running", t)
	}
	if m.Local {
		return fmt.Sprintf("ITL %.1fms + %.3fms per running request%s near the %d samples at %.1f-%.1f running (within %.0f%% %s; a spread of %.0f running, and %.0f%% of their mean, needed to extrapolate)",
			m.Base*1000, m.PerRequest*1000, m.prefillNote(), m.Samples, m.MinRunning, m.MaxRunning, latencyTrustShare*100, trust, minLatencySpread, minLatencySpreadShare*100)
	}
	if !m.Known {
		if m.Samples == 0 {
			return fmt.Sprintf("ITL model unknown (no sample; %d pod means with a spread of %.0f running needed)", minLatencySamples, minLatencySpread)
		}
		return fmt.Sprintf("ITL model unknown (%d samples, %.1f independent, at %.1f-%.1f running; %d with a spread of %.0f running, %d independent and a mean ITL known to %.0f%%, needed)",
			m.Samples, m.Independent, m.MinRunning, m.MaxRunning, minLatencySamples, minLatencySpread, minIndependentSamples, latencyTrustShare*100)
	}
	if m.Flat() {
		return fmt.Sprintf("ITL flat at %.1fms%s (%d samples up to %.0f running; within %.0f%% %s)", m.Base*1000, m.prefillNote(), m.Samples, m.MaxRunning, latencyTrustShare*100, trust)
	}
	return fmt.Sprintf("ITL %.1fms + %.3fms per running request%s (%d samples up to %.0f running; within %.0f%% %s)",
		m.Base*1000, m.PerRequest*1000, m.prefillNote(), m.Samples, m.MaxRunning, latencyTrustShare*100, trust)
}

// prefillNote names the measured prefill time, "" when unknown.
func (m LatencyModel) prefillNote() string {
	if m.prefill() == 0 {
		return ""
	}
	return fmt.Sprintf(", prefill %.2fs", m.Prefill)
}
