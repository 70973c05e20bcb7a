package planner

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// Whatever the load, when any input of a model is missing, stale or failed, no variant of
// that model goes below its previous decision, and none goes to zero.
func TestNeverScaleDownBlind(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cfg := cfgWith(map[string]string{"default": "scaleDownStabilizationWindow: 0s\n"},
		map[string]string{"default": "enable_scale_to_zero: true\nretention_period: 1m\n"})
	for iter := range 500 {
		p := NewPlanner(Options{})
		var states []saturation.VariantState
		build := func(at time.Time) collector.Snapshot {
			b := newSnap(at)
			for _, s := range states {
				loads := make([]podLoad, s.Ready)
				for i := range loads {
					loads[i] = podLoad{r.Float64() * 0.3, 0}
				}
				b.pods(s.Namespace, s.ModelID, s.Name, loads...)
			}
			return b.build()
		}
		for m := range 1 + r.IntN(3) {
			for v := range 1 + r.IntN(2) {
				n := 1 + r.IntN(5)
				st := state(fmt.Sprintf("m%d-v%d", m, v), float64(1+r.IntN(9)), n, n)
				st.ModelID = fmt.Sprintf("model-%d", m)
				states = append(states, st)
			}
		}
		first := p.Decide(t0, build(t0), states, cfg)
		at := t0.Add(time.Hour)
		snap := build(at)
		// Break one thing.
		blindModel := states[r.IntN(len(states))].ModelID
		mm := snap.Models[collector.ModelKey{Namespace: "ns", ModelID: blindModel}]
		var pod string
		for name := range mm.Pods {
			pod = name
			break
		}
		switch r.IntN(4) {
		case 0:
			delete(mm.Pods, pod)
		case 1:
			mm.Pods[pod].Stale = true
		case 2:
			mm.Pods[pod].Waiting = nan()
		default:
			snap.Failed[collector.QueryKV] = errors.New("boom")
		}
		second := p.Decide(at, snap, states, cfg)
		for i, d := range second {
			if d.ModelID != blindModel && snap.Failed[collector.QueryKV] == nil {
				continue
			}
			require.False(t, d.MetricsAvailable && d.ModelID == blindModel && snap.Failed[collector.QueryKV] != nil, "iter %d", iter)
			require.GreaterOrEqual(t, d.Desired, first[i].Desired, "iter %d %s: %s", iter, d.Variant, d.Reason)
			require.Positive(t, d.Desired, "iter %d %s: %s", iter, d.Variant, d.Reason)
		}
	}
}
