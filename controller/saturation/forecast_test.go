package saturation

import (
	"fmt"
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

	// A step the rate window has read only in part: the forecast is the level it stepped
	// to, 13.8 req/s as above, whatever the trend.
	in.Load = Load{Known: true, CompletionRate: 8, ArrivalRate: 10, Step: 13.8, Lead: 90 * time.Second}
	r = c.Analyze(in)
	assert.Equal(t, map[string]int{"h100": 7}, targets(r), r.Reason)
	assert.Contains(t, r.Reason, "arrivals 10.00 req/s (8.00 completed, a step up to 13.80 req/s within the rate window), forecast 13.80 req/s")
	assert.InDelta(t, 13.8, r.Inputs["step"], 1e-9)
	in.Load.Trend = 0.1
	assert.InDelta(t, 19, c.Analyze(in).Inputs["forecastRate"], 1e-9, "a trend beyond the step still counts")

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
	// 80% of 50ms at 6 + 0.1 x running: 340 running; capped at the 161.5 running that serve
	// 90% of the rate at the saturation's 256.
	in.Load = Load{Known: true, CompletionRate: 8, ArrivalRate: 10, Lead: time.Minute, MeanOutputTokens: 200}
	r := Capacity{}.Analyze(in)
	// ITL at 161.5 running: 22.15 ms; x 200 tokens = 4.43 s in system; 10 req/s x 4.43 s
	// = 44 in flight: fewer than the 144 running, so growth stays 1.
	assert.InDelta(t, 4.43, r.Inputs["residenceSeconds"], 0.005)
	assert.InDelta(t, 1, r.Inputs["growth"], 1e-9)
	assert.Contains(t, r.Reason, "x 4.4s in system at the target ITL (200 output tokens), h100 161.5 per replica (90% of the throughput at saturation at 256 running")
}

// With every variant's throughput known (its ITL line and the mean output length), the
// scale-up goes to the cheapest per request per second, not per replica; the scale-down
// removes the dearest per request per second first.
func TestCapacityRanksVariantsByCostPerThroughput(t *testing.T) {
	fast := withSaturation(withRunning(variant("h100", 100, 0, uniform(2, pod{0.1, 6, 400000})...), 200), 256)
	slow := withSaturation(withRunning(variant("l40s", 32, 0, uniform(2, pod{0.1, 6, 180000})...), 120), 128)
	in := model(500, fast, slow)
	in.Capacity.SLOITL = 100 * time.Millisecond
	in.Load = Load{Known: true, CompletionRate: 100, ArrivalRate: 100, Lead: time.Minute, MeanOutputTokens: 200}
	// H100: 80 ms at 6 + 0.05 x running -> 1480 running, capped at the 189.9 that serve 90%
	// of the rate at 256; ITL 15.5 ms, 61.3 req/s per replica, 1.63 per req/s. L40S: 80 ms
	// at 20 + 0.5 x running -> 120 running, capped at 87.3 (90% of the rate at 128); ITL
	// 63.6 ms, 6.9 req/s, 4.66 per req/s.
	in.Variants[0].Latency = LatencyModel{Known: true, Base: 0.006, PerRequest: 0.00005}
	in.Variants[1].Latency = LatencyModel{Known: true, Base: 0.020, PerRequest: 0.0005}
	r := Capacity{}.Analyze(in)
	got := targets(r)
	require.Greater(t, got["h100"], 2, r.Reason)
	assert.Equal(t, 2, got["l40s"], "the L40S is cheaper per replica, dearer per req/s: %s", r.Reason)
	assert.Contains(t, r.Targets[0].Reason, "cost 100, 1.63 per req/s at 61.3 req/s per replica")

	// One variant without a line: back to cost per replica.
	in.Variants[0].Latency = LatencyModel{}
	r = Capacity{}.Analyze(in)
	got = targets(r)
	assert.Greater(t, got["l40s"], 2, r.Reason)
	assert.Equal(t, 2, got["h100"], r.Reason)
}

