package planner

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

func TestSlope(t *testing.T) {
	var ss []rateSample
	for i := range 7 {
		at := t0.Add(time.Duration(i) * 30 * time.Second)
		ss = append(ss, rateSample{at, 2 + 0.05*float64(i*30)})
	}
	assert.InDelta(t, 0.05, slope(ss), 1e-12)
	assert.Zero(t, slope(ss[:2]), "fewer than three samples")
	assert.Zero(t, slope([]rateSample{{t0, 1}, {t0.Add(15 * time.Second), 5}, {t0.Add(30 * time.Second), 9}}), "spanning under 45s")
	same := []rateSample{{t0, 1}, {t0, 2}, {t0, 3}}
	assert.Zero(t, slope(same))
}

// A ramp keeps its slope; a step, once the rate has levelled off, is not extrapolated
// although the three-minute fit still rises; a rise that has just begun keeps the
// three-minute slope, the lesser.
func TestTrendStopsWhenTheRateLevelsOff(t *testing.T) {
	series := func(rates ...float64) ([]rateSample, time.Time) { return ratesEvery(15*time.Second, rates...) }
	var ramp []float64
	for i := range 13 {
		ramp = append(ramp, 10+0.02*float64(i*15))
	}
	ss, now := series(ramp...)
	assert.InDelta(t, 0.02, trend(ss, now), 1e-9, "a ramp keeps its slope")

	// 10 req/s, a one-minute rate window crossing a step to 50, then level for a minute.
	ss, now = series(10, 10, 10, 10, 10, 20, 30, 40, 50, 50, 50, 50, 50)
	require.Greater(t, slope(ss), 0.1, "the three-minute fit still rises")
	assert.InDelta(t, 0, trend(ss, now), 1e-9, "a levelled-off step is not extrapolated")

	// While the rate still rises, the lesser of the two slopes.
	ss, now = series(10, 10, 10, 10, 10, 10, 10, 10, 10, 20, 30, 40, 50)
	assert.InDelta(t, slope(ss), trend(ss, now), 1e-9)
	assert.Less(t, slope(ss), fitSlope(ss[len(ss)-5:]))

	// At 30 s cycles the minute's fit still holds the sample half-way up the step (spike:
	// 25.8, 52.0, 53.0 req/s): the last interval's rise bounds it.
	cycles, now := ratesEvery(30*time.Second, 10, 10, 10, 10, 10, 10, 25.8, 52, 53)
	require.Greater(t, fitSlope(cycles[len(cycles)-3:]), 0.4, "the minute's fit still rises")
	assert.InDelta(t, 1.0/30, trend(cycles, now), 1e-9, "the last interval's rise")

	// A falling rate: the trend is negative (the analyzer extrapolates only a rise).
	ss, now = series(50, 50, 50, 50, 40, 30, 20, 10, 10)
	assert.Negative(t, trend(ss, now))

	// Fewer than three samples in the last minute (cycles a minute apart): the long fit.
	ss = []rateSample{{t0, 10}, {t0.Add(time.Minute), 11}, {t0.Add(2 * time.Minute), 12}}
	assert.InDelta(t, 1.0/60, trend(ss, t0.Add(2*time.Minute)), 1e-9)
}

// The lead time is what the model's replicas took to start, measured from the cycle that
// asked for them to the first cycle with none pending.
func TestObserveStartup(t *testing.T) {
	var m variantMemory
	v := saturation.VariantState{Current: 3, Ready: 1}
	m.observeStartup(t0.Add(30*time.Second), t0, v)
	assert.Equal(t, t0, m.pendingSince, "asked for at the previous cycle")
	m.observeStartup(t0.Add(60*time.Second), t0.Add(30*time.Second), v)
	assert.Equal(t, t0, m.pendingSince, "still the same start-up")
	v.Ready = 3
	m.observeStartup(t0.Add(150*time.Second), t0.Add(120*time.Second), v)
	assert.Equal(t, 150*time.Second, m.startup)
	assert.True(t, m.pendingSince.IsZero())

	// A scale-up decided while others start times the start-up from it: asked for 3 at
	// t0, 7 at 60 s, all ready at 150 s: 90 s, not 150.
	var overlap variantMemory
	overlap.observeStartup(t0.Add(30*time.Second), t0, saturation.VariantState{Current: 3, Ready: 1})
	overlap.observeStartup(t0.Add(60*time.Second), t0.Add(30*time.Second), saturation.VariantState{Current: 3, Ready: 2})
	overlap.observeStartup(t0.Add(90*time.Second), t0.Add(60*time.Second), saturation.VariantState{Current: 7, Ready: 2})
	assert.Equal(t, t0.Add(60*time.Second), overlap.pendingSince, "the scale-up to 7")
	overlap.observeStartup(t0.Add(120*time.Second), t0.Add(90*time.Second), saturation.VariantState{Current: 6, Ready: 5})
	assert.Equal(t, t0.Add(60*time.Second), overlap.pendingSince, "a scale-down is no new start-up")
	overlap.observeStartup(t0.Add(150*time.Second), t0.Add(120*time.Second), saturation.VariantState{Current: 6, Ready: 6})
	assert.Equal(t, 90*time.Second, overlap.startup)

	// A stuck replica is not starting: no start-up is timed for it.
	var stuck variantMemory
	stuck.observeStartup(t0, time.Time{}, saturation.VariantState{Current: 2, Ready: 1, Stuck: 1})
	assert.True(t, stuck.pendingSince.IsZero())
}

