package twin

import (
	"context"
	"testing"

	"github.com/saturn-autoscaler/saturn/scenarios"
	"github.com/stretchr/testify/require"
)

func benchScenario(b *testing.B, name string) {
	sc, err := scenarios.Load(name)
	require.NoError(b, err)
	b.ReportAllocs()
	var requests int
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec, err := Run(context.Background(), sc, Options{NoOracle: true})
		require.NoError(b, err)
		requests = len(rec.Requests)
	}
	wall := b.Elapsed().Seconds() / float64(b.N)
	if cpu := (cpuTime() - cpu0).Seconds() / float64(b.N); cpu > 0 {
		b.ReportMetric(cpu, "cpu-s/op")
	}
	b.ReportMetric(sc.Spec.Duration.Seconds()/wall, "sim-s/wall-s")
	b.ReportMetric(float64(requests)/wall, "requests/wall-s")
	b.ReportMetric(float64(requests), "requests")
}

// BenchmarkDiurnal24h is the 24-hour diurnal scenario (~2M requests, up to
// ~40 replicas); the target is under 60 s per run on 2 cores.
func BenchmarkDiurnal24h(b *testing.B) { benchScenario(b, "diurnal-24h") }

// BenchmarkSpike is the 1-hour spike scenario; the target is under 3 s.
func BenchmarkSpike(b *testing.B) { benchScenario(b, "spike") }