// A variant running beyond what its replicas hold at the ITL objective while the pool has
// room: the router gives it that share, so the pool is sized for the pool-wide demand times
// the variant's overload factor. The demand, not the supply: the replicas added for the
// share are not multiplied again while the router keeps the variant over. One variant
// alone is sized by the pool-wide sum as usual.
func TestCapacityGrowsForTheRoutersShare(t *testing.T) {
	pool := func(h100Running float64) ModelInput {
		fast := withSaturation(withRunning(variant("h100", 100, 0, uniform(3, pod{0.1, 0, 400000})...), h100Running), 256)
		slow := withSaturation(withRunning(variant("l40s", 32, 0, uniform(1, pod{0.3, 0, 180000})...), 128), 128)
		in := model(500, fast, slow)
		in.Capacity.SLOITL = 120 * time.Millisecond
		in.Load = Load{Known: true, CompletionRate: 10, ArrivalRate: 10, Lead: time.Minute, MeanOutputTokens: 200}
		// H100 capped at the 189.9 running that serve 90% of its rate at 256; L40S: 80% of
		// 120 ms at 20 + 1 x running is 76 running, capped at 70.2 (90% of its rate at 128);
		// 128 run.
		in.Variants[0].Latency = LatencyModel{Known: true, Base: 0.006, PerRequest: 0.00005}
		in.Variants[1].Latency = LatencyModel{Known: true, Base: 0.020, PerRequest: 0.001}
		return in
	}
	in := pool(120)
	h, _ := in.Variants[0].Latency.runningAtThroughputShare(throughputCeiling, 256, 200)
	l, _ := in.Variants[1].Latency.runningAtThroughputShare(throughputCeiling, 128, 200)
	require.InDelta(t, 189.9, h, 0.05)
	require.InDelta(t, 70.2, l, 0.05)
	r := Capacity{}.Analyze(in)
	// 3 x 120 + 128 = 488 in flight; the L40S at 128/70.2 = 1.82x: 889.8 needed, 249.9 more
	// than the 639.9 supply: 2 more H100s (the cheaper per req/s).
	demand := 3*120 + 128.0
	assert.InDelta(t, demand*(128/l-1), r.Inputs["overflow"], 1e-6)
	assert.Equal(t, map[string]int{"h100": 5, "l40s": 1}, targets(r), r.Reason)
	assert.Contains(t, r.Reason, "for the router's share on l40s at 1.82x, over its sloITL capacity")

	// Lightly loaded H100s (30 running each): 218 x 1.82 = 397.5 fits the 639.9 supply.
	r = Capacity{}.Analyze(pool(30))
	assert.InDelta(t, 218*(128/l-1), r.Inputs["overflow"], 1e-6)
	assert.Equal(t, map[string]int{"h100": 3, "l40s": 1}, targets(r), r.Reason)

	// The L40S alone at the same overload: the pool-wide demand sizes it (10 req/s x 18.0 s
	// in system at the target = 180 running: 3 replicas at 70.2), with no overflow on top.
	alone := model(500, in.Variants[1])
	alone.Capacity, alone.Load = in.Capacity, in.Load
	alone.Variants[0].Latency = in.Variants[1].Latency
	r = Capacity{}.Analyze(alone)
	assert.Zero(t, r.Inputs["overflow"])
	assert.Equal(t, map[string]int{"l40s": 3}, targets(r), r.Reason)
}

// consolidationPool: H100s with ITL 6 ms + 0.2 ms per running request and a 100 ms
// objective: 124.3 running per replica (90% of the rate at 256), 30.86 ms, 6.17 s in
// system for 200 output tokens, 20.1 req/s per replica at the target.
func consolidationPool(n int, rate float64, running ...float64) ModelInput {
	v := withSaturation(withRunning(variant("h100", 100, 0, uniform(n, pod{0.02, 0, 400000})...), running...), 256)
	v.Latency = LatencyModel{Known: true, Base: 0.006, PerRequest: 0.0002}
	in := model(500, v)
	in.Capacity.SLOITL = 100 * time.Millisecond
	in.Load = Load{Known: true, CompletionRate: rate, ArrivalRate: rate, Lead: time.Minute, MeanOutputTokens: 200}
	return in
}