func TestLoadForecastInputs(t *testing.T) {
	p := NewPlanner(Options{})
	vs := []saturation.VariantState{{Name: "a", Namespace: "ns", Current: 2, Ready: 2}}
	var mem modelMemory
	mm := &collector.ModelMetrics{CompletionRate: math.NaN(), InFlightGrowth: math.NaN(), MeanOutputTokens: 180}

	l := p.load(t0, time.Time{}, &mem, mm, vs, time.Minute)
	assert.False(t, l.Known, "no completion rate: no forecast")
	assert.Equal(t, DefaultStartup+rateLag, l.Lead, "no start-up seen, no previous cycle")
	assert.Equal(t, 180.0, l.MeanOutputTokens)

	// Arrivals are completions plus the growth of the requests in flight; rising over
	// three minutes of cycles gives a trend.
	var last saturation.Load
	for i := range 7 {
		now := t0.Add(time.Duration(i) * 30 * time.Second)
		mm.CompletionRate = 4 + 0.01*float64(i*30)
		mm.InFlightGrowth = 0.5
		last = p.load(now, now.Add(-30*time.Second), &mem, mm, vs, time.Minute)
	}
	require.True(t, last.Known)
	assert.InDelta(t, 4+0.01*180+0.5, last.ArrivalRate, 1e-9)
	assert.InDelta(t, 0.01, last.Trend, 1e-9)
	assert.Equal(t, DefaultStartup+30*time.Second+rateLag, last.Lead, "start-up + the cycle gap + the rate lag")
	assert.LessOrEqual(t, len(mem.arrivals), 7, "only the trend window is kept")

	// Draining faster than anything completes never reads as negative arrivals.
	mm.CompletionRate, mm.InFlightGrowth = 1, -3
	l = p.load(t0.Add(10*time.Minute), t0.Add(9*time.Minute+30*time.Second), &mem, mm, vs, time.Minute)
	assert.Zero(t, l.ArrivalRate)

	// Before the planner saw a scale-up of its own, the start-up the cluster recorded for
	// the variants' ready pods sets the lead (the slowest variant's).
	pods := []saturation.VariantState{{Name: "a", Namespace: "ns", Current: 2, Ready: 2, Startup: 40 * time.Second},
		{Name: "b", Namespace: "ns", Current: 1, Ready: 1, Startup: 70 * time.Second}}
	l = p.load(t0.Add(10*time.Minute+30*time.Second), t0.Add(10*time.Minute), &mem, mm, pods, time.Minute)
	assert.Equal(t, 70*time.Second+30*time.Second+rateLag, l.Lead)

	// The observed start-up of the model's slowest variant sets the lead.
	p.variants[variantKey{"ns", "a"}] = &variantMemory{startup: 4 * time.Minute}
	l = p.load(t0.Add(11*time.Minute), t0.Add(10*time.Minute+30*time.Second), &mem, mm, vs, time.Minute)
	assert.Equal(t, 4*time.Minute+30*time.Second+rateLag, l.Lead)
	l = p.load(t0.Add(11*time.Minute+30*time.Second), t0.Add(11*time.Minute), &mem, mm, pods, time.Minute)
	assert.Equal(t, 4*time.Minute+30*time.Second+rateLag, l.Lead, "a scale-up it saw (actuation included) before the pods' record")
}

