package planner

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// The plant as vLLM reports it: besides the gauges, the completion rate, the growth of the
// requests in flight, the mean output length and each pod's mean ITL and running requests,
// with the uneven shares a router gives its pods.
// A request of outputTokens tokens takes baseLatency / (1 - x/mu) at x req/s per replica,
// so its ITL is (baseLatency + running/mu) / outputTokens: a line in the running requests,
// as the latency model assumes.
// scatter (a share) spreads each pod's mean ITL around the line, as a minute's mix of
// requests does; 0 is the line itself.
func runLoopWithRates(t *testing.T, p *plant, start, cycles int, objective time.Duration, scatter float64) []int {
	t.Helper()
	const outputTokens = 200
	pl := NewPlanner(Options{})
	cfg := cfgWith(map[string]string{"default": "sloITL: " + objective.String() + "\n"}, nil)
	current, ready := start, start
	var out []int
	for c := range cycles {
		now := t0.Add(time.Duration(c) * 30 * time.Second)
		before := p.backlog
		running, waiting, kv := p.step(ready, 30*time.Second)
		served := math.Min(p.rate, float64(ready)*p.mu)
		snap := newSnap(now).pods("ns", "m", "a100", repeat(podLoad{kv, waiting}, ready)...).running("ns", "m", running)
		mm := snap.model("ns", "m")
		mm.MeanPromptTokens = 1500
		mm.CompletionRate = served
		mm.InFlightGrowth = (p.backlog - before) / 30
		mm.MeanOutputTokens = outputTokens
		// The router balances within +-30%: pod i gets a share from 0.7 to 1.3 of the mean.
		i := 0
		for _, pm := range mm.Pods {
			r := running
			if ready > 1 && running < p.maxSeqs {
				x := p.rate / float64(ready) * (0.7 + 0.6*float64(i)/float64(ready-1))
				r = p.maxSeqs
				if x < p.mu {
					r = math.Min(x*p.baseLatency/(1-x/p.mu), p.maxSeqs)
				}
			}
			i++
			pm.Running, pm.MeanRunning = r, r
			pm.KVUsage = math.Min(r*p.tokensPerRequest/p.kvTokens, 1)
			pm.KVCapacityTokens = p.kvTokens
			pm.MeanITL = (p.baseLatency + r/p.mu) / outputTokens * (1 + scatter*math.Sin(float64(c*7+i*3)))
		}
		st := state("a100", 40, current, ready)
		st.Max = 40
		d := pl.Decide(now, snap.build(), []saturation.VariantState{st}, cfg)[0]
		require.True(t, d.MetricsAvailable)
		ready = min(current, d.Desired)
		current = d.Desired
		out = append(out, current)
	}
	return out
}

// With the rates and the ITL line, the pool is sized by the ITL objective: 25 req/s at
// 80% of a 100 ms objective is 74 running per replica, 4.65 req/s: 6 replicas. From a
// saturated start it settles there without oscillating.
func TestClosedLoopWithRatesSizesByTheObjective(t *testing.T) {
	for _, start := range []int{1, 3} {
		xs := runLoopWithRates(t, diurnalPlant(), start, 6*120, 100*time.Millisecond, 0)
		assert.LessOrEqual(t, reversals(xs), 1, "from %d: %v", start, xs)
		tail := xs[60:]
		for i, n := range tail {
			require.GreaterOrEqual(t, n, 5, "from %d, cycle %d: fell back into saturation: %v", start, i+60, xs)
		}
		last := tail[len(tail)-1]
		assert.True(t, last >= 6 && last <= 8, "from %d: settles at the objective's 6 replicas (a little over): %v", start, xs)
	}
	// Forty replicas at 2.5 running each show no saturation and too little spread to
	// extrapolate a line (1.7..3.4 running), but a line fitted on them is trusted as far
	// as their scatter allows. Exact, it is trusted at any load: the pool consolidates to
	// the objective's size in steps, never into saturation. Scattered by 10%, each step
	// goes only as far as the samples trust the line, and the samples at the higher load
	// each step brings carry the next.
	for _, c := range []struct {
		scatter          float64
		atMostBy, atMost int // replicas by that many cycles
		minSteps         int // distinct pool sizes on the way
		explained        string
	}{
		{0, 20, 8, 3, "exact samples"},
		{0.1, 40, 9, 6, "samples scattered by 10%"},
	} {
		xs := runLoopWithRates(t, diurnalPlant(), 40, 120, 100*time.Millisecond, c.scatter)
		assert.Zero(t, reversals(xs), "%s: %v", c.explained, xs)
		for i, n := range xs {
			require.GreaterOrEqual(t, n, 5, "%s, cycle %d: shrunk into saturation: %v", c.explained, i, xs)
		}
		assert.LessOrEqual(t, xs[c.atMostBy-1], c.atMost, "%s: consolidated: %v", c.explained, xs)
		sizes := map[int]bool{}
		for _, n := range xs {
			sizes[n] = true
		}
		assert.GreaterOrEqual(t, len(sizes), c.minSteps, "%s: steps: %v", c.explained, xs)
	}
}

// cfgWith must carry sloITL and sloTTFT into the model's capacity tuning.
func TestSLOITLReachesTheAnalyzer(t *testing.T) {
	cfg := cfgWith(map[string]string{"default": "sloITL: 100ms\nsloTTFT: 2s\n"}, nil)
	assert.Equal(t, 100*time.Millisecond, cfg.For("ns", "m").Capacity.SLOITL)
	assert.Equal(t, 2*time.Second, cfg.For("ns", "m").Capacity.SLOTTFT)
	assert.Zero(t, config.Default().For("ns", "m").Capacity.SLOITL, "no objective by default")
	assert.Zero(t, config.Default().For("ns", "m").Capacity.SLOTTFT, "no objective by default")
}