// The requests a pool holds at the forecast rate are the rate times each one's time in a
// replica: its prefill, then its output tokens at the target's ITL. 48 req/s of 200 tokens
// at 6 + 0.2 x 124.3 ms is 6.17 s each (one ITL standing in for the prefill): 296 in
// flight. Measured at 1.5 s, the prefill is time no output token shares: 90% of the
// saturated rate takes 167.2 running per replica, 1.5 + 199 x 39.4 ms = 9.35 s each, 449
// in flight.
func TestCapacityCountsThePrefillInTheTimeInSystem(t *testing.T) {
	in := consolidationPool(3, 48, 40)
	r := Capacity{}.Analyze(in)
	require.InDelta(t, 6.17, r.Inputs["residenceSeconds"], 0.005)
	require.InDelta(t, 296, r.Inputs["concurrency"], 0.5)

	in.Variants[0].Latency.Prefill = 1.5
	r = Capacity{}.Analyze(in)
	target := r.Inputs["concSupply"] / 3
	assert.InDelta(t, 167.2, target, 0.05)
	assert.InDelta(t, 1.5+199*(0.006+0.0002*target), r.Inputs["residenceSeconds"], 1e-6)
	assert.InDelta(t, 48*r.Inputs["residenceSeconds"], r.Inputs["concurrency"], 1e-6)
	assert.Contains(t, r.Reason, "ITL 6.0ms + 0.200ms per running request, prefill 1.50s")
}

// With the concurrency from the forecast rate at the operating point, a pool shrinks while
// the replicas left stay under 85% of their target on average and the busiest of them
// under its target, down to one replica.
func TestCapacityConsolidatesByTheRate(t *testing.T) {
	// 48 req/s x 6.17 s = 296 in flight at the targets: 3 replicas hold 373, and 296 is
	// 79% of it (over the 70% a projection of today's load would allow); 2 would hold 249.
	r := Capacity{}.Analyze(consolidationPool(4, 48, 40))
	require.InDelta(t, 6.17, r.Inputs["residenceSeconds"], 0.005)
	assert.InDelta(t, 1, r.Inputs["imbalance"], 1e-9, "even pods")
	assert.Equal(t, map[string]int{"h100": 3}, targets(r), r.Reason)
	assert.Contains(t, r.Reason, "removing one more replica would put concurrency 296 over 85% of the remaining 249")

	// The router gives one pod 90 running while three run 10: 18.75 req/s there against a
	// mean of 9.375 (Little's law at each pod's ITL), a 2x imbalance. Three replicas would
	// put the busiest at twice their mean: not removed.
	r = Capacity{}.Analyze(consolidationPool(4, 48, 10, 10, 10, 90))
	assert.InDelta(t, 2, r.Inputs["imbalance"], 1e-9)
	assert.Equal(t, map[string]int{"h100": 4}, targets(r), r.Reason)
	assert.Contains(t, r.Reason, "over 50% of the remaining 373 (the busiest replica takes 2.00x the mean: the router's imbalance)")

	// Down to one replica by the same 85%: two replicas at 16 req/s put 98.8 in flight,
	// 79% of one replica's target, and one goes; at 18 req/s (111, 90%) both stay.
	r = Capacity{}.Analyze(consolidationPool(2, 16, 40))
	assert.Equal(t, map[string]int{"h100": 1}, targets(r), r.Reason)
	r = Capacity{}.Analyze(consolidationPool(2, 18, 40))
	assert.Equal(t, map[string]int{"h100": 2}, targets(r), r.Reason)
	assert.Contains(t, r.Reason, "over 85% of the remaining 124")

	// One pod's figures alone say nothing of the router.
	assert.InDelta(t, 1, loadImbalance(consolidationPool(1, 14, 90)), 1e-9)
	in := consolidationPool(3, 14, 1, 1, 500)
	assert.InDelta(t, maxImbalance, loadImbalance(in), 1e-9, "bounded")
	in.Load.MeanOutputTokens = 0
	assert.InDelta(t, 1, loadImbalance(in), 1e-9, "no output length: unknown")
}