// A pod ready for less than the rate window: the growth is not taken above the in-flight
// change summed over the pods (the slope fitted on the pod's short series overstates its
// fill); once every pod is older than the window, the fitted growth stands.
func TestLoadDoesNotReadANewPodsFillAsArrivals(t *testing.T) {
	p := NewPlanner(Options{})
	vs := []saturation.VariantState{{Name: "a", Namespace: "ns", Current: 2, Ready: 2, Pods: []string{"a-1", "a-2"}}}
	m := p.variantMem(t0, vs[0])
	m.seeReady(t0.Add(-time.Hour), []string{"a-1"})
	m.seeReady(t0.Add(-20*time.Second), []string{"a-1", "a-2"})
	var mem modelMemory
	mm := &collector.ModelMetrics{CompletionRate: 10, InFlightGrowth: 6, InFlightChange: 2, MeanOutputTokens: 180}
	l := p.load(t0, time.Time{}, &mem, mm, vs, time.Minute)
	assert.InDelta(t, 12, l.ArrivalRate, 1e-9, "a-2 became ready 20 s ago: 10 completed + the summed change 2")

	mm.InFlightChange = 9
	l = p.load(t0, time.Time{}, &mem, mm, vs, time.Minute)
	assert.InDelta(t, 16, l.ArrivalRate, 1e-9, "the change is a ceiling, not a replacement")

	mm.InFlightChange = 2
	l = p.load(t0.Add(time.Minute), time.Time{}, &mem, mm, vs, time.Minute)
	assert.InDelta(t, 16, l.ArrivalRate, 1e-9, "every pod older than the window: the fitted growth")
}

// The forecast and latency queries are optional: their failure leaves the model decided
// on the requests in flight, never held.
func TestOptionalQueryFailuresDoNotHold(t *testing.T) {
	for _, q := range []string{collector.QueryCompletionRate, collector.QueryInFlightGrowth, collector.QueryOutputTokens, collector.QueryITL, collector.QueryMeanRunning, collector.QueryGenerated, collector.QueryInFlightChange} {
		s := newSnap(t0).pods("ns", "m", "a", repeat(podLoad{0.2, 0}, 2)...).build()
		s.Failed[q] = errors.New("bad_data")
		d := NewPlanner(Options{}).Decide(t0, s, []saturation.VariantState{state("a", 10, 2, 2)}, config.Default())[0]
		assert.True(t, d.MetricsAvailable, "%s: %s", q, d.MetricsMessage)
	}
}

// The latency samples of a variant's pods: kept for half an hour, only from pods that ran
// requests; the last fitted line outlives samples that lost their spread.
func TestObserveLatency(t *testing.T) {
	var m variantMemory
	pods := func(running ...float64) []saturation.ReplicaMetrics {
		var out []saturation.ReplicaMetrics
		for _, r := range running {
			out = append(out, saturation.ReplicaMetrics{MeanRunning: r, MeanITL: 0.01 + 0.0002*r})
		}
		return out
	}
	fit := m.observeLatency(t0, pods(5, 10, 20, 30, 40, 50, 0.5, math.NaN()), 0)
	require.True(t, fit.Known)
	assert.Equal(t, 6, fit.Samples, "pods under one running request and unknown means are skipped")
	assert.InDelta(t, 0.0002, fit.PerRequest, 1e-12)

	// An hour later the old samples are gone; ten pods at the same load fit no line, and
	// the previous one stands.
	later := m.observeLatency(t0.Add(time.Hour), pods(20, 20, 20, 20, 20, 20, 20, 20, 20, 20), 0)
	assert.Equal(t, fit, later)
	assert.Len(t, m.latency, 10)
}

