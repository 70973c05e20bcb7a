package realtime

import (
	"context"
	"fmt"

	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// Instant finishes every request the moment it is submitted, with all its
// tokens: the server's --no-latency mode, for measuring clients rather than
// the simulated accelerator.
type Instant struct {
	clk clock.PassiveClock
}

// NewInstant returns an Instant backend reading time from clk.
func NewInstant(clk clock.PassiveClock) *Instant {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Instant{clk: clk}
}

// Submit returns a finished stream for r.
func (i *Instant) Submit(_ context.Context, r engine.Request, notify chan<- struct{}) (*Stream, error) {
	if r.ID == "" || r.PromptTokens <= 0 || r.OutputTokens <= 0 {
		return nil, fmt.Errorf("adding request %q: %w: want an id and positive token counts, got prompt %d output %d",
			r.ID, engine.ErrInvalidRequest, r.PromptTokens, r.OutputTokens)
	}
	now := i.clk.Now()
	reason := engine.FinishLength
	if r.Stop {
		reason = engine.FinishStop
	}
	s := newStream(r.ID, notify)
	s.p = Progress{
		Tokens:      r.OutputTokens,
		LastTokenAt: now,
		Done:        true,
		Reason:      reason,
		Stats: engine.RequestStats{
			Arrival: now, Queued: now, Scheduled: now, FirstToken: now, Finished: now,
			PromptTokens: r.PromptTokens, OutputTokens: r.OutputTokens,
		},
	}
	s.signal()
	return s, nil
}

// Abort does nothing: instant requests are finished before anyone can abort.
func (i *Instant) Abort(string) {}