// A line trusted only to 80 running (its samples at about 40) sizes a replica for 124.3
// when the pool grows, but a consolidation relies on 80: at 48 req/s the requests spend
// 200 x (6 + 0.2 x 80) ms = 4.4 s in a replica running 80, 211 in flight, so four replicas
// (320) hold them at 66% and three (240) would at 88%, over 85%. Checked against the
// time in system at the targets (6.17 s, 296 in flight) three would never do either. At
// 40 req/s (176 in flight, 73% of three) one goes.
func TestCapacityConsolidatesNoFurtherThanTheLineIsTrusted(t *testing.T) {
	trusted := func(n int, rate float64) ModelInput {
		in := consolidationPool(n, rate, 40)
		in.Variants[0].Latency.Trusted = 80
		return in
	}
	r := Capacity{}.Analyze(trusted(5, 48))
	assert.Equal(t, map[string]int{"h100": 4}, targets(r), r.Reason)
	assert.Contains(t, r.Reason, "removing one more replica would put concurrency 211 over 85% of the remaining 240")
	assert.Contains(t, r.Reason, "consolidating up to 80.0 running, where the line is trusted")
	r = Capacity{}.Analyze(trusted(4, 40))
	assert.Equal(t, map[string]int{"h100": 3}, targets(r), r.Reason)

	// Growing is sized by the line's target whatever its trust: 48 req/s x 6.17 s on two
	// replicas (249 at their targets) needs three.
	r = Capacity{}.Analyze(trusted(2, 48))
	assert.Equal(t, map[string]int{"h100": 3}, targets(r), r.Reason)
}

// drainPool: n ready H100s of consolidationPool's line (124.3 running per replica at the
// target, 20.1 req/s; 22.4 req/s saturated at 256 running), each running 256 with
// waiting queued, pending more starting, the forecast rate and a one-minute lead.
func drainPool(n, pending int, waiting, rate float64) ModelInput {
	v := withSaturation(withRunning(variant("h100", 100, pending, uniform(n, pod{0.3, waiting, 400000})...), 256), 256)
	v.Latency = LatencyModel{Known: true, Base: 0.006, PerRequest: 0.0002}
	in := model(500, v)
	in.Capacity.SLOITL = 100 * time.Millisecond
	in.Load = Load{Known: true, CompletionRate: rate, ArrivalRate: rate, Lead: time.Minute, MeanOutputTokens: 200}
	return in
}

