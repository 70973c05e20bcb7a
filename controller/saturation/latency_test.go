package saturation

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 dates the samples that need a time.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func line(base, per float64, running ...float64) []LatencySample {
	var out []LatencySample
	for _, r := range running {
		out = append(out, LatencySample{Running: r, ITL: base + per*r})
	}
	return out
}

func TestFitLatencyRecoversTheLine(t *testing.T) {
	m := FitLatency(line(0.010, 0.0002, 5, 10, 20, 30, 40, 50))
	require.True(t, m.Known)
	assert.InDelta(t, 0.010, m.Base, 1e-12)
	assert.InDelta(t, 0.0002, m.PerRequest, 1e-12)
	assert.Equal(t, 6, m.Samples)
	assert.Equal(t, 50.0, m.MaxRunning)
	assert.Contains(t, m.String(), "ITL 10.0ms + 0.200ms per running request (6 samples up to 50 running; within 10% at any load)")
	assert.True(t, math.IsInf(m.Trusted, 1), "exact samples leave the slope no error")

	// Invalid samples are skipped, not fitted.
	bad := append(line(0.010, 0.0002, 5, 10, 20, 30, 40, 50),
		LatencySample{Running: math.NaN(), ITL: 1}, LatencySample{Running: 10, ITL: math.Inf(1)},
		LatencySample{Running: -3, ITL: 0.01}, LatencySample{Running: 10, ITL: 0})
	m2 := FitLatency(bad)
	require.True(t, m2.Known)
	assert.Equal(t, 6, m2.Samples)
	assert.InDelta(t, 0.0002, m2.PerRequest, 1e-12)
}

func TestFitLatencyRefusesWhatDeterminesNoLine(t *testing.T) {
	for name, samples := range map[string][]LatencySample{
		"too few samples": line(0.01, 0.001, 5, 10, 20, 30, 40),
		"no spread":       line(0.01, 0.001, 20, 20, 20, 20, 20, 20, 20),
		"nothing":         nil,
		"too few independent samples": { // one pod every 15 s for a minute: one window and a bit
			{At: t0, Running: 10, ITL: 0.02}, {At: t0.Add(15 * time.Second), Running: 20, ITL: 0.03},
			{At: t0.Add(30 * time.Second), Running: 30, ITL: 0.04}, {At: t0.Add(45 * time.Second), Running: 40, ITL: 0.05},
			{At: t0.Add(60 * time.Second), Running: 50, ITL: 0.06}, {At: t0.Add(75 * time.Second), Running: 60, ITL: 0.07},
		},
	} {
		m := FitLatency(samples)
		assert.False(t, m.Known, name)
		assert.False(t, m.Local, name)
		assert.Contains(t, m.String(), "ITL model unknown", name)
		_, ok := m.runningAt(100 * time.Millisecond)
		assert.False(t, ok, name)
	}
	// Means over a window shorter than their spacing share nothing: the same samples over
	// 10 s windows (a collector's rateWindow) are six independent ones.
	short := []LatencySample{}
	for i := range 6 {
		short = append(short, LatencySample{At: t0.Add(time.Duration(i) * 15 * time.Second), Running: float64(10 * (i + 1)), ITL: 0.01 + 0.001*float64(i+1), Window: 10 * time.Second})
	}
	m := FitLatency(short)
	assert.True(t, m.Known, "%v", m)
	assert.InDelta(t, 6, m.Independent, 1e-9)
	// The reason says what is missing.
	assert.Equal(t, "ITL model unknown (7 samples, 7.0 independent, at 20.0-20.0 running; 6 with a spread of 4 running, 3 independent and a mean ITL known to 10%, needed)",
		FitLatency(line(0.01, 0.001, 20, 20, 20, 20, 20, 20, 20)).String())
	assert.Equal(t, "ITL model unknown (no sample; 6 pod means with a spread of 4 running needed)", FitLatency(nil).String())
}

