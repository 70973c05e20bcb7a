package saturation

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErlangCKnownValues(t *testing.T) {
	// One server: an arrival waits with probability ρ.
	assert.InDelta(t, 0.7, erlangC(1, 0.7), 1e-12)
	// M/M/2 at a = 1: (1/2 x 2) / (1 + 1 + 1) = 1/3.
	assert.InDelta(t, 1.0/3, erlangC(2, 1), 1e-12)
	// M/M/10 at a = 8: the textbook 0.409.
	assert.InDelta(t, 0.409, erlangC(10, 8), 0.001)
	assert.Equal(t, 1.0, erlangC(4, 4), "a full queue always waits")
	assert.Zero(t, erlangC(0, 1))
	assert.Zero(t, erlangC(4, 0))
	// Large c stays finite and below the same utilisation with fewer servers.
	big := erlangC(256, 0.95*256)
	require.Greater(t, big, 0.0)
	assert.Less(t, big, erlangC(16, 0.95*16))
}

func TestUtilisationKeepsTheWaitsUnderTheBudget(t *testing.T) {
	// 256 slots at 28 req/s with a 5 s TTFT objective: the cap.
	rho, ok := utilisationFor(256, 28, 5*time.Second)
	require.True(t, ok)
	assert.InDelta(t, maxUtilisation, rho, 1e-9)

	// 256 slots at 16 req/s, 2 s: the budget binds; at the utilisation found, the share of
	// waits past 80% of the objective is the allowed 1%, and a point more breaks it.
	rho, ok = utilisationFor(256, 16, 2*time.Second)
	require.True(t, ok)
	assert.Greater(t, rho, minUtilisation)
	assert.Less(t, rho, maxUtilisation)
	budget := time.Duration(ttftTargetShare * float64(2*time.Second))
	assert.LessOrEqual(t, waitBeyond(256, rho, 16, budget), ttftMissShare)
	assert.InDelta(t, ttftMissShare, waitBeyond(256, rho, 16, budget), 1e-4)
	assert.Greater(t, waitBeyond(256, rho+0.001, 16, budget), ttftMissShare)

	// Fewer slots, or a tighter objective, need more room.
	few, _ := utilisationFor(32, 16, 2*time.Second)
	assert.Less(t, few, rho)
	tight, _ := utilisationFor(256, 16, time.Second)
	assert.Less(t, tight, rho)

	// Eight slots of long prompts: the floor.
	rho, ok = utilisationFor(8, 0.3, 5*time.Second)
	require.True(t, ok)
	assert.InDelta(t, minUtilisation, rho, 1e-9)

	for _, bad := range []struct {
		slots, rate float64
		ttft        time.Duration
	}{{0, 10, time.Second}, {256, 0, time.Second}, {256, 10, 0}, {256, math.NaN(), time.Second}, {math.Inf(1), 10, time.Second}} {
		_, ok := utilisationFor(bad.slots, bad.rate, bad.ttft)
		assert.False(t, ok, "%+v", bad)
	}
}

// With a TTFT objective the share of the saturated rate a replica is sized for comes from
// the queue its batch slots make: 256 slots and a 3 s objective allow more than the fixed
// 90% (fewer replicas for the same rate), a 100 ms objective less.
func TestCapacityUtilisationFromTheTTFTObjective(t *testing.T) {
	sized := func(ttft time.Duration, rate float64) Result {
		v := withSaturation(withRunning(variant("h100", 100, 0, uniform(2, pod{0.1, 0, 400000})...), 36), 256)
		in := model(500, v)
		in.Variants[0].Latency = LatencyModel{Known: true, Base: 0.006, PerRequest: 0.0001}
		in.Capacity.SLOITL = 50 * time.Millisecond
		in.Capacity.SLOTTFT = ttft
		in.Load = Load{Known: true, CompletionRate: rate, ArrivalRate: rate, Lead: time.Minute, MeanOutputTokens: 200}
		return Capacity{}.Analyze(in)
	}
	// The rate at 256 running: 256 / (200 x 31.6 ms) = 40.5 req/s per replica; 90% of it
	// is 36.5 (161.5 running), 95% 38.5 (200.4 running).
	fixed, loose := sized(0, 110), sized(3*time.Second, 110)
	assert.Contains(t, fixed.Reason, "h100 161.5 per replica (90% of the throughput at saturation at 256 running by")
	assert.Contains(t, loose.Reason, "h100 200.4 per replica (95% of the throughput at saturation at 256 running (256 slots keep 99% of waits under 80% of sloTTFT 3s)")
	assert.Equal(t, map[string]int{"h100": 4}, targets(fixed), "110 / 36.5 = 3.01: %s", fixed.Reason)
	assert.Equal(t, map[string]int{"h100": 3}, targets(loose), "110 / 38.5 = 2.86: %s", loose.Reason)

	// A 100 ms objective leaves 80 ms of waiting: 87% of the rate, 35.2 req/s.
	fixed, tight := sized(0, 106), sized(100*time.Millisecond, 106)
	assert.Contains(t, tight.Reason, "(87% of the throughput at saturation at 256 running (256 slots keep 99% of waits under 80% of sloTTFT 100ms)")
	assert.Equal(t, map[string]int{"h100": 3}, targets(fixed), "106 / 36.5 = 2.90: %s", fixed.Reason)
	assert.Equal(t, map[string]int{"h100": 4}, targets(tight), "106 / 35.2 = 3.01: %s", tight.Reason)
}

// Until its ITL line is fitted a variant is sized without the objective, and the reason
// says so and why (an operator reading a Kind run's decisions sees which samples are
// missing).
func TestCapacitySaysWhyTheITLObjectiveDoesNotSizeYet(t *testing.T) {
	in := rampPool()
	in.Capacity.SLOITL = 100 * time.Millisecond
	in.Variants[0].Latency = FitLatency([]LatencySample{{Running: 3, ITL: 0.007}, {Running: 4, ITL: 0.007}})
	r := Capacity{}.Analyze(in)
	assert.Contains(t, r.Reason, "; not sized by sloITL 100ms yet: ITL model unknown (2 samples, 2.0 independent, at 3.0-4.0 running; 6 with a spread of 4 running, 3 independent and a mean ITL known to 10%, needed)")
}
