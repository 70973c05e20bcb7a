package realtimetest

import (
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// FixedStep is a minimal engine for tests of drivers and servers: every step
// lasts Step, all admitted requests decode together, one token per step (the
// first token after one step, prefill is free), and at most MaxRunning run at
// once while the rest wait. It models nothing else. AddErr, if set, is
// returned by every Add.
type FixedStep struct {
	Step       time.Duration
	MaxRunning int
	AddErr     error

	stepEnd time.Time // end of the step in progress; zero when idle
	running []*fakeReq
	waiting []*fakeReq
	stats   engine.Stats
}

type fakeReq struct {
	r       engine.Request
	emitted int
	arrival time.Time
	first   time.Time
}

// Add queues r.
func (f *FixedStep) Add(now time.Time, r engine.Request) error {
	if f.AddErr != nil {
		return f.AddErr
	}
	if r.OutputTokens <= 0 {
		return fmt.Errorf("%w: output tokens %d", engine.ErrInvalidRequest, r.OutputTokens)
	}
	f.waiting = append(f.waiting, &fakeReq{r: r, arrival: now})
	if f.stepEnd.IsZero() {
		f.stepEnd = now.Add(f.Step)
		f.admit()
	}
	f.refresh()
	return nil
}

func (f *FixedStep) admit() {
	for len(f.waiting) > 0 && len(f.running) < f.MaxRunning {
		f.running = append(f.running, f.waiting[0])
		f.waiting = f.waiting[1:]
	}
}

// Abort drops id.
func (f *FixedStep) Abort(now time.Time, id string) bool {
	for i, q := range f.running {
		if q.r.ID == id {
			f.running = append(f.running[:i], f.running[i+1:]...)
			f.refresh()
			return true
		}
	}
	for i, q := range f.waiting {
		if q.r.ID == id {
			f.waiting = append(f.waiting[:i], f.waiting[i+1:]...)
			f.refresh()
			return true
		}
	}
	return false
}

// NextEventTime is the end of the step in progress.
func (f *FixedStep) NextEventTime() (time.Time, bool) {
	return f.stepEnd, !f.stepEnd.IsZero()
}

// Advance runs every step ending at or before now.
func (f *FixedStep) Advance(now time.Time) []engine.Event {
	var events []engine.Event
	for !f.stepEnd.IsZero() && !f.stepEnd.After(now) {
		end := f.stepEnd
		f.stats.Steps++
		var still []*fakeReq
		for _, q := range f.running {
			kind := engine.EventToken
			if q.emitted == 0 {
				kind = engine.EventFirstToken
				q.first = end
			}
			events = append(events, engine.Event{Kind: kind, ID: q.r.ID, Time: end, Index: q.emitted})
			q.emitted++
			f.stats.GenerationTokens++
			if q.emitted == q.r.OutputTokens {
				reason := engine.FinishLength
				if q.r.Stop {
					reason = engine.FinishStop
				}
				events = append(events, engine.Event{Kind: engine.EventFinished, ID: q.r.ID, Time: end, Index: q.emitted, Reason: reason,
					Stats: engine.RequestStats{Arrival: q.arrival, Scheduled: q.arrival, FirstToken: q.first, Finished: end, PromptTokens: q.r.PromptTokens, OutputTokens: q.emitted}})
				continue
			}
			still = append(still, q)
		}
		f.running = still
		f.admit()
		if len(f.running) == 0 {
			f.stepEnd = time.Time{}
		} else {
			f.stepEnd = end.Add(f.Step)
		}
	}
	f.refresh()
	return events
}

func (f *FixedStep) refresh() {
	f.stats.Running = len(f.running)
	f.stats.Waiting = len(f.waiting)
}

// Stats returns running and waiting counts, steps and generated tokens.
func (f *FixedStep) Stats() engine.Stats { return f.stats }