// Samples at about one load (a pool whose pods all run the same few requests) determine
// the line near them: Local, trusted as far as the standard error of the ITL it predicts
// stays within 10% of it, and no further when it does not even at their mean.
func TestFitLatencyTrustsANarrowLineNearItsSamples(t *testing.T) {
	exact := FitLatency(line(0.01, 0.001, 100, 101, 102, 104, 106, 110))
	assert.False(t, exact.Known, "a spread below 25% of the mean does not extrapolate")
	require.True(t, exact.Local)
	assert.InDelta(t, 0.001, exact.PerRequest, 1e-12)
	assert.True(t, math.IsInf(exact.Trusted, 1), "exact samples leave the slope no error")
	assert.Equal(t, "ITL 10.0ms + 1.000ms per running request near the 6 samples at 100.0-110.0 running (within 10% at any load; a spread of 4 running, and 25% of their mean, needed to extrapolate)", exact.String())

	// Three pods at 23..29 running for five minutes, every 30 s, their ITL scattered by
	// up to 3% around 10 ms + 0.1 ms per request.
	scattered := func(minutes int, share float64) []LatencySample {
		var out []LatencySample
		for c := range minutes * 2 {
			for pod := range 3 {
				r := 23 + float64((c*5+pod*2)%7)
				itl := (0.010 + 0.0001*r) * (1 + share*math.Sin(float64(c*7+pod*3)))
				out = append(out, LatencySample{At: t0.Add(time.Duration(c) * 30 * time.Second), Running: r, ITL: itl})
			}
		}
		return out
	}
	m := FitLatency(scattered(5, 0.03))
	require.True(t, m.Local, "%v", m)
	assert.InDelta(t, 15, m.Independent, 1e-9, "30 samples of 1-minute means taken every 30 s: half are independent")
	assert.Greater(t, m.Trusted, m.MaxRunning, "beyond the samples: %v", m)
	assert.Less(t, m.Trusted, 1000.0, "not at any load: %v", m)
	// At the trust's edge the standard error is 10% of the ITL the line predicts.
	se := standardError(scattered(5, 0.03), m, m.Trusted)
	assert.InDelta(t, 0.1*(m.Base+m.PerRequest*m.Trusted), se, 1e-9)

	more := FitLatency(scattered(20, 0.03))
	assert.Greater(t, more.Trusted, m.Trusted, "more samples, further trust: %v vs %v", more, m)
	noisier := FitLatency(scattered(5, 0.06))
	assert.Less(t, noisier.Trusted, m.Trusted, "more scatter, less trust: %v vs %v", noisier, m)
	assert.Contains(t, m.String(), fmt.Sprintf("within 10%% up to %.0f running", m.Trusted))

	// A scatter that leaves even the mean uncertain trusts nothing.
	wild := []LatencySample{}
	for i, r := range []float64{20, 21, 22, 20, 21, 22} {
		wild = append(wild, LatencySample{Running: r, ITL: []float64{0.005, 0.05, 0.01, 0.08, 0.002, 0.04}[i]})
	}
	w := FitLatency(wild)
	assert.False(t, w.Known || w.Local, "%v", w)
}

// standardError recomputes, independently of FitLatency, the standard error of the ITL
// the fitted line predicts at x: the residual scatter around the line kept, over the
// independent samples.
func standardError(samples []LatencySample, m LatencyModel, x float64) float64 {
	var n, mx float64
	for _, s := range samples {
		n++
		mx += s.Running
	}
	mx /= n
	var sse, sxx float64
	for _, s := range samples {
		r := s.ITL - (m.Base + m.PerRequest*s.Running)
		sse += r * r
		sxx += (s.Running - mx) * (s.Running - mx)
	}
	k := m.Independent / n
	return math.Sqrt(sse/(n-2)) * math.Sqrt(1/m.Independent+(x-mx)*(x-mx)/(sxx*k))
}

// An ITL that does not grow over the observed load (an H100 at a few requests, its growth
// within the measurement noise) is a flat line at the mean: known, and sizing a replica
// as a slope barely above zero does (the objective bounds nothing; the throughput does).
func TestFitLatencyKeepsAFlatLineToTheObservedRange(t *testing.T) {
	for name, samples := range map[string][]LatencySample{
		"flat":                line(0.007, 0, 2, 3, 4, 5, 6, 7),
		"ITL falls with load": line(0.0075, -0.0001, 2, 3, 4, 5, 6, 7),
		"noise around a flat line": {
			{Running: 2, ITL: 0.0071}, {Running: 3, ITL: 0.0069}, {Running: 4, ITL: 0.0072},
			{Running: 5, ITL: 0.0068}, {Running: 6, ITL: 0.0070}, {Running: 7, ITL: 0.0069},
		},
	} {
		m := FitLatency(samples)
		require.True(t, m.Known, name)
		assert.True(t, m.Flat(), name)
		assert.Zero(t, m.PerRequest, name)
		assert.InDelta(t, 0.007, m.Base, 0.0002, "%s: the mean ITL", name)
		assert.Contains(t, m.String(), "ITL flat at 7.0ms (6 samples up to 7 running; within 10% ", name)
		x, ok := m.runningAt(100 * time.Millisecond)
		require.True(t, ok, name)
		assert.True(t, math.IsInf(x, 1), "%s: a flat line never reaches the objective", name)
		_, ok = m.runningAt(8 * time.Millisecond)
		assert.False(t, ok, "%s: the base alone exceeds 80%% of the objective", name)
		c, ok := m.runningAtThroughputShare(0.9, 8, 0)
		require.True(t, ok, name)
		assert.InDelta(t, 7.2, c, 1e-9, "%s: a flat line's rate grows with the running requests", name)
	}
}