// A pod seen becoming ready less than the means' window ago gives no latency sample (its
// means cover only the burst of prefills it started with); one ready when the planner
// first watched the variant does, and so does the young pod once the window has passed.
func TestObserveLatencySkipsPodsReadyWithinTheWindow(t *testing.T) {
	var m variantMemory
	sample := func(pod string, running, itl float64) saturation.ReplicaMetrics {
		return saturation.ReplicaMetrics{Pod: pod, MeanRunning: running, MeanITL: itl}
	}
	m.seeReady(t0, []string{"old"})
	m.observeLatency(t0, []saturation.ReplicaMetrics{sample("old", 20, 0.014)}, time.Minute)
	require.Len(t, m.latency, 1, "a pod ready before the planner watched is not young")

	at := t0.Add(30 * time.Second)
	m.seeReady(at, []string{"old", "new"})
	m.observeLatency(at, []saturation.ReplicaMetrics{sample("old", 40, 0.018), sample("new", 156, 0.207)}, time.Minute)
	require.Len(t, m.latency, 2, "the pod first seen ready now gives no sample")
	for _, s := range m.latency {
		assert.Less(t, s.ITL, 0.1, "only the old pod's samples: %+v", s)
	}

	at = at.Add(59 * time.Second)
	m.seeReady(at, []string{"old", "new"})
	m.observeLatency(at, []saturation.ReplicaMetrics{sample("new", 60, 0.022)}, time.Minute)
	assert.Len(t, m.latency, 2, "still within the window")

	at = at.Add(time.Second)
	m.seeReady(at, []string{"old", "new"})
	m.observeLatency(at, []saturation.ReplicaMetrics{sample("new", 60, 0.022)}, time.Minute)
	assert.Len(t, m.latency, 3, "a full window after it became ready the pod gives samples")

	at = at.Add(30 * time.Second)
	m.seeReady(at, []string{"old", "new", "newer"})
	m.observeLatency(at, []saturation.ReplicaMetrics{sample("newer", 150, 0.2)}, 0)
	assert.Len(t, m.latency, 3, "window 0 is the collector's default minute")
}

// A rate measured over a window spreads a step over the window: the level it stepped to
// is read from the rise since the last sample at the flat level, scaled by the window, and
// the trend is not extrapolated from it. A ramp, a rise within the rate's noise, a level
// that was not flat before, and a fall are no step.
func TestStepWithinTheRateWindow(t *testing.T) {
	cycles := func(rates ...float64) ([]rateSample, time.Time) { return ratesEvery(30*time.Second, rates...) }
	// spike at 30 s cycles: 10 req/s, then a step to 50 the one-minute window reads half
	// of 30 s later. The level is the samples a window old or older (10); 9.7 is still at
	// it, 30 s ago: the rise is doubled.
	ss, now := cycles(10, 10, 10, 10, 9.7, 25.8)
	level, ok := step(ss, now, time.Minute)
	require.True(t, ok)
	assert.InDelta(t, 10+(25.8-10)*2, level, 1e-9)
	// A window later the rate has it all; the half-way sample is not at the flat level.
	ss, now = cycles(10, 10, 10, 10, 9.7, 25.8, 52)
	level, ok = step(ss, now, time.Minute)
	require.True(t, ok)
	assert.InDelta(t, 52, level, 0.1)

	// The flat level's own noise (spike, seed 55: five samples whose fit rises 0.84 req/s
	// over two minutes, 1.6 standard errors of a fitted slope) hides no step.
	ss, now = cycles(9.84, 9.65, 10.26, 10.76, 10.33, 31.49, 49.34)
	level, ok = step(ss, now, time.Minute)
	require.True(t, ok)
	assert.InDelta(t, 49.34, level, 1e-9)

	for name, rates := range map[string][]float64{
		"a ramp":                       {10, 11, 12, 13, 14, 15, 16},
		"a rise within the rate noise": {10, 10, 10, 10, 10, 11.2},
		"no flat level before it":      {10, 14, 10, 14, 10, 30},
		"a fall":                       {50, 50, 50, 50, 40, 30},
		"under a window of samples":    {10, 30},
	} {
		ss, now := cycles(rates...)
		_, ok := step(ss, now, time.Minute)
		assert.False(t, ok, name)
	}

	// Through load: the step sets Load.Step and no trend.
	p := NewPlanner(Options{})
	vs := []saturation.VariantState{{Name: "a", Namespace: "ns", Current: 1, Ready: 1}}
	var mem modelMemory
	mm := &collector.ModelMetrics{MeanOutputTokens: 200}
	var l saturation.Load
	for i, r := range []float64{10, 10, 10, 10, 9.7, 25.8} {
		now := t0.Add(time.Duration(i) * 30 * time.Second)
		mm.CompletionRate, mm.InFlightGrowth = r, 0
		l = p.load(now, now.Add(-30*time.Second), &mem, mm, vs, time.Minute)
	}
	assert.InDelta(t, 25.8, l.ArrivalRate, 1e-9)
	assert.InDelta(t, 41.6, l.Step, 1e-9)
	assert.Zero(t, l.Trend)
}

// ratesEvery returns the rates as samples every d from t0, and the last one's time.
func ratesEvery(d time.Duration, rates ...float64) ([]rateSample, time.Time) {
	ss := make([]rateSample, len(rates))
	for i, r := range rates {
		ss[i] = rateSample{t0.Add(time.Duration(i) * d), r}
	}
	return ss, ss[len(ss)-1].at
}
