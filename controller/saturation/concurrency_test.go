package saturation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/config"
)

// withRunning sets the running requests of the variant's pods, in order.
func withRunning(v VariantInput, running ...float64) VariantInput {
	v.Replicas = append([]ReplicaMetrics(nil), v.Replicas...)
	for i := range v.Replicas {
		v.Replicas[i].Running = running[i%len(running)]
	}
	return v
}

func withSaturation(v VariantInput, s float64) VariantInput { v.SaturationConcurrency = s; return v }
func withHealthy(v VariantInput, h float64) VariantInput    { v.HealthyConcurrency = h; return v }

// uniform returns n pods with the same sample.
func uniform(n int, p pod) []pod {
	out := make([]pod, n)
	for i := range out {
		out[i] = p
	}
	return out
}

// A100 pool of the diurnal scenario at ~25 req/s: 40 replicas, 1% KV, 90 running. KV alone
// says one replica suffices (the 40 -> 1 -> 40 oscillation); the concurrency does not.
func diurnalPool() VariantInput {
	return withRunning(variant("a100", 40, 0, uniform(40, pod{0.01, 0, 444000})...), 3, 2, 2, 2)
}

// Capacity's concurrency model, by hand. Default concurrencyTarget 0.15: a replica is
// sized for 15% of the saturation concurrency; a scale-down keeps the concurrency under
// 70% of what the remaining replicas are sized for.
func TestCapacityConcurrency(t *testing.T) {
	tests := []struct {
		name     string
		in       ModelInput
		want     map[string]int
		inReason string
	}{
		{
			// 10 pods at 3 + 30 at 2 = 90 running. Saturation 240 -> 36 per replica, 25.2
			// after headroom: 4 replicas hold 100.8 >= 90, 3 hold 75.6 < 90.
			name: "would oscillate: 40 replicas at 1% KV keep 4, not 1, once saturation is known",
			in:   model(1500, withSaturation(diurnalPool(), 240)),
			want: map[string]int{"a100": 4}, inReason: "a100 36.0 per replica (15% of saturation at 240 running, observed)",
		},
		{
			// Never saturated: a replica is trusted with the highest healthy concurrency
			// seen (5), 3.5 after headroom: 90/3.5 -> 26 replicas.
			name: "would oscillate: saturation never seen, consolidate only to the healthy high-water mark",
			in:   model(1500, withHealthy(diurnalPool(), 5)),
			want: map[string]int{"a100": 26}, inReason: "saturation not observed yet",
		},
		{
			name: "operator-configured saturation concurrency is used until one is observed",
			in: func() ModelInput {
				in := model(1500, diurnalPool())
				in.Capacity = config.CapacityTuning{SaturationConcurrency: 240}
				return in
			}(),
			want: map[string]int{"a100": 4}, inReason: "configured saturationConcurrency",
		},
		{
			// 4 x 60 = 240 running at 30 per replica (15% of 200) need 8: one decision.
			name: "concurrency scale-up in one decision",
			in:   model(0, withSaturation(withRunning(variant("h100", 10, 0, uniform(4, pod{0.2, 0, 400000})...), 60), 200)),
			want: map[string]int{"h100": 8}, inReason: "needs 8 replicas",
		},
		{
			// 120 per replica: 3 replicas hold 0.7 x 360 = 252 >= 240, 2 hold 168 < 240.
			name: "concurrencyTarget from the ConfigMap: at 60% the same pool needs 3",
			in: func() ModelInput {
				in := model(0, withSaturation(withRunning(variant("h100", 10, 0, uniform(4, pod{0.2, 0, 400000})...), 60), 200))
				in.Capacity = config.CapacityTuning{ConcurrencyTarget: 0.6}
				return in
			}(),
			want: map[string]int{"h100": 3}, inReason: "60% of saturation at 200 running",
		},
		{
			// 256 running + 1000 waiting on one pod, 20 running on two others: the backlog
			// counts 5 (queueLengthThreshold), 301 at 38.4 per replica -> 8, not 34.
			name: "a backlog on one pod does not size the pool on its own",
			in: model(0, withSaturation(withRunning(
				variant("h100", 10, 0, pod{0.5, 1000, 400000}, pod{0.05, 0, 400000}, pod{0.05, 0, 400000}), 256, 20, 20), 256)),
			want: map[string]int{"h100": 8}, inReason: "5 of 1000 waiting",
		},
		{
			name: "no scale-down while a replica holds a queue",
			in: model(0, withSaturation(withRunning(
				variant("h100", 10, 0, pod{0.05, 6, 400000}, pod{0.01, 0, 400000}, pod{0.01, 0, 400000}, pod{0.01, 0, 400000}), 2), 256)),
			want: map[string]int{"h100": 4}, inReason: "no scale-down while a replica holds a queue",
		},
		{
			// Saturation unknown, KV to spare: 100 waiting would need 20 at 5 per replica,
			// but the queue rule at most doubles the pool per decision.
			name: "queue rule without known saturation at most doubles",
			in:   model(0, withRunning(variant("a", 10, 0, pod{0.1, 100, 10000}), 50)),
			want: map[string]int{"a": 2}, inReason: "100 waiting need 2 replicas at 5 per replica",
		},
		{
			// Variant "dear" saturated at 100 (15 per replica); "cheap" never did and borrows
			// the model's lowest target (same KV cache: ratio 1). 4 x 40 = 160 running need
			// 11: +7 on cheap.
			name: "a variant without its own saturation borrows the model's lowest target",
			in: model(0,
				withSaturation(withRunning(variant("dear", 20, 0, uniform(2, pod{0.1, 0, 100000})...), 40), 100),
				withRunning(variant("cheap", 5, 0, uniform(2, pod{0.1, 0, 100000})...), 40)),
			want: map[string]int{"dear": 2, "cheap": 9}, inReason: "saturation not seen on this variant, lowest target of the model",
		},
		{
			// "big" borrows 15 per replica x 300000/100000 KV tokens = 45: 160 running need
			// 2 x 15 + n x 45 >= 160 -> n = 3, +1 on big (the cheapest).
			name: "a borrowed target scales with the variant's KV cache",
			in: model(0,
				withSaturation(withRunning(variant("dear", 20, 0, uniform(2, pod{0.1, 0, 100000})...), 40), 100),
				withRunning(variant("big", 5, 0, uniform(2, pod{0.02, 0, 300000})...), 40)),
			want: map[string]int{"dear": 2, "big": 3}, inReason: "x 3.00 KV capacity ratio",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewCapacity().Analyze(tc.in)
			require.Len(t, r.Targets, len(tc.in.Variants))
			assert.Equal(t, tc.want, targets(r), r.Reason)
			if tc.inReason != "" {
				assert.Contains(t, r.Reason, tc.inReason)
			}
		})
	}
}

