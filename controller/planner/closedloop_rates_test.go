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
func runLoopWithRates(t *testing.T, p *plant, start, cycles int, objective time.Duration) []int {
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
			pm.MeanITL = (p.baseLatency + r/p.mu) / outputTokens
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
		xs := runLoopWithRates(t, diurnalPlant(), start, 6*120, 100*time.Millisecond)
		assert.LessOrEqual(t, reversals(xs), 1, "from %d: %v", start, xs)
		tail := xs[60:]
		for i, n := range tail {
			require.GreaterOrEqual(t, n, 5, "from %d, cycle %d: fell back into saturation: %v", start, i+60, xs)
		}
		last := tail[len(tail)-1]
		assert.True(t, last >= 6 && last <= 8, "from %d: settles at the objective's 6 replicas (a little over): %v", start, xs)
	}
	// Forty replicas at 2.5 running each show no saturation and too little spread to fit a
	// line (1.7..3.4 running): nothing says a replica holds more than it does, so the pool
	// is kept, never shrunk into saturation.
	xs := runLoopWithRates(t, diurnalPlant(), 40, 120, 100*time.Millisecond)
	assert.Zero(t, reversals(xs), "%v", xs)
	assert.Equal(t, 40, xs[len(xs)-1])
}

// cfgWith must carry sloITL and sloTTFT into the model's capacity tuning.
func TestSLOITLReachesTheAnalyzer(t *testing.T) {
	cfg := cfgWith(map[string]string{"default": "sloITL: 100ms\nsloTTFT: 2s\n"}, nil)
	assert.Equal(t, 100*time.Millisecond, cfg.For("ns", "m").Capacity.SLOITL)
	assert.Equal(t, 2*time.Second, cfg.For("ns", "m").Capacity.SLOTTFT)
	assert.Zero(t, config.Default().For("ns", "m").Capacity.SLOITL, "no objective by default")
	assert.Zero(t, config.Default().For("ns", "m").Capacity.SLOTTFT, "no objective by default")
}