// A fit that crosses zero keeps the mean and a non-negative base: one request's step
// time is positive.
func TestFitLatencyClampsANegativeIntercept(t *testing.T) {
	m := FitLatency(line(-0.005, 0.001, 10, 20, 30, 40, 50, 60))
	require.True(t, m.Known)
	assert.Zero(t, m.Base)
	// The mean running is 35 at a mean ITL of 0.030: the line through it from the origin.
	assert.InDelta(t, 0.030/35, m.PerRequest, 1e-12)
}

func TestRunningAtTheObjective(t *testing.T) {
	m := LatencyModel{Known: true, Base: 0.010, PerRequest: 0.0002}
	x, ok := m.runningAt(100 * time.Millisecond)
	require.True(t, ok)
	assert.InDelta(t, (0.8*0.100-0.010)/0.0002, x, 1e-9, "80% of the objective")

	_, ok = m.runningAt(12 * time.Millisecond)
	assert.False(t, ok, "the base alone exceeds 80% of the objective")
	_, ok = m.runningAt(0)
	assert.False(t, ok, "no objective")
}

// The running requests at which a replica serves a share of its saturated rate: by the
// line, the rate c / (Base + PerRequest x c) there is that share of the rate at sat.
func TestRunningAtAThroughputShare(t *testing.T) {
	m := LatencyModel{Known: true, Base: 0.0068, PerRequest: 0.000147}
	rate := func(c float64) float64 { return c / (m.Base + m.PerRequest*c) }
	c, ok := m.runningAtThroughputShare(0.9, 256, 0)
	require.True(t, ok)
	assert.InDelta(t, 0.9*rate(256), rate(c), 1e-9)
	assert.InDelta(t, 148.3, c, 0.1, "an H100-like line: 90%% of the rate at 256 running needs 148")
	assert.Greater(t, rate(0.8*256)/rate(256), 0.96, "80%% of the batch is 96%% of the rate")
	same, ok := m.runningAtThroughputShare(0.9, 256, 200)
	require.True(t, ok)
	assert.InDelta(t, c, same, 1e-9, "without a prefill the output tokens cancel")

	// A long prompt's prefill is time in the replica that no output token shares: the
	// rate at c running is c / (Prefill + (out-1) x the ITL there). An L40S-like line
	// under 12k-token prompts: 2.5 s of prefill, 120 output tokens.
	p := LatencyModel{Known: true, Base: 0.003, PerRequest: 0.022, Prefill: 2.5}
	prate := func(c float64) float64 { return c / p.InSystem(c, 120) }
	pc, ok := p.runningAtThroughputShare(0.5, 15, 120)
	require.True(t, ok)
	assert.InDelta(t, 0.5*prate(15), prate(pc), 1e-9)
	p.Prefill = 0
	nc, ok := p.runningAtThroughputShare(0.5, 15, 120)
	require.True(t, ok)
	assert.Greater(t, pc, 4*nc, "half the rate takes more running requests when each first spends its prefill: %.2f vs %.2f", pc, nc)

	for _, bad := range []LatencyModel{{}, {Known: true, PerRequest: 0.001}, {Known: true, Base: 0.01, PerRequest: -0.001}} {
		_, ok := bad.runningAtThroughputShare(0.9, 256, 200)
		assert.False(t, ok, "%+v", bad)
	}
	_, ok = m.runningAtThroughputShare(0, 256, 200)
	assert.False(t, ok)
	_, ok = m.runningAtThroughputShare(0.9, 0, 200)
	assert.False(t, ok)
}

