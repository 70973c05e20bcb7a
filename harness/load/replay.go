package load

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// Replayer sends requests at their scheduled arrival times through a Sender.
type Replayer struct {
	sender      Sender
	clock       clock.Clock
	maxInFlight int
	drain       time.Duration
	onStart     func(time.Time)
}

// OnStart registers f, called with the replay's start instant before any request is
// sent (e.g. to print the start line results are aligned on).
func (r *Replayer) OnStart(f func(time.Time)) { r.onStart = f }

// NewReplayer returns a replayer; maxInFlight <= 0 means no cap.
func NewReplayer(sender Sender, clk clock.Clock, maxInFlight int, drain time.Duration) *Replayer {
	return &Replayer{sender: sender, clock: clk, maxInFlight: maxInFlight, drain: drain}
}

// Stats summarises a replay.
type Stats struct {
	// Scheduled counts requests taken from the source; Sent those handed to the sender.
	Scheduled, Sent int64
	// Rejected counts requests recorded as errors because MaxInFlight was reached.
	Rejected int64
	// MaxLag is the latest a request was dispatched after its scheduled arrival.
	MaxLag time.Duration
	// Start is the instant arrivals count from.
	Start time.Time
}

// Run replays reqs (in arrival order) and calls sink once per request, from any
// goroutine, as responses complete. It returns when every request has been reported:
// after the last arrival it waits at most the drain period, then cuts the remaining
// requests off (reported lost). Cancelling ctx stops scheduling and cuts off in-flight
// requests the same way; requests not yet due are then neither sent nor reported.
func (r *Replayer) Run(ctx context.Context, reqs iter.Seq[scenario.Request], sink func(Result)) (Stats, error) {
	runCtx, cutOff := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cutOff(errReplayEnded)
	var (
		wg       sync.WaitGroup
		inFlight atomic.Int64
		stats    = Stats{Start: r.clock.Now()}
		lastAt   time.Duration
	)
	start := stats.Start
	if r.onStart != nil {
		r.onStart(start)
	}
	var stopErr error
	for req := range reqs {
		if req.Arrival < lastAt {
			stopErr = fmt.Errorf("request %d arrives at %s, before the previous one (%s): the source must be in arrival order", req.ID, req.Arrival, lastAt)
			break
		}
		lastAt = req.Arrival
		if wait := start.Add(req.Arrival).Sub(r.clock.Now()); wait > 0 {
			select {
			case <-r.clock.After(wait):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			stopErr = fmt.Errorf("replay interrupted at %s: %w", r.clock.Since(start).Round(time.Millisecond), context.Cause(ctx))
			break
		}
		stats.Scheduled++
		if lag := r.clock.Since(start) - req.Arrival; lag > stats.MaxLag {
			stats.MaxLag = lag
		}
		if r.maxInFlight > 0 && inFlight.Load() >= int64(r.maxInFlight) {
			stats.Rejected++
			sink(Result{
				ID: req.ID, Class: req.Class, Phase: req.Phase, Stream: req.Stream, Status: record.StatusError,
				Arrival: req.Arrival, Sent: r.clock.Since(start), PromptTokens: req.PromptTokens,
				Error: fmt.Sprintf("not sent: %d requests already in flight (raise --max-in-flight)", r.maxInFlight),
			})
			continue
		}
		stats.Sent++
		inFlight.Add(1)
		wg.Add(1)
		go func(req scenario.Request) {
			defer wg.Done()
			res := r.sender.Send(runCtx, req, start)
			inFlight.Add(-1)
			sink(res)
		}(req)
	}
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-r.clock.After(r.drain):
		cutOff(errReplayEnded)
		<-drained
	case <-ctx.Done():
		cutOff(errReplayEnded)
		<-drained
	}
	return stats, stopErr
}