// A backlog on the ready replicas (queued requests do not move between vLLM replicas)
// counts for the time they take to drain it once new replicas take the arrivals, not as
// requests to hold at once.
func TestCapacityDrainsABacklog(t *testing.T) {
	target, _ := LatencyModel{Known: true, Base: 0.006, PerRequest: 0.0002}.runningAtThroughputShare(throughputCeiling, 256, 200)
	require.InDelta(t, 124.3, target, 0.05)

	// Two saturated replicas holding 1112 requests at 40 req/s, 44.8 req/s saturated: in a
	// lead time they are down to 824 beyond the 248.6 their targets hold, 12.8s of work
	// after it. The forecast's 246.8 in flight (40 x 6.17s) plus 21% of their targets: 3
	// replicas. Counting the backlog whole (512 running) asked for 5.
	r := Capacity{}.Analyze(drainPool(2, 0, 300, 40))
	assert.Equal(t, map[string]int{"h100": 3}, targets(r), r.Reason)
	assert.InDelta(t, 1112-2*target, r.Inputs["backlog"], 0.5)
	assert.Contains(t, r.Reason, "a backlog of 863 beyond the forecast's need and the ready replicas' targets, which they drain for 13s after a lead time")

	// One replica holding 1256 at 40 req/s drains for more than another lead time: it is
	// busy, and the new replicas carry the forecast alone: 246.8 + 124.3 in flight.
	r = Capacity{}.Analyze(drainPool(1, 0, 1000, 40))
	assert.InDelta(t, 40*r.Inputs["residenceSeconds"]+target, r.Inputs["concurrency"], 1e-6)
	assert.Equal(t, map[string]int{"h100": 3}, targets(r), r.Reason)

	// The same backlog with two replicas already starting: they are the supply it needs.
	r = Capacity{}.Analyze(drainPool(1, 2, 1000, 40))
	assert.Equal(t, map[string]int{"h100": 3}, targets(r), r.Reason)

	// Replicas that clear the backlog within the lead time at 20 req/s: sized on the
	// forecast alone, and none removed while they hold it.
	in := drainPool(3, 0, 0, 20)
	r = Capacity{}.Analyze(in)
	assert.Zero(t, r.Inputs["pending"])
	assert.Positive(t, r.Inputs["backlog"])
	assert.Equal(t, map[string]int{"h100": 3}, targets(r), r.Reason)
	assert.Contains(t, r.Reason, "no scale-down while the ready replicas hold a backlog")
}

// While no saturation is known the sizing assumes vLLM's default batch of 256; a replica
// seen queueing at 8 running (a deployment's --max-num-seqs, which vLLM does not export)
// bounds what a consolidation relies on to what 8 slots serve. Growth is unchanged.
func TestCapacityConsolidatesNoFurtherThanAQueueSeen(t *testing.T) {
	pool := func(n int, rate, queuedAt float64) ModelInput {
		in := consolidationPool(n, rate, 3)
		in.Variants[0].SaturationConcurrency = 0
		in.Variants[0].QueuedRunning = queuedAt
		return in
	}
	r := Capacity{}.Analyze(pool(4, 9, 0))
	assert.Equal(t, map[string]int{"h100": 1}, targets(r), "256 slots assumed: %s", r.Reason)

	// 8 slots serve 5.26 req/s (1.52 s in system at 7.6 ms); 90% of that at 7.0 running.
	c, _, _, _ := sloCeiling(LatencyModel{Known: true, Base: 0.006, PerRequest: 0.0002}, 8, 200, 0)
	require.InDelta(t, 7.01, c, 0.01)
	r = Capacity{}.Analyze(pool(4, 9, 8))
	assert.Contains(t, r.Reason, fmt.Sprintf("consolidating up to %.1f running, a replica having queued at 8", c))
	// 9 req/s at 1.48 s in system: 13.3 in flight; three replicas hold 3 x 7.01 at 85%
	// (17.9), two 11.9.
	assert.Equal(t, map[string]int{"h100": 3}, targets(r), r.Reason)

	// A queue seen at more than the batch the sizing assumes bounds nothing; a learned
	// saturation replaces it.
	r = Capacity{}.Analyze(pool(4, 9, 300))
	assert.Equal(t, map[string]int{"h100": 1}, targets(r), r.Reason)
	in := pool(4, 9, 8)
	in.Variants[0].SaturationConcurrency = 256
	r = Capacity{}.Analyze(in)
	assert.Equal(t, map[string]int{"h100": 1}, targets(r), r.Reason)

	// Growth is sized as before: 40 req/s on one replica running 200 needs two at 124.3
	// running each.
	in = consolidationPool(1, 40, 200)
	in.Variants[0].SaturationConcurrency, in.Variants[0].QueuedRunning = 0, 8
	r = Capacity{}.Analyze(in)
	assert.Equal(t, map[string]int{"h100": 2}, targets(r), r.Reason)
}
