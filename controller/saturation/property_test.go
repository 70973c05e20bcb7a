package saturation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomModel draws a model with 1-3 variants, 0-5 ready pods each, maybe pending
// replicas, random bounds and costs.
func randomModel(r *rand.Rand) ModelInput {
	in := model(float64(r.IntN(4000)))
	switch r.IntN(8) {
	case 0:
		in.MeanPromptTokens = 0
	case 1:
		in.MeanPromptTokens = math.NaN() // unknown: no prompt histogram yet
	}
	if r.IntN(3) == 0 {
		in.Capacity.ConcurrencyTarget = 0.05 + 0.95*r.Float64()
	}
	if r.IntN(4) == 0 {
		in.Capacity.SaturationConcurrency = float64(1 + r.IntN(300))
	}
	capKnown := r.IntN(4) != 0
	for v := range 1 + r.IntN(3) {
		var pods []pod
		capacity := 0.0
		if capKnown {
			capacity = float64(1000 * (1 + r.IntN(50)))
		}
		for range r.IntN(6) {
			pods = append(pods, pod{kv: r.Float64(), waiting: float64(r.IntN(12)), capacity: capacity})
		}
		vi := variant(fmt.Sprintf("v%d", v), float64(1+r.IntN(30)), r.IntN(3)*r.IntN(2), pods...)
		for j := range vi.Replicas {
			vi.Replicas[j].Running = float64(r.IntN(300))
			if r.IntN(2) == 0 { // the planner's sustained waiting, at most the peak
				vi.Replicas[j].SustainedKnown = true
				vi.Replicas[j].SustainedWaiting = float64(r.IntN(int(vi.Replicas[j].Waiting) + 1))
			}
		}
		switch r.IntN(3) { // what the planner remembers
		case 0:
			vi.SaturationConcurrency = float64(1 + r.IntN(300))
		case 1:
			vi.HealthyConcurrency = float64(r.IntN(100))
		}
		if r.IntN(3) == 0 {
			vi.Max = vi.Current + r.IntN(5)
			vi.Max = max(vi.Max, 1)
		}
		if r.IntN(4) == 0 {
			vi.Min = r.IntN(3)
		}
		if r.IntN(5) == 0 {
			vi.Stuck = r.IntN(vi.Pending() + 1)
		}
		in.Variants = append(in.Variants, vi)
	}
	return in
}

// moreLoad returns a copy of in where one pod has more KV in use, more running requests
// or more waiting requests (peak and sustained), or the mean prompt is longer. What the
// planner remembers (saturation and healthy concurrency) is the same in both.
func moreLoad(r *rand.Rand, in ModelInput) ModelInput {
	out := in
	out.Variants = make([]VariantInput, len(in.Variants))
	for i, v := range in.Variants {
		v.Replicas = append([]ReplicaMetrics(nil), v.Replicas...)
		out.Variants[i] = v
	}
	var withPods []int
	for i, v := range out.Variants {
		if len(v.Replicas) > 0 {
			withPods = append(withPods, i)
		}
	}
	if len(withPods) == 0 || r.IntN(6) == 0 {
		out.MeanPromptTokens += float64(1 + r.IntN(2000))
		return out
	}
	v := &out.Variants[withPods[r.IntN(len(withPods))]]
	p := &v.Replicas[r.IntN(len(v.Replicas))]
	switch r.IntN(3) {
	case 0:
		p.KVUsage += (1 - p.KVUsage) * r.Float64()
	case 1:
		p.Running += float64(1 + r.IntN(100))
	default:
		more := float64(1 + r.IntN(20))
		p.Waiting += more
		if p.SustainedKnown {
			p.SustainedWaiting += float64(r.IntN(int(more) + 1))
		}
	}
	return out
}

// In capacity mode more load never yields fewer replicas, for any variant.
func TestCapacityMoreLoadNeverFewerReplicas(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 2026))
	a := NewCapacity()
	for iter := range 20000 {
		base := randomModel(r)
		more := moreLoad(r, base)
		rb, rm := a.Analyze(base), a.Analyze(more)
		for i := range base.Variants {
			require.GreaterOrEqual(t, rm.Targets[i].Replicas, rb.Targets[i].Replicas,
				"iteration %d variant %s: more load gave fewer replicas\nbase: %s\nmore: %s",
				iter, base.Variants[i].Name, rb.Reason, rm.Reason)
		}
	}
}

// Every analyzer returns one target per variant, never negative, within bounds it did not
// already exceed, on random inputs.
func TestAnalyzersInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, a := range []Analyzer{NewCapacity(), NewWVAV1()} {
		for range 5000 {
			in := randomModel(r)
			res := a.Analyze(in)
			require.Len(t, res.Targets, len(in.Variants))
			require.NotEmpty(t, res.Reason)
			for k, v := range res.Inputs {
				require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s: input %s = %v is not finite (records encode inputs as JSON)", a.Name(), k, v)
			}
			for i, tg := range res.Targets {
				v := in.Variants[i]
				require.Equal(t, v.Name, tg.Variant)
				require.GreaterOrEqual(t, tg.Replicas, 0)
				if v.Max > 0 && tg.Replicas > v.Current {
					require.LessOrEqual(t, tg.Replicas, v.Max, "%s: %s", a.Name(), res.Reason)
				}
				if tg.Replicas < v.Current {
					require.GreaterOrEqual(t, tg.Replicas, max(v.Min, 1), "%s: %s", a.Name(), res.Reason)
				}
			}
		}
	}
}