// The old KV-only check let the diurnal pool fall from 40 to 1; the concurrency model
// keeps it within a factor of the replicas its running requests need, whatever the KV.
func TestCapacityKVAloneNoLongerJustifiesRemovals(t *testing.T) {
	in := model(1500, withSaturation(diurnalPool(), 240))
	r := NewCapacity().Analyze(in)
	assert.Equal(t, 1.0, float64(len(r.Targets)))
	assert.Greater(t, r.Targets[0].Replicas, 1, r.Reason)
	assert.Less(t, r.Inputs["need"], r.Inputs["supply"]/40, "KV demand alone fits in one replica")
	assert.Equal(t, 90.0, r.Inputs["concurrency"])
	assert.Equal(t, 240.0, r.Inputs["saturationConcurrency"])
}

func TestObservedSaturationAndHealthy(t *testing.T) {
	th := defaults()
	v := withRunning(variant("a", 1, 0, pod{0.5, 8, 1000}, pod{0.9, 9, 1000}, pod{0.2, 0, 1000}, pod{0.3, 7, 1000}), 200, 250, 30, 40)
	s, ok := ObservedSaturation(v, th, 0)
	require.True(t, ok)
	assert.Equal(t, 200.0, s, "the most running among queueing pods with KV below the threshold (the 0.9 KV pod is memory-bound)")
	s, ok = ObservedSaturation(v, th, 0.9*250)
	assert.False(t, ok, "no queueing pod runs near the most seen: %v", s)
	h, ok := ObservedHealthy(v, th)
	require.True(t, ok)
	assert.Equal(t, 30.0, h)

	v.Replicas[0].SustainedKnown, v.Replicas[0].SustainedWaiting = true, 1
	v.Replicas[3].SustainedKnown, v.Replicas[3].SustainedWaiting = true, 0
	_, ok = ObservedSaturation(v, th, 0)
	assert.False(t, ok, "a queue that is not sustained is no saturation")
}

func TestMedianStartup(t *testing.T) {
	s := time.Second
	assert.Equal(t, 50*s, MedianStartup([]time.Duration{40 * s, 0, 600 * s, 50 * s, -s}), "the unknown left out")
	assert.Equal(t, 50*s, MedianStartup([]time.Duration{40 * s, 50 * s}), "the upper middle of an even count")
	assert.Zero(t, MedianStartup([]time.Duration{0, -s}))
	assert.Zero(t, MedianStartup(nil))
	in := []time.Duration{3 * s, 1 * s, 2 * s}
	MedianStartup(in)
	assert.Equal(t, []time.Duration{3 * s, 1 * s, 2 * s}, in, "the input is left as it was")
}

// A Local line (samples at about one load, trusted to 55 running) raises a replica's
// conservative target to what it trusts, for consolidation only: the variant stays
// unlearned, so the concurrency does not size the pool up by it, and a healthy mark above
// the trust keeps its own target. The reason shows the line before any saturation.
func TestLocalLineRaisesTheHealthyMarkToItsTrust(t *testing.T) {
	local := LatencyModel{Local: true, Base: 0.0104, PerRequest: 0.00001, Samples: 15, MinRunning: 23.5, MaxRunning: 29.2, Trusted: 55.3}
	in := model(600, withHealthy(withRunning(variant("h100", 100, 0, uniform(3, pod{0.05, 0, 400000})...), 25), 30))
	in.Capacity.SLOITL = 100 * time.Millisecond
	in.Variants[0].Latency = local
	m := buildConcurrency(in, nil, false)
	assert.InDelta(t, 55.3, m.capacity[0], 1e-9, "the trust, below the line's target: %s", m.source[0])
	assert.False(t, m.learned[0])
	assert.False(t, m.anyLearned)
	assert.False(t, m.bySLO[0])
	assert.Contains(t, m.source[0], "55.3 running by the ITL 10.4ms + 0.010ms per running request near the 15 samples at 23.5-29.2 running (within 10% up to 55 running")

	r := Capacity{}.Analyze(in)
	assert.Zero(t, r.Inputs["concReplicas"], "no concurrency sizing from a floor")
	assert.Contains(t, r.Reason, "h100 55.3 per replica (55.3 running by the ITL")

	in.Variants[0] = withHealthy(in.Variants[0], 80)
	m = buildConcurrency(in, nil, false)
	assert.InDelta(t, 80, m.capacity[0], 1e-9, "a healthy mark above the trust stands")
	assert.Contains(t, m.source[0], "the highest healthy concurrency seen, saturation never observed; ITL 10.4ms")
}
