package realtime

import (
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// fakeEngine is a minimal engine for driver tests: every step lasts step, all
// admitted requests decode together, one token per step, and at most maxRunning
// run at once (the rest wait).
type fakeEngine struct {
	step       time.Duration
	maxRunning int
	stepEnd    time.Time // end of the step in progress; zero when idle
	running    []*fakeReq
	waiting    []*fakeReq
	stats      engine.Stats
	addErr     error
}

type fakeReq struct {
	r       engine.Request
	emitted int
	arrival time.Time
	first   time.Time
}

func (f *fakeEngine) Add(now time.Time, r engine.Request) error {
	if f.addErr != nil {
		return f.addErr
	}
	if r.OutputTokens <= 0 {
		return fmt.Errorf("%w: output tokens %d", engine.ErrInvalidRequest, r.OutputTokens)
	}
	f.waiting = append(f.waiting, &fakeReq{r: r, arrival: now})
	if f.stepEnd.IsZero() {
		f.stepEnd = now.Add(f.step)
		f.admit()
	}
	f.refresh()
	return nil
}

func (f *fakeEngine) admit() {
	for len(f.waiting) > 0 && len(f.running) < f.maxRunning {
		f.running = append(f.running, f.waiting[0])
		f.waiting = f.waiting[1:]
	}
}

func (f *fakeEngine) Abort(now time.Time, id string) bool {
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

func (f *fakeEngine) NextEventTime() (time.Time, bool) {
	return f.stepEnd, !f.stepEnd.IsZero()
}

func (f *fakeEngine) Advance(now time.Time) []engine.Event {
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
			f.stepEnd = end.Add(f.step)
		}
	}
	f.refresh()
	return events
}

func (f *fakeEngine) refresh() {
	f.stats.Running = len(f.running)
	f.stats.Waiting = len(f.waiting)
}

func (f *fakeEngine) Stats() engine.Stats { return f.stats }
