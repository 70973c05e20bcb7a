package twin

import (
	"context"
	"testing"
	"time"

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
		rec, err := Run(context.Background(), sc, Options{NoYardstick: true})
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

// benchYardstick measures what the floor and the plan add to a run, as a
// multiple of the run's own wall time (the plan's budget is well under 10x).
func benchYardstick(b *testing.B, name string) {
	sc, err := scenarios.Load(name)
	require.NoError(b, err)
	var bare, full time.Duration
	replays := 0
	for i := 0; i < b.N; i++ {
		plans.reset()
		t0 := time.Now()
		_, err := Run(context.Background(), sc, Options{NoYardstick: true})
		require.NoError(b, err)
		t1 := time.Now()
		rec, err := Run(context.Background(), sc, Options{})
		require.NoError(b, err)
		bare, full = bare+t1.Sub(t0), full+time.Since(t1)
		replays = rec.Plan.Replays
	}
	b.ReportMetric((full-bare).Seconds()/bare.Seconds(), "yardstick-wall/run-wall")
	b.ReportMetric((full-bare).Seconds()/float64(b.N), "yardstick-s/op")
	b.ReportMetric(float64(replays), "replays")
}

// BenchmarkYardstickSpike is the floor and the plan of the spike scenario.
func BenchmarkYardstickSpike(b *testing.B) { benchYardstick(b, "spike") }

// BenchmarkYardstickDiurnal24h is the floor and the plan of the 24-hour
// scenario.
func BenchmarkYardstickDiurnal24h(b *testing.B) { benchYardstick(b, "diurnal-24h") }
