package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// saturatedRun simulates horizon of a Llama-3.1-8B H100 replica fed above
// its capacity and returns the number of requests finished.
func saturatedRun(b *testing.B, tokens bool, horizon time.Duration, ids []string) int {
	cfg := testConfig(b, "H100", llama8B)
	cfg.TokenEvents = tokens
	e, err := New(cfg)
	require.NoError(b, err)
	rng := rand.New(rand.NewPCG(1, 2))
	const rate = 60.0 // requests/s; the replica serves about 40
	var events []Event
	finished := 0
	at := time.Duration(0)
	for i := 0; at < horizon; i++ {
		at += time.Duration(rng.ExpFloat64() / rate * 1e9)
		now := epoch.Add(at)
		events = e.AdvanceInto(events[:0], now)
		for j := range events {
			if events[j].Kind == EventFinished {
				finished++
			}
		}
		err := e.Add(now, Request{ID: ids[i%len(ids)], PromptTokens: 256 + rng.IntN(768), OutputTokens: 64 + rng.IntN(448)})
		if err != nil {
			b.Fatal(err)
		}
	}
	return finished
}

func benchmarkSaturated(b *testing.B, tokens bool) {
	const horizon = 10 * time.Minute
	ids := make([]string, 100_000) // reused: far more than can be in flight
	for i := range ids {
		ids[i] = fmt.Sprint("req-", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	finished := 0
	for i := 0; i < b.N; i++ {
		finished += saturatedRun(b, tokens, horizon, ids)
	}
	wall := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)*horizon.Seconds()/wall, "sim-s/wall-s")
	b.ReportMetric(float64(finished)/(float64(b.N)*horizon.Seconds()), "finished/sim-s")
}

// BenchmarkSaturatedH100 reports simulated seconds per wall second for a
// saturated Llama-3.1-8B H100 replica, as the twin drives it (TokenEvents off).
func BenchmarkSaturatedH100(b *testing.B) {
	b.Run("TokenEvents=false", func(b *testing.B) { benchmarkSaturated(b, false) })
	b.Run("TokenEvents=true", func(b *testing.B) { benchmarkSaturated(b, true) })
}
