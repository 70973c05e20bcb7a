package saturation

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkAnalyze runs each analyzer on a 3-variant model with 8 pods per variant.
func BenchmarkAnalyze(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	var vs []VariantInput
	for v, name := range []string{"l40s", "a100", "h100"} {
		var pods []pod
		for range 8 {
			pods = append(pods, pod{kv: r.Float64(), waiting: float64(r.IntN(6)), capacity: 20000})
		}
		vs = append(vs, variant(name, float64(5*(v+1)), 0, pods...))
	}
	in := model(700, vs...)
	for _, a := range []Analyzer{NewCapacity(), NewWVAV1()} {
		b.Run(a.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if res := a.Analyze(in); len(res.Targets) != 3 {
					b.Fatal("missing targets")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/model")
		})
	}
}

// BenchmarkUtilisationFor is the queue model's cost per variant and cycle with a TTFT
// objective: vLLM's default 256 slots, and the 1024 the model counts at most.
func BenchmarkUtilisationFor(b *testing.B) {
	for _, slots := range []float64{256, 1024} {
		b.Run(fmt.Sprintf("slots=%.0f", slots), func(b *testing.B) {
			for b.Loop() {
				// A rate at which the budget binds, so that the search runs in full.
				if rho, _, ok := utilisationFor(flat(slots, slots/16), slots, 200, 2*time.Second); !ok || rho <= minUtilisation {
					b.Fatalf("utilisation %v, %v", rho, ok)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/variant")
		})
	}
}
