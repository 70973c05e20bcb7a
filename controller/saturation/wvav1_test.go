package saturation

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected values below are worked out by hand from WVA v0.5.1's documented rule
// (docs/saturation-analyzer.md and its analyzer): saturated = kv >= 0.80 or queue >= 5;
// spare averaged over non-saturated replicas; scale up when spare kv < 0.1 or spare
// queue < 3; N-1 check: load*N/(N-1) must leave spare >= both triggers, N >= 2.
func TestWVAV1Table(t *testing.T) {
	tests := []struct {
		name     string
		in       ModelInput
		want     map[string]int
		inReason string
	}{
		{
			name: "kv spare 0.065 below 0.1 scales the only variant up by one",
			in:   model(0, variant("a", 10, 0, pod{kv: 0.75}, pod{kv: 0.72})),
			want: map[string]int{"a": 3}, inReason: "average spare KV 0.065 < kvSpareTrigger 0.100",
		},
		{
			name: "queue spare 1.5 below 3 scales up",
			in:   model(0, variant("a", 10, 0, pod{kv: 0.3, waiting: 3}, pod{kv: 0.3, waiting: 4})),
			want: map[string]int{"a": 3}, inReason: "average spare queue 1.5 < queueSpareTrigger 3.0",
		},
		{
			name: "all replicas saturated: no spare at all, scale up",
			in:   model(0, variant("a", 10, 0, pod{kv: 0.9}, pod{kv: 0.8})),
			want: map[string]int{"a": 3}, inReason: "2 saturated",
		},
		{
			name: "WVA doc example: 5 replicas, spare kv 0.15, spare queue 3.2, N-1 unsafe: no change",
			in: model(0,
				variant("variant-1", 20, 0, pod{kv: 0.70, waiting: 2}, pod{kv: 0.75, waiting: 3}),
				variant("variant-2", 15, 0, pod{kv: 0.60, waiting: 1}, pod{kv: 0.65, waiting: 2}, pod{kv: 0.55, waiting: 1})),
			want: map[string]int{"variant-1": 2, "variant-2": 3}, inReason: "N-1 check unsafe",
		},
		{
			name: "scale-up goes to the cheapest variant (doc: H100 at 15 before A100 at 20)",
			in: model(0,
				variant("variant-1", 20, 0, pod{kv: 0.70, waiting: 4}, pod{kv: 0.75, waiting: 4}),
				variant("variant-2", 15, 0, pod{kv: 0.60, waiting: 3}, pod{kv: 0.65, waiting: 4}, pod{kv: 0.55, waiting: 3})),
			want: map[string]int{"variant-1": 2, "variant-2": 4},
		},
		{
			name: "equal costs: alphabetically first variant scales up",
			in:   model(0, variant("b", 10, 0, pod{kv: 0.79}), variant("a", 10, 0, pod{kv: 0.79})),
			want: map[string]int{"a": 2, "b": 1},
		},
		{
			name: "idle pool passes the N-1 check: most expensive variant loses one",
			in:   model(0, variant("cheap", 10, 0, pod{kv: 0.1}, pod{kv: 0.1}), variant("dear", 20, 0, pod{kv: 0.1}, pod{kv: 0.1})),
			want: map[string]int{"cheap": 2, "dear": 1}, inReason: "N-1 check safe",
		},
		{
			name: "equal costs: alphabetically last variant scales down",
			in:   model(0, variant("a", 10, 0, pod{kv: 0.1}, pod{kv: 0.1}), variant("b", 10, 0, pod{kv: 0.1}, pod{kv: 0.1})),
			want: map[string]int{"a": 2, "b": 1},
		},
		{
			name: "most expensive variant at one replica is skipped for scale-down",
			in:   model(0, variant("dear", 20, 0, pod{kv: 0.1}), variant("cheap", 10, 0, pod{kv: 0.1}, pod{kv: 0.1}, pod{kv: 0.1})),
			want: map[string]int{"dear": 1, "cheap": 2},
		},
		{
			name: "two replicas at kv 0.5: one replica would carry 1.0, unsafe",
			in:   model(0, variant("a", 10, 0, pod{kv: 0.5}, pod{kv: 0.5})),
			want: map[string]int{"a": 2}, inReason: "N-1 check unsafe",
		},
		{
			name: "queue makes N-1 unsafe: 3 replicas with 1 waiting each -> 1.5 each, spare 3.5 >= 3 safe",
			in:   model(0, variant("a", 10, 0, pod{kv: 0.1, waiting: 1}, pod{kv: 0.1, waiting: 1}, pod{kv: 0.1, waiting: 1})),
			want: map[string]int{"a": 2},
		},
		{
			name: "queue makes N-1 unsafe: 3 replicas with 1.5 waiting each -> 2.25, spare 2.75 < 3",
			in:   model(0, variant("a", 10, 0, pod{kv: 0.1, waiting: 1.5}, pod{kv: 0.1, waiting: 1.5}, pod{kv: 0.1, waiting: 1.5})),
			want: map[string]int{"a": 3},
		},
		{
			name: "a single replica never scales down (needs 2 non-saturated)",
			in:   model(0, variant("a", 10, 0, pod{kv: 0.0})),
			want: map[string]int{"a": 1}, inReason: "only 1 non-saturated replicas",
		},
		{
			name: "pending replica: metrics 2 != current 3 blocks all scaling",
			in:   model(0, variant("a", 10, 1, pod{kv: 0.79}, pod{kv: 0.79}), variant("b", 20, 0, pod{kv: 0.79})),
			want: map[string]int{"a": 3, "b": 1}, inReason: "model in transition",
		},
		{
			name: "desired 4 != current 2 keeps desired and blocks the other variant",
			in:   model(0, withDesired(variant("a", 10, 0, pod{kv: 0.79}, pod{kv: 0.79}), 4), variant("b", 20, 0, pod{kv: 0.79})),
			want: map[string]int{"a": 4, "b": 1}, inReason: "a desired 4 != current 2",
		},
		{
			name: "desired equal to current is not a transition",
			in:   model(0, withDesired(variant("a", 10, 0, pod{kv: 0.79}, pod{kv: 0.79}), 2)),
			want: map[string]int{"a": 3},
		},
		{
			name: "variant with no replica reporting is left at current and not analysed",
			in:   model(0, variant("a", 10, 0, pod{kv: 0.79}), variant("cold", 1, 0)),
			want: map[string]int{"a": 2, "cold": 0},
		},
		{
			name: "no replica reports metrics: hold",
			in:   model(0, variant("a", 10, 2)),
			want: map[string]int{"a": 2}, inReason: "no replica reports metrics",
		},
		{
			name: "saturn extension: maxReplicas moves the scale-up to the next cheapest",
			in:   model(0, withMax(variant("cheap", 10, 0, pod{kv: 0.79}), 1), variant("dear", 20, 0, pod{kv: 0.79})),
			want: map[string]int{"cheap": 1, "dear": 2},
		},
		{
			name: "saturn extension: minReplicas stops a scale-down",
			in:   model(0, withMin(variant("a", 10, 0, pod{kv: 0.1}, pod{kv: 0.1}), 2)),
			want: map[string]int{"a": 2}, inReason: "every variant is at its minimum",
		},
		{
			name: "NaN sample: hold current and say why",
			in:   model(0, variant("a", 10, 0, pod{kv: math.NaN()}, pod{kv: 0.1})),
			want: map[string]int{"a": 2}, inReason: "invalid sample",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewWVAV1().Analyze(tc.in)
			require.Len(t, r.Targets, len(tc.in.Variants))
			assert.Equal(t, tc.want, targets(r), r.Reason)
			assert.Equal(t, "wva-v1", r.Analyzer)
			if tc.inReason != "" {
				assert.Contains(t, r.Reason, tc.inReason)
			}
		})
	}
}

func TestWVAV1ThresholdsFromConfig(t *testing.T) {
	in := model(0, variant("a", 10, 0, pod{kv: 0.6}, pod{kv: 0.1}, pod{kv: 0.1}))
	// Defaults: 0.6 is not saturated; spare (0.2+0.7+0.7)/3=0.533: no scale-up.
	r := NewWVAV1().Analyze(in)
	assert.Equal(t, 0, int(r.Inputs["saturated"]))
	// Lower kvCacheThreshold to 0.5: the 0.6 pod is saturated.
	in.Thresholds.KvCacheThreshold = 0.5
	r = NewWVAV1().Analyze(in)
	assert.Equal(t, 1, int(r.Inputs["saturated"]))
	assert.InDelta(t, 0.4, r.Inputs["avgSpareKV"], 1e-9)
}
