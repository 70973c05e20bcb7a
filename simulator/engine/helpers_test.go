package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/simulator/profiles"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func testConfig(t testing.TB, acc, model string) Config {
	t.Helper()
	a, err := profiles.LookupAccelerator(acc)
	require.NoError(t, err)
	m, err := profiles.LookupModel(model)
	require.NoError(t, err)
	return Config{Accelerator: a, Model: m}
}

const llama8B = "meta-llama/Llama-3.1-8B-Instruct"

func newEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	require.NoError(t, err)
	return e
}

// arrival is one request of a generated workload; a non-zero abortAfter
// aborts it that long after its arrival.
type arrival struct {
	at         time.Duration
	r          Request
	abortAfter time.Duration
}

// workload draws n Poisson arrivals at rate per second with uniform lengths.
func workload(seed uint64, n int, rate float64, maxPrompt, maxOutput int, groups int) []arrival {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]arrival, n)
	at := time.Duration(0)
	for i := range out {
		at += time.Duration(rng.ExpFloat64() / rate * 1e9)
		r := Request{
			ID:           fmt.Sprintf("r%d", i),
			PromptTokens: 1 + rng.IntN(maxPrompt),
			OutputTokens: 1 + rng.IntN(maxOutput),
			Stop:         rng.IntN(2) == 0,
		}
		if groups > 0 && rng.IntN(2) == 0 {
			r.PrefixGroup = fmt.Sprintf("g%d", rng.IntN(groups))
			r.PrefixTokens = min(r.PromptTokens, 512)
		}
		out[i] = arrival{at: at, r: r}
	}
	return out
}

// drive feeds the workload to e, calling check after every call, and
// returns every event.
func drive(t testing.TB, e *Engine, w []arrival, check func()) []Event {
	t.Helper()
	var events []Event
	type abort struct {
		at time.Duration
		id string
	}
	var aborts []abort // sorted by time
	doAborts := func(until time.Duration) {
		for len(aborts) > 0 && aborts[0].at <= until {
			events = e.AdvanceInto(events, epoch.Add(aborts[0].at))
			e.Abort(epoch.Add(aborts[0].at), aborts[0].id)
			aborts = aborts[1:]
			if check != nil {
				check()
			}
		}
	}
	for _, a := range w {
		doAborts(a.at)
		events = e.AdvanceInto(events, epoch.Add(a.at))
		require.NoError(t, e.Add(epoch.Add(a.at), a.r))
		if check != nil {
			check()
		}
		if a.abortAfter > 0 {
			at := a.at + a.abortAfter
			i := len(aborts)
			for i > 0 && aborts[i-1].at > at {
				i--
			}
			aborts = append(aborts, abort{})
			copy(aborts[i+1:], aborts[i:])
			aborts[i] = abort{at: at, id: a.r.ID}
		}
	}
	doAborts(1 << 62)
	// Drain, stepping through NextEventTime: every call must make progress.
	for i := 0; i < 10_000_000; i++ {
		next, ok := e.NextEventTime()
		if !ok {
			break
		}
		events = e.AdvanceInto(events, next)
		if check != nil {
			check()
		}
		if after, ok := e.NextEventTime(); ok && !after.After(next) {
			t.Fatalf("Advance(NextEventTime() = %v) made no progress: next is still %v", next, after)
		}
	}
	require.True(t, e.Idle(), "engine must drain")
	return events
}
