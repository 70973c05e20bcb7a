package planner

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// FuzzDecide drives the planner with arbitrary variant states and samples over two
// cycles: no panic, one decision per state, desired within [0, MaxTargetReplicas] and
// within maxReplicas when set.
func FuzzDecide(f *testing.F) {
	f.Add(2, 2, 0, 0, 0, 0.5, 1.0, 10.0, false, int64(60))
	f.Add(-3, 5, -1, -7, 99, math.NaN(), math.Inf(1), -1.0, true, int64(-5))
	f.Add(0, 0, 0, 0, 0, 0.0, 0.0, 0.0, true, int64(3600))
	f.Add(1<<30, 1<<30, 1<<30, 1<<30, 1<<30, 1e300, 1e300, 1e300, false, int64(1))
	f.Fuzz(func(t *testing.T, current, ready, desired, minR, maxR int, kv, waiting, cost float64, stale bool, gapSeconds int64) {
		v := saturation.VariantState{Name: "a", Namespace: "ns", ModelID: "m", TargetName: "a", Cost: cost,
			Current: current, Ready: ready, Desired: desired, Min: minR, Max: maxR, Pods: []string{"a-abc-0"}}
		w := saturation.VariantState{Name: "b", Namespace: "ns", ModelID: "m", TargetName: "b", Cost: 1, Current: 1, Ready: 0, Pods: []string{}}
		cfg := cfgWith(nil, map[string]string{"default": "enable_scale_to_zero: true\nretention_period: 1m\n"})
		p := NewPlanner(Options{})
		at := t0
		for range 2 {
			b := newSnap(at).pods("ns", "m", "a", podLoad{kv, waiting})
			s := b.build()
			s.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].Pods["a-abc-0"].Stale = stale
			ds := p.Decide(at, s, []saturation.VariantState{v, w}, config.Default())
			ds2 := p.Decide(at, s, []saturation.VariantState{v, w}, cfg)
			for _, d := range append(ds, ds2...) {
				require.GreaterOrEqual(t, d.Desired, 0)
				require.LessOrEqual(t, d.Desired, saturation.MaxTargetReplicas)
				if d.Variant == "a" && maxR > 0 {
					require.LessOrEqual(t, d.Desired, maxR)
				}
				require.NotEmpty(t, d.Reason)
			}
			at = at.Add(time.Duration(gapSeconds) * time.Second)
		}
	})
}
