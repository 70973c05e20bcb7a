package saturation

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Capacity expectations, by hand: default thresholds give a utilisation target of
// 0.80-0.10 = 0.70 and, while no saturation concurrency is known, a queue target of
// queueLengthThreshold = 5 waiting per replica; pods hold 10,000 KV tokens unless stated.
// (The planner, not the analyzer, bounds how many replicas one decision removes.)
func TestCapacityTable(t *testing.T) {
	const c = 10000
	tests := []struct {
		name     string
		in       ModelInput
		want     map[string]int
		inReason string
	}{
		{
			name: "2 pods at 0.8: 16000 tokens need 22857 > 20000, +1",
			in:   model(500, variant("a", 10, 0, pod{0.8, 0, c}, pod{0.8, 0, c})),
			want: map[string]int{"a": 3}, inReason: "needs 22857 tokens",
		},
		{
			// 18000 in use + 2 x 5 waiting (a pod's queue counts up to queueLengthThreshold)
			// x 1000 = 28000 -> 40000 tokens = 4 replicas; the queue rule needs 20/5 = 4 too.
			name: "one decision: 2 pods at 0.9 with 10 waiting each need 4 replicas",
			in:   model(1000, variant("a", 10, 0, pod{0.9, 10, c}, pod{0.9, 10, c})),
			want: map[string]int{"a": 4}, inReason: "20 waiting need 4 replicas at 5 per replica",
		},
		{
			name: "queue rule without KV pressure: 2 idle-KV pods with 10 waiting each need 20/5 = 4",
			in:   model(0, variant("a", 10, 0, pod{0.1, 10, c}, pod{0.1, 10, c})),
			want: map[string]int{"a": 4}, inReason: "20 waiting need 4 replicas",
		},
		{
			name: "waiting prompt tokens count: 18000 in use + 2x1000 waiting = 20000 need 28571, +1",
			in:   model(1000, variant("a", 10, 0, pod{0.9, 1, c}, pod{0.9, 1, c})),
			want: map[string]int{"a": 3}, inReason: "2 waiting x 1000 mean prompt tokens",
		},
		{
			name: "large KV deficit in one step: 4 pods at 0.95 and 16 waiting x 2000 tokens",
			// used 38000 + 32000 = 70000 -> need 100000 tokens = 10 replicas; queue 16/2 = 8.
			in:   model(2000, variant("a", 10, 0, pod{0.95, 4, c}, pod{0.95, 4, c}, pod{0.95, 4, c}, pod{0.95, 4, c})),
			want: map[string]int{"a": 10},
		},
		{
			name: "cheapest variant with headroom takes the replicas",
			in:   model(0, variant("dear", 20, 0, pod{0.9, 0, c}), variant("cheap", 5, 0, pod{0.9, 0, c})),
			// 18000 -> need 25714, supply 20000 -> +1 on cheap.
			want: map[string]int{"dear": 1, "cheap": 2},
		},
		{
			name: "maxReplicas spills the rest to the next cheapest, in its own capacity",
			// used 0.9x10000 + 0.9x20000 = 27000 + 20 waiting x 1000 = 47000 -> need 67143,
			// supply 30000: deficit 37143; queue 20/5 = 4 replicas, supply 2 -> 2 more.
			// cheap (max 3): +2 (-> 20000 tokens, queue satisfied); dear pods hold 20000:
			// ceil(17143/20000) = +1.
			in:   model(1000, withMax(variant("cheap", 5, 0, pod{0.9, 10, c}), 3), variant("dear", 20, 0, pod{0.9, 10, 2 * c})),
			want: map[string]int{"cheap": 3, "dear": 2},
		},
		{
			name: "every variant at max: no change, reason says so",
			in:   model(0, withMax(variant("a", 5, 0, pod{0.95, 0, c}), 1)),
			want: map[string]int{"a": 1}, inReason: "every variant is at maxReplicas",
		},
		{
			name: "pending replica counts as supply: 2 ready at 0.8 + 1 starting = 30000 >= 22857",
			in:   model(0, variant("a", 10, 1, pod{0.8, 0, c}, pod{0.8, 0, c})),
			want: map[string]int{"a": 3}, inReason: "1 starting replicas counted as supply",
		},
		{
			name: "a stuck replica is not supply: 2 ready at 0.8 + 1 stuck = 20000 < 22857, +1",
			in:   model(0, withStuck(variant("a", 10, 1, pod{0.8, 0, c}, pod{0.8, 0, c}), 1)),
			want: map[string]int{"a": 4}, inReason: "1 stuck replicas not counted",
		},
		{
			name: "a stuck replica does not block scale-down",
			in:   model(0, withStuck(variant("a", 10, 1, pod{0.0, 0, c}, pod{0.0, 0, c}, pod{0.0, 0, c}), 1)),
			want: map[string]int{"a": 2},
		},
		{
			name: "no scale-down while a replica is starting",
			in:   model(0, variant("a", 10, 1, pod{0.0, 0, c}, pod{0.0, 0, c})),
			want: map[string]int{"a": 3}, inReason: "no scale-down while replicas are starting",
		},
		{
			name: "idle pool of 4 drains to 1 in one recommendation",
			// 4000 tokens need 5714: supply 40000 -> 30000 -> 20000 -> 10000, floor 1; no
			// request runs, so the concurrency allows it too.
			in:   model(0, variant("a", 10, 0, pod{0.1, 0, c}, pod{0.1, 0, c}, pod{0.1, 0, c}, pod{0.1, 0, c})),
			want: map[string]int{"a": 1},
		},
		{
			name: "scale-down stops where N-1 would break the target",
			// 4 x 0.3 x 10000 = 12000 -> need 17143: 40000 -> 30000 -> 20000 ok, 10000 not.
			in:   model(0, variant("a", 10, 0, pod{0.3, 0, c}, pod{0.3, 0, c}, pod{0.3, 0, c}, pod{0.3, 0, c})),
			want: map[string]int{"a": 2},
		},
		{
			name: "scale-down removes from the most expensive variant first",
			// 4 x 0.2 x 10000 = 8000 -> need 11429: dear 2 -> 1 (30000, its floor), then
			// cheap 2 -> 1 (20000); both at their floor of one replica.
			in:   model(0, variant("cheap", 5, 0, pod{0.2, 0, c}, pod{0.2, 0, c}), variant("dear", 20, 0, pod{0.2, 0, c}, pod{0.2, 0, c})),
			want: map[string]int{"cheap": 1, "dear": 1},
		},
		{
			name: "queue blocks scale-down: 4 waiting need 2 replicas",
			in:   model(0, variant("a", 10, 0, pod{0.0, 2, c}, pod{0.0, 2, c})),
			want: map[string]int{"a": 2},
		},
		{
			name: "minReplicas is a floor for scale-down",
			in:   model(0, withMin(variant("a", 10, 0, pod{0, 0, c}, pod{0, 0, c}, pod{0, 0, c}), 2)),
			want: map[string]int{"a": 2},
		},
		{
			name: "capacity unknown: KV fractions, 2 x 0.8 = 1.6 replicas need 2.29, +1",
			in:   model(500, variant("a", 10, 0, pod{0.8, 0, 0}, pod{0.8, 0, 0})),
			want: map[string]int{"a": 3}, inReason: "capacity unknown",
		},
		{
			name: "no ready replica reports: hold",
			in:   model(0, variant("a", 10, 2)),
			want: map[string]int{"a": 2}, inReason: "no ready replica reports metrics",
		},
		{
			name: "Inf sample: hold",
			in:   model(0, variant("a", 10, 0, pod{0.1, math.Inf(1), c})),
			want: map[string]int{"a": 1}, inReason: "invalid sample",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewCapacity().Analyze(tc.in)
			require.Len(t, r.Targets, len(tc.in.Variants))
			assert.Equal(t, tc.want, targets(r), r.Reason)
			assert.Equal(t, "capacity", r.Analyzer)
			if tc.inReason != "" {
				assert.Contains(t, r.Reason, tc.inReason)
			}
		})
	}
}

func TestNewAnalyzer(t *testing.T) {
	for _, name := range []string{"capacity", "wva-v1"} {
		a, err := New(name)
		require.NoError(t, err)
		assert.Equal(t, name, a.Name())
	}
	_, err := New("magic")
	require.ErrorContains(t, err, `unknown analyzer "magic"`)
}
