package saturation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPriorForMatchesAcceleratorLabels(t *testing.T) {
	for label, want := range map[string]string{
		"H100": "H100", "nvidia-h100-80gb": "H100", "NVIDIA-H100-SXM5-80GB": "H100",
		"A100": "A100", "nvidia-a100-sxm4-80gb": "A100", "L40S": "L40S", "nvidia-l40s": "L40S",
		"Intel-Max-1550": "Intel-Max-1550", "intel-gpu-max-1550": "Intel-Max-1550",
	} {
		p, ok := priorFor(label)
		require.True(t, ok, label)
		assert.Equal(t, want, p.name, label)
	}
	for _, label := range []string{"", "TPU-v5e", "MI300X", "B200"} {
		_, ok := priorFor(label)
		assert.False(t, ok, "%q has no published prior here", label)
	}
	h, _ := priorFor("H100")
	a, _ := priorFor("A100")
	l, _ := priorFor("L40S")
	assert.InDelta(t, 2.06, h.relative/a.relative, 1e-9)
	assert.InDelta(t, 3.52, h.relative/l.relative, 1e-9)
}

// An L40S measured (its ITL line fitted) and an H100 variant that never ran: the H100's
// throughput is the L40S's times the published 3.52, so at 100 per replica against 32 it
// is the cheaper per request per second, and the scale-up goes there, sized by the
// requests that throughput keeps in flight (capped at 80% of vLLM's 256).
func TestCapacityPriorRanksAVariantThatNeverRan(t *testing.T) {
	l40s := withRunning(variant("l40s", 32, 0, uniform(2, pod{0.1, 0, 180000})...), 100)
	l40s.Accelerator = "L40S"
	// 80% of 100 ms at 22 ms + 0.48 ms per running request: 120.8 running, 16 s in system
	// for 200 tokens, 7.55 req/s per replica; an H100 by the prior: 26.6 req/s.
	l40s.Latency = LatencyModel{Known: true, Base: 0.022, PerRequest: 0.00048, Samples: 20}
	h100 := variant("h100", 100, 0)
	h100.Accelerator = "H100"
	in := model(500, l40s, h100)
	in.Capacity.SLOITL = 100 * time.Millisecond
	// 40 req/s x 16 s = 640 in flight; the L40Ss hold 241.6: 398.4 more, 2 H100s at 204.8.
	in.Load = Load{Known: true, CompletionRate: 10, ArrivalRate: 40, Lead: time.Minute, MeanOutputTokens: 200}
	r := Capacity{}.Analyze(in)
	assert.Equal(t, map[string]int{"l40s": 2, "h100": 2}, targets(r), r.Reason)
	assert.Contains(t, r.Reason, "h100 204.8 per replica (prior until its ITL line is fitted: l40s's 7.55 req/s at its target x 3.52, H100 / L40S by MLPerf Inference v5.1")
	assert.Contains(t, r.Targets[1].Reason, "cost 100, 3.76 per req/s at 26.6 req/s per replica")

	// An accelerator without a prior: no throughput to rank it by, cost per replica.
	in.Variants[1].Accelerator = "TPU-v5e"
	r = Capacity{}.Analyze(in)
	assert.Zero(t, targets(r)["h100"], "only the cheaper per replica grows: %s", r.Reason)
	assert.Greater(t, targets(r)["l40s"], 2, r.Reason)

	// Without an ITL objective nothing is sized by a line, and no prior applies.
	in.Variants[1].Accelerator = "H100"
	in.Capacity.SLOITL = 0
	r = Capacity{}.Analyze(in)
	assert.NotContains(t, r.Reason, "prior until")
}
