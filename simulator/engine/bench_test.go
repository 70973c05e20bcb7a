package engine

import (
	"fmt"
	"math"
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
	start, cpu := time.Now(), cpuTime()
	finished := 0
	for i := 0; i < b.N; i++ {
		finished += saturatedRun(b, tokens, horizon, ids)
	}
	wall := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)*horizon.Seconds()/wall, "sim-s/wall-s")
	if used := (cpuTime() - cpu).Seconds(); used > 0 {
		b.ReportMetric(float64(b.N)*horizon.Seconds()/used, "sim-s/cpu-s")
	}
	b.ReportMetric(float64(finished)/(float64(b.N)*horizon.Seconds()), "finished/sim-s")
}

// BenchmarkSaturatedH100 reports simulated seconds per wall second for a
// saturated Llama-3.1-8B H100 replica, as the twin drives it (TokenEvents off).
func BenchmarkSaturatedH100(b *testing.B) {
	b.Run("TokenEvents=false", func(b *testing.B) { benchmarkSaturated(b, false) })
	b.Run("TokenEvents=true", func(b *testing.B) { benchmarkSaturated(b, true) })
}

// BenchmarkDayReplica replays one replica's share of the twin's 24-hour
// diurnal scenario (2M requests over about 40 replicas: 50,000 requests),
// arrivals following a sine between 10% and 100% of the replica's capacity.
// It reports simulated seconds per wall second and wall time per request.
func BenchmarkDayReplica(b *testing.B) {
	const (
		day      = 24 * time.Hour
		requests = 50_000
	)
	ids := make([]string, requests)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	cfg := testConfig(b, "H100", llama8B)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		e, err := New(cfg)
		require.NoError(b, err)
		rng := rand.New(rand.NewPCG(3, 4))
		var events []Event
		mean := float64(requests) / day.Seconds()
		at := 0.0
		for n := 0; n < requests; n++ {
			// thinning-free approximation: rate varies slowly against gaps
			rate := mean * (1 + 0.8*math.Sin(2*math.Pi*at/day.Seconds()))
			at += rng.ExpFloat64() / rate
			now := epoch.Add(time.Duration(at * 1e9))
			events = e.AdvanceInto(events[:0], now)
			require.NoError(b, e.Add(now, Request{ID: ids[n], PromptTokens: 128 + rng.IntN(1920), OutputTokens: 16 + rng.IntN(1000)}))
		}
		for {
			next, ok := e.NextEventTime()
			if !ok {
				break
			}
			events = e.AdvanceInto(events[:0], next)
		}
	}
	wall := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)*day.Seconds()/wall, "sim-s/wall-s")
	if used := (cpuTime() - cpu).Seconds(); used > 0 {
		b.ReportMetric(float64(b.N)*day.Seconds()/used, "sim-s/cpu-s")
	}
	b.ReportMetric(wall*1e9/float64(b.N*requests), "ns/request")
}
