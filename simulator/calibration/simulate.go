package calibration

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/profiles"
)

// Workload is a benchmark client. Closed loop (Rate 0): Concurrency clients
// send Requests requests in total, each starting its next one when the
// previous finishes. Open loop (Rate > 0): Requests requests arrive as a
// Poisson process of Rate per second, whatever the server does, as
// `vllm bench serve --request-rate` sends them. Prompt and output lengths
// are drawn uniformly from their ranges.
type Workload struct {
	Name                 string
	Concurrency          int
	Rate                 float64
	Requests             int
	PromptMin, PromptMax int
	OutputMin, OutputMax int
	Seed                 uint64
}

// Result is what the benchmark client measures.
type Result struct {
	TTFTP50, TTFTMean  time.Duration
	TPOTP50, TPOTMean  time.Duration // (e2e - TTFT) / (output - 1), per request
	OutputTokensPerSec float64
	RequestsPerSec     float64
	Preemptions        int64
	// MeanInFlight is the time-average number of requests in the server
	// (queued or running), by Little's law: total latency / elapsed.
	MeanInFlight float64
}

// Simulate runs w against one replica of model m on accelerator a (the
// model's default tensor parallelism, vLLM defaults otherwise).
func Simulate(a profiles.Accelerator, m profiles.Model, w Workload) (Result, error) {
	return SimulateConfig(engine.Config{Accelerator: a, Model: m}, w)
}

// SimulateConfig runs w against one replica configured by cfg.
func SimulateConfig(cfg engine.Config, w Workload) (Result, error) {
	a, m := cfg.Accelerator, cfg.Model
	e, err := engine.New(cfg)
	if err != nil {
		return Result{}, fmt.Errorf("simulating %s on %s: %w", m.Name, a.Name, err)
	}
	if w.Rate < 0 || (w.Rate == 0 && (w.Concurrency < 1 || w.Requests < w.Concurrency)) || w.Requests < 1 || w.PromptMin < 1 || w.PromptMax < w.PromptMin || w.OutputMin < 2 || w.OutputMax < w.OutputMin {
		return Result{}, fmt.Errorf("simulating workload %q: concurrency, request count and length ranges are inconsistent: %+v", w.Name, w)
	}
	rng := rand.New(rand.NewPCG(w.Seed, 0x5a7))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sent := 0
	send := func(at time.Time) error {
		r := engine.Request{
			ID:           fmt.Sprint(sent),
			PromptTokens: w.PromptMin + rng.IntN(w.PromptMax-w.PromptMin+1),
			OutputTokens: w.OutputMin + rng.IntN(w.OutputMax-w.OutputMin+1),
		}
		sent++
		return e.Add(at, r)
	}
	// Open loop: the arrival times, drawn up front.
	var arrivals []time.Time
	if w.Rate > 0 {
		at := start
		for range w.Requests {
			arrivals = append(arrivals, at)
			at = at.Add(time.Duration(rng.ExpFloat64() / w.Rate * float64(time.Second)))
		}
	} else {
		for range w.Concurrency {
			if err := send(start); err != nil {
				return Result{}, err
			}
		}
	}
	var (
		ttft, tpot []time.Duration
		tokens     int
		last       time.Time
		events     []engine.Event
		inServer   time.Duration
	)
	for !e.Idle() || len(arrivals) > 0 {
		next, ok := e.NextEventTime()
		if len(arrivals) > 0 && (!ok || !arrivals[0].After(next)) {
			events = e.AdvanceInto(events[:0], arrivals[0])
			if err := send(arrivals[0]); err != nil {
				return Result{}, err
			}
			arrivals = arrivals[1:]
		} else if !ok {
			return Result{}, fmt.Errorf("simulating workload %q: engine stalled with %d requests in flight", w.Name, e.Requests())
		} else {
			events = e.AdvanceInto(events[:0], next)
		}
		for _, ev := range events {
			if ev.Kind != engine.EventFinished {
				continue
			}
			s := ev.Stats
			ttft = append(ttft, s.FirstToken.Sub(s.Arrival))
			tpot = append(tpot, s.Finished.Sub(s.FirstToken)/time.Duration(s.OutputTokens-1))
			tokens += s.OutputTokens
			last = s.Finished
			inServer += s.Finished.Sub(s.Arrival)
			if w.Rate == 0 && sent < w.Requests {
				if err := send(ev.Time); err != nil {
					return Result{}, err
				}
			}
		}
	}
	elapsed := last.Sub(start).Seconds()
	return Result{
		TTFTP50:            p50(ttft),
		TTFTMean:           mean(ttft),
		TPOTP50:            p50(tpot),
		TPOTMean:           mean(tpot),
		OutputTokensPerSec: float64(tokens) / elapsed,
		RequestsPerSec:     float64(len(ttft)) / elapsed,
		Preemptions:        e.Stats().Preemptions,
		MeanInFlight:       inServer.Seconds() / elapsed,
	}, nil
}

func p50(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func mean(d []time.Duration) time.Duration {
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}