// A request spends its prefill in the replica, then its other output tokens at the line's
// ITL; without a measured prefill one ITL stands in for it.
func TestInSystemCountsThePrefill(t *testing.T) {
	m := LatencyModel{Known: true, Base: 0.010, PerRequest: 0.001, Prefill: 2}
	assert.InDelta(t, 2+100*0.020, m.InSystem(10, 101), 1e-9)
	assert.InDelta(t, 2, m.InSystem(10, 1), 1e-9, "one token: the prefill alone")
	assert.Zero(t, m.InSystem(10, 0), "no output length: unknown")
	m.Prefill = 0
	assert.InDelta(t, 101*0.020, m.InSystem(10, 101), 1e-9)
	m.Prefill = math.NaN()
	assert.InDelta(t, 101*0.020, m.InSystem(10, 101), 1e-9, "an unknown prefill is not counted")
}

// With sloITL and a fitted line, the objective sizes the replica, up to the running
// requests that serve 90% of the rate at its saturation concurrency (80% of it when the
// line has no base); without a line the conservative target stands.
func TestConcurrencyByLatency(t *testing.T) {
	in := ModelInput{Variants: []VariantInput{
		{VariantState: VariantState{Name: "fitted", Current: 1}, SaturationConcurrency: 200, Latency: LatencyModel{Known: true, Base: 0.040, PerRequest: 0.0005}},
		{VariantState: VariantState{Name: "capped", Current: 1}, Latency: LatencyModel{Known: true, Base: 0.005, PerRequest: 0.0001}},
		{VariantState: VariantState{Name: "unfitted", Current: 1}, SaturationConcurrency: 200},
		{VariantState: VariantState{Name: "unreachable", Current: 1}, SaturationConcurrency: 200, Latency: LatencyModel{Known: true, Base: 0.2, PerRequest: 0.001}},
		{VariantState: VariantState{Name: "baseless", Current: 1}, SaturationConcurrency: 200, Latency: LatencyModel{Known: true, PerRequest: 0.0003}},
		{VariantState: VariantState{Name: "flat", Current: 1}, SaturationConcurrency: 8, Latency: LatencyModel{Known: true, Base: 0.007, Samples: 12, MaxRunning: 6}},
		{VariantState: VariantState{Name: "barely rising", Current: 1}, SaturationConcurrency: 8, Latency: LatencyModel{Known: true, Base: 0.007, PerRequest: 1e-7, Samples: 12, MaxRunning: 6}},
	}}
	in.Capacity.SLOITL = 100 * time.Millisecond
	m := buildConcurrency(in, nil, false)
	assert.InDelta(t, (0.08-0.040)/0.0005, m.capacity[0], 1e-9, "80 running reach 80%% of 100ms (90%% of the rate at 200 needs 144)")
	assert.Contains(t, m.source[0], "80% of sloITL 100ms at 80.0 running")
	capped, _ := in.Variants[1].Latency.runningAtThroughputShare(throughputCeiling, PriorSaturationConcurrency, in.Load.MeanOutputTokens)
	assert.InDelta(t, capped, m.capacity[1], 1e-9, "750 running would reach the objective: 90%% of the rate at vLLM's default batch limit")
	assert.InDelta(t, 152.4, m.capacity[1], 0.1)
	assert.Contains(t, m.source[1], "90% of the throughput at vLLM's default --max-num-seqs 256")
	assert.True(t, m.learned[1])
	assert.InDelta(t, 0.15*200, m.capacity[2], 1e-9, "no line: the conservative target")
	assert.InDelta(t, 0.15*200, m.capacity[3], 1e-9)
	assert.Contains(t, m.source[3], "not reachable")
	assert.InDelta(t, 0.8*200, m.capacity[4], 1e-9, "no base, no throughput ceiling: 80%% of the saturation")
	assert.InDelta(t, 0.9*8, m.capacity[5], 1e-9, "a flat line: 90%% of the saturated rate, where the ITL bounds nothing")
	assert.Contains(t, m.source[5], "90% of the throughput at saturation at 8 running by the fitted ITL flat at 7.0ms (12 samples up to 6 running; within 10% at any load)")
	assert.True(t, m.bySLO[5])
	assert.InDelta(t, m.capacity[6], m.capacity[5], 1e-3, "a flat line and a slope barely above zero size a replica alike")

	in.Capacity.SLOITL = 0
	m = buildConcurrency(in, nil, false)
	assert.InDelta(t, 0.15*200, m.capacity[0], 1e-9, "no objective: the line sizes nothing")
}
