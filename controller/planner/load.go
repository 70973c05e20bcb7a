package planner

import (
	"math"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// What the planner remembers to forecast a model's load: its recent arrival rates (for the
// trend) and how long its variants' new replicas took to become ready (the lead time).

const (
	// trendWindow is the span of arrival rates the trend is fitted on.
	trendWindow = 3 * time.Minute
	// trendMinSpan: fewer cycles than this span give no trend.
	trendMinSpan = 45 * time.Second
	// recentTrendWindow is the span of the latest arrival rates whose slope bounds the
	// trend: a rise that has stopped within it is not extrapolated.
	recentTrendWindow = time.Minute
	// DefaultStartup is the start-up time assumed until a new replica of the model was
	// seen becoming ready and while no ready pod's start-up is known.
	DefaultStartup = 60 * time.Second
	// rateLag is how far behind the measured rates are: half the 1-minute rate window.
	rateLag = 30 * time.Second
	// maxCycleGap bounds the cycle gap counted into the lead time.
	maxCycleGap = 2 * time.Minute
)

type rateSample struct {
	at   time.Time
	rate float64
}

// observeStartup notes when a variant's replicas start pending and, once none is pending
// any more, how long they took; prev is the previous cycle's time (when the scale-up that
// made them was decided), zero on first sight. A scale-up decided while earlier replicas
// are still starting restarts the clock: the time from the first of overlapping scale-ups
// to the last ready replica is no replica's start-up (spike's surge, asked for at three
// cycles in a row, measured 2m30s for start-ups of 40-60 s, and every burst after it was
// then forecast 3m30s ahead).
func (m *variantMemory) observeStartup(now, prev time.Time, v saturation.VariantState) {
	switch {
	case v.Starting() > 0 && (m.pendingSince.IsZero() || v.Current > m.pendingCurrent):
		m.pendingSince = now
		if !prev.IsZero() && prev.Before(now) {
			m.pendingSince = prev
		}
		m.pendingCurrent = v.Current
	case v.Pending() == 0 && !m.pendingSince.IsZero():
		m.startup = now.Sub(m.pendingSince)
		m.pendingSince = time.Time{}
	}
}

// load folds this cycle's rates into the model's memory and returns the load the
// analyzer sizes for.
func (p *Planner) load(now, prev time.Time, mem *modelMemory, mm *collector.ModelMetrics, vs []saturation.VariantState, rateWindow time.Duration) saturation.Load {
	l := saturation.Load{MeanOutputTokens: mm.MeanOutputTokens}
	// The start-up the planner saw its own scale-ups take (from the decision: actuation
	// included), else the one the cluster recorded for the variants' ready pods (creation
	// to readiness: a controller started or restarted next to running pods knows it from
	// its first cycle), else DefaultStartup.
	var startup, podStartup time.Duration
	for _, v := range vs {
		if m := p.variants[variantKey{v.Namespace, v.Name}]; m != nil && m.startup > startup {
			startup = m.startup
		}
		podStartup = max(podStartup, v.Startup)
	}
	if startup == 0 {
		startup = podStartup
	}
	if startup <= 0 {
		startup = DefaultStartup
	}
	gap := time.Duration(0)
	if !prev.IsZero() && prev.Before(now) {
		gap = min(now.Sub(prev), maxCycleGap)
	}
	l.Lead = startup + gap + rateLag
	if !finite(mm.CompletionRate) || mm.CompletionRate < 0 {
		return l
	}
	growth := mm.InFlightGrowth
	if finite(growth) && finite(mm.InFlightChange) && p.youngPods(now, vs, rateWindow) {
		// A pod ready for less than the rate window has a series shorter than it: the slope
		// fitted on it reads the pod filling from the router's queue as arrivals (trace-azure
		// t=480: 38.9 req/s where ~24 arrived). The in-flight change summed over the pods
		// counts the new pod from zero over the whole window; the growth is not taken above
		// it.
		growth = math.Min(growth, mm.InFlightChange)
	}
	if !finite(growth) {
		growth = 0
	}
	l.Known = true
	l.CompletionRate = mm.CompletionRate
	l.ArrivalRate = math.Max(mm.CompletionRate+growth, 0)

	keep := mem.arrivals[:0]
	for _, s := range mem.arrivals {
		if now.Sub(s.at) <= trendWindow && s.at.Before(now) {
			keep = append(keep, s)
		}
	}
	mem.arrivals = append(keep, rateSample{now, l.ArrivalRate})
	if level, ok := step(mem.arrivals, now, rateWindow); ok {
		l.Step = level
		return l
	}
	l.Trend = trend(mem.arrivals, now)
	return l
}

// Step detection: how far the flat level and the rise must stand out of the rate's
// noise, in standard errors.
const (
	stepFlatSE = 2.0
	stepRiseSE = 3.0
)

// step tells whether the arrival rates hold a step up within the last rate window: a
// level held flat before the window (samples at least a window old whose fitted slope is
// within stepFlatSE standard errors of none, each sample taken as a Poisson count over the
// window) and a rise from it that stands out by stepRiseSE standard errors. A rate
// measured over a window spreads a step over the window's length, as a ramp: half-way
// through it the rate reads half the rise (spike at 30 s cycles: 9.7, 25.8, 52.0 req/s
// for a step from 10 to 50). The level is the rise scaled by the window over the time since the last
// sample still at the flat level (at most the window), which a step reached at once, and
// the trend is not extrapolated from it: the three-minute fit kept the step's slope and
// forecast 74 req/s two minutes ahead, replicas the scale-down window then held for five
// minutes.
func step(ss []rateSample, now time.Time, window time.Duration) (level float64, ok bool) {
	w := window.Seconds()
	if len(ss) < 3 || !(w > 0) {
		return 0, false
	}
	var older []rateSample
	for _, s := range ss {
		if now.Sub(s.at) >= window {
			older = append(older, s)
		}
	}
	n := len(older)
	if n < 2 {
		return 0, false
	}
	base := 0.0
	for _, s := range older {
		base += s.rate / float64(n)
	}
	se := math.Sqrt(math.Max(base, 0) / w)
	if flat, sxx := fit(older); !(sxx > 0) || math.Abs(flat) > stepFlatSE*se/math.Sqrt(sxx) {
		return 0, false
	}
	last := ss[len(ss)-1]
	rise := last.rate - base
	if !(rise > stepRiseSE*math.Sqrt((last.rate+base)/w)) {
		return 0, false
	}
	flatUntil := older[n-1].at
	for _, s := range ss[n:] {
		if math.Abs(s.rate-base) > stepFlatSE*se {
			break
		}
		flatUntil = s.at
	}
	since := math.Min(now.Sub(flatUntil).Seconds(), w)
	if !(since > 0) {
		return 0, false
	}
	return base + rise*w/since, true
}

// trend is the arrival rates' slope over the trend window where step finds no step,
// bounded above by their slope over the last recentTrendWindow when that holds three
// samples or more, and by the rise of the last interval. A rate measured over a window
// turns a step into a ramp as long as the window, and the three-minute fit keeps the
// ramp's slope after the rate has levelled off: spike's step from 10 to 50 req/s read
// +0.16 to +0.24 req/s per s for two minutes after it, extrapolated over the lead time to
// 72-76 req/s, replicas the scale-down window then held for five minutes. A ramp rises in
// its last minute, and in its last interval, as in the three minutes before, so it keeps
// its slope; a step that has levelled off, or a ramp that has stopped, drops it as soon
// as an interval no longer rises (at 30 s cycles the minute's fit still holds the sample
// half-way up the step: spike read 25.8, 52.0 and 53.0 req/s, +0.45 req/s per s over the
// minute, +0.04 over the last interval).
func trend(ss []rateSample, now time.Time) float64 {
	long := slope(ss)
	var recent []rateSample
	for _, s := range ss {
		if now.Sub(s.at) <= recentTrendWindow {
			recent = append(recent, s)
		}
	}
	if len(recent) < 3 {
		return long
	}
	last := math.Max(fitSlope(recent[len(recent)-2:]), 0)
	return math.Min(long, math.Min(fitSlope(recent), last))
}

// slope is the least-squares slope of the samples (per second); 0 when they span less
// than trendMinSpan.
func slope(ss []rateSample) float64 {
	if len(ss) < 3 || ss[len(ss)-1].at.Sub(ss[0].at) < trendMinSpan {
		return 0
	}
	return fitSlope(ss)
}

// fitSlope is the least-squares slope of the samples (per second); 0 when their times do
// not differ.
func fitSlope(ss []rateSample) float64 {
	slope, _ := fit(ss)
	return slope
}

// fit is the samples' least-squares slope (per second; 0 when their times do not differ)
// and the sum of their squared time offsets from the mean time (s²), over which a
// sample's variance gives the slope's.
func fit(ss []rateSample) (slope, sxx float64) {
	if len(ss) < 2 {
		return 0, 0
	}
	var st, sr float64
	for _, s := range ss {
		st += s.at.Sub(ss[0].at).Seconds()
		sr += s.rate
	}
	n := float64(len(ss))
	mt, mr := st/n, sr/n
	var num float64
	for _, s := range ss {
		dt := s.at.Sub(ss[0].at).Seconds() - mt
		num += dt * (s.rate - mr)
		sxx += dt * dt
	}
	if sxx <= 0 || !finite(num/sxx) {
		return 0, sxx
	}
	return num / sxx, sxx
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// youngPods tells whether a ready pod of the model was first seen ready within the rate
// window (the planner's memory; pods are remembered only when the caller names them).
func (p *Planner) youngPods(now time.Time, vs []saturation.VariantState, window time.Duration) bool {
	for _, v := range vs {
		m := p.variants[variantKey{v.Namespace, v.Name}]
		if m == nil {
			continue
		}
		for _, since := range m.readySince {
			if now.Sub(since) < window {
				return true
			}
		}
	}
	return false
}
