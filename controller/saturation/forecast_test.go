package saturation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Four H100-like replicas, 40 running each, saturation 256, KV light: the concurrency
// target (15% of 256 = 38.4 per replica) is about met today.
func rampPool() ModelInput {
	v := withSaturation(withRunning(variant("h100", 100, 0, uniform(4, pod{0.1, 0, 400000})...), 36), 256)
	return model(500, v)
}

// The load forecast grows the requests in flight by Little's law: what arrives when a
// replica asked for now is ready, not what runs now.
func TestCapacitySizesForTheForecastRate(t *testing.T) {
	c := Capacity{}
	base := c.Analyze(rampPool())
	require.Equal(t, map[string]int{"h100": 4}, targets(base), base.Reason)

	// Arrivals 12 req/s, completions 8 and rising by 0.02 req/s per s: in 90 s, 13.8 req/s,
	// 1.725x today's completions: 144 running x 1.725 = 248 -> 7 replicas at 38.4.
	in := rampPool()
	in.Load = Load{Known: true, CompletionRate: 8, ArrivalRate: 12, Trend: 0.02, Lead: 90 * time.Second}
	r := c.Analyze(in)
	assert.Equal(t, map[string]int{"h100": 7}, targets(r), r.Reason)
	assert.Contains(t, r.Reason, "arrivals 12.00 req/s (8.00 completed, trend +0.020 req/s per s), forecast 13.80 req/s in 1m30s")
	assert.InDelta(t, 1.725, r.Inputs["growth"], 1e-9)
	assert.InDelta(t, 13.8, r.Inputs["forecastRate"], 1e-9)

	// A falling trend does not lower the forecast below the arrivals, and no growth sizes
	// below the requests in flight.
	in.Load = Load{Known: true, CompletionRate: 8, ArrivalRate: 6, Trend: -0.1, Lead: 90 * time.Second}
	r = c.Analyze(in)
	assert.InDelta(t, 1, r.Inputs["growth"], 1e-9)

	// Too few completions to trust the rates: sized on the requests in flight.
	in.Load = Load{Known: true, CompletionRate: 0.1, ArrivalRate: 5, Lead: 90 * time.Second}
	r = c.Analyze(in)
	assert.Equal(t, map[string]int{"h100": 4}, targets(r), r.Reason)

	// A burst measured over one minute grows the pool at most 8x in one decision.
	in.Load = Load{Known: true, CompletionRate: 1, ArrivalRate: 100, Lead: 90 * time.Second}
	r = c.Analyze(in)
	assert.InDelta(t, maxGrowth, r.Inputs["growth"], 1e-9)
}

// With the ITL line and the mean output length, the time in system is the one at the
// operating point (output tokens x ITL at the per-replica target), not the one an
// overloaded pool shows now.
func TestCapacityResidenceAtTheTarget(t *testing.T) {
	in := rampPool()
	in.Variants[0].Latency = LatencyModel{Known: true, Base: 0.006, PerRequest: 0.0001}
	in.Capacity.SLOITL = 50 * time.Millisecond
	// 80% of 50ms at 6 + 0.1 x running: 340 running; capped at 80% of 256 = 204.8.
	in.Load = Load{Known: true, CompletionRate: 8, ArrivalRate: 10, Lead: time.Minute, MeanOutputTokens: 200}
	r := Capacity{}.Analyze(in)
	// ITL at 204.8 running: 26.48 ms; x 200 tokens = 5.296 s in system; 10 req/s x 5.296 s
	// = 53 in flight: fewer than the 144 running, so growth stays 1 and 144 / 204.8 -> 1.
	assert.InDelta(t, 5.296, r.Inputs["residenceSeconds"], 1e-9)
	assert.InDelta(t, 1, r.Inputs["growth"], 1e-9)
	assert.Contains(t, r.Reason, "x 5.3s in system at the target ITL (200 output tokens)")
}
