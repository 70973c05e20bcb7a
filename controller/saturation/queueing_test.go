package saturation

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flat is a line whose ITL does not grow with the running requests and whose replica
// completes rate requests per second with every one of its slots busy (200 output tokens
// each, no prefill).
func flat(slots, rate float64) LatencyModel {
	return LatencyModel{Known: true, Base: slots / (rate * 200)}
}

func TestErlangCKnownValues(t *testing.T) {
	// One server: an arrival waits with probability ρ.
	assert.InDelta(t, 0.7, erlangC(1, 0.7), 1e-12)
	// M/M/2 at a = 1: (1/2 x 2) / (1 + 1 + 1) = 1/3.
	assert.InDelta(t, 1.0/3, erlangC(2, 1), 1e-12)
	// M/M/10 at a = 8: the textbook 0.409.
	assert.InDelta(t, 0.409, erlangC(10, 8), 0.001)
}

func TestUtilisationKeepsTheWaitsUnderTheBudget(t *testing.T) {
	// 256 slots at 28 req/s with a 5 s TTFT objective: the cap.
	rho, from, ok := utilisationFor(flat(256, 28), 256, 200, 5*time.Second)
	require.True(t, ok)
	assert.InDelta(t, maxUtilisation, rho, 1e-9)
	assert.Equal(t, " (256 slots keep 99% of waits under 80% of sloTTFT 5s)", from)

	// 256 slots at 16 req/s, 2 s: the budget binds; at the utilisation found, the share of
	// waits past 80% of the objective is the allowed 1%, and a point more breaks it.
	line := flat(256, 16)
	rho, _, ok = utilisationFor(line, 256, 200, 2*time.Second)
	require.True(t, ok)
	assert.Greater(t, rho, minUtilisation)
	assert.Less(t, rho, maxUtilisation)
	budget := time.Duration(ttftTargetShare * float64(2*time.Second))
	assert.LessOrEqual(t, waitBeyond(256, rho, 16, budget), ttftMissShare)
	assert.InDelta(t, ttftMissShare, waitBeyond(256, rho, 16, budget), 1e-4)
	assert.Greater(t, waitBeyond(256, rho+0.001, 16, budget), ttftMissShare)

	// Fewer slots, or a tighter objective, need more room.
	few, _, _ := utilisationFor(flat(32, 16), 32, 200, 2*time.Second)
	assert.Less(t, few, rho)
	tight, _, _ := utilisationFor(line, 256, 200, time.Second)
	assert.Less(t, tight, rho)

	// Eight slots of long prompts: the floor.
	rho, _, ok = utilisationFor(flat(8, 0.3), 8, 200, 5*time.Second)
	require.True(t, ok)
	assert.InDelta(t, minUtilisation, rho, 1e-9)

	for _, bad := range []struct {
		line       LatencyModel
		slots, out float64
		ttft       time.Duration
	}{
		{flat(256, 10), 0, 200, time.Second}, {flat(256, 10), 256, 0, time.Second}, {flat(256, 10), 256, 200, 0},
		{flat(256, 10), math.NaN(), 200, time.Second}, {flat(256, 10), math.Inf(1), 200, time.Second}, {LatencyModel{}, 256, 200, time.Second},
	} {
		_, _, ok := utilisationFor(bad.line, bad.slots, bad.out, bad.ttft)
		assert.False(t, ok, "%+v", bad)
	}
}

// The wait's budget is what the TTFT objective leaves after the measured prefill when
// that is less than 80% of it. An L40S under 12k-token prompts: 2 s of prefill leave 3 s
// of a 5 s objective; its KV cache holds 15 requests, its ITL 18 ms + 29 ms per running
// request over 120 output tokens.
func TestUtilisationBudgetAfterThePrefill(t *testing.T) {
	line := LatencyModel{Known: true, Base: 0.018, PerRequest: 0.029, Prefill: 2}
	budget := func(line LatencyModel, ttft time.Duration) time.Duration { b, _ := waitBudget(line, ttft); return b }
	assert.Equal(t, 3*time.Second, budget(line, 5*time.Second))
	assert.Equal(t, 4*time.Second, budget(LatencyModel{Known: true, Base: 0.01}, 5*time.Second), "80% without a prefill")
	rho, from, ok := utilisationFor(line, 15, 120, 5*time.Second)
	require.True(t, ok)
	assert.Equal(t, " (15 slots keep 99% of waits under the 3s sloTTFT 5s leaves after the prefill)", from)
	rate := line.throughputAt(15, 120)
	assert.InDelta(t, ttftMissShare, waitBeyond(15, rho, rate, 3*time.Second), 1e-4)
	assert.Less(t, rho, 0.6, "15 slots of requests that each hold one for a minute at saturation need room")

	// A longer prefill leaves less, a prefill of the whole objective nothing: 99% of the
	// requests must then find a slot free at once.
	line.Prefill = 4
	shorter, _, _ := utilisationFor(line, 15, 120, 5*time.Second)
	line.Prefill = 6
	assert.Zero(t, budget(line, 5*time.Second))
	none, _, ok := utilisationFor(line, 15, 120, 5*time.Second)
	require.True(t, ok)
	assert.LessOrEqual(t, none, shorter)
	assert.Less(t, shorter, rho)
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

// Until a saturation is observed the queue has vLLM's default 256 slots, or as many
// requests as a replica's KV cache holds at the model's mean size (its prompt and half its
// output) when that is fewer: 12k-token prompts fill an L40S's 186k tokens with 15.
func TestQueueSlotsBoundedByTheKVCache(t *testing.T) {
	sized := func(kvTokens, prompt float64, line LatencyModel) Result {
		v := withRunning(variant("l40s", 32, 0, uniform(4, pod{0.3, 0, kvTokens})...), 4)
		v.Latency = line
		in := model(prompt, v)
		in.Capacity.SLOITL = 150 * time.Millisecond
		in.Capacity.SLOTTFT = 5 * time.Second
		in.Load = Load{Known: true, CompletionRate: 1, ArrivalRate: 1, Lead: time.Minute, MeanOutputTokens: 120}
		return Capacity{}.Analyze(in)
	}
	r := sized(186144, 12000, LatencyModel{Known: true, Base: 0.018, PerRequest: 0.029, Prefill: 2})
	assert.Contains(t, r.Reason, "of the throughput at 15 requests its KV cache holds (15 slots keep 99% of waits under the 3s sloTTFT 5s leaves after the prefill)")
	r = sized(400000, 1000, LatencyModel{Known: true, Base: 0.006, PerRequest: 0.0001})
	assert.Contains(t, r.Reason, "of the throughput at vLLM's default --max-num-seqs 256 (256 slots keep")

	// The slots count only with the KV capacity in tokens and both mean lengths known.
	in := model(12000, withRunning(variant("l40s", 32, 0, uniform(2, pod{0.3, 0, 186144})...), 4))
	in.Load.MeanOutputTokens = 120
	assert.Equal(t, []float64{15}, kvSlots(in, []float64{186144}, true))
	assert.Equal(t, []float64{0}, kvSlots(in, []float64{186144}, false))
	in.MeanPromptTokens = math.NaN()
	assert.Equal(t, []float64{0}, kvSlots(in, []float64{186144}, true))
}
