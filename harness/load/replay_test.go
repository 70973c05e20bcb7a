package load

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// blockingSender records when each request was handed to it and holds every request
// until release is closed or the replay cuts it off.
type blockingSender struct {
	clock   *testingclock.FakeClock
	release chan struct{}
	sent    chan time.Time
}

func (s *blockingSender) Send(ctx context.Context, req scenario.Request, start time.Time) Result {
	s.sent <- s.clock.Now()
	res := Result{ID: req.ID, Arrival: req.Arrival, Sent: s.clock.Since(start)}
	select {
	case <-s.release:
		res.Status, res.Finish = record.StatusOK, s.clock.Since(start)
	case <-ctx.Done():
		res.Status, res.Error = record.StatusLost, context.Cause(ctx).Error()
	}
	return res
}

func arrivals(offsets ...time.Duration) iter.Seq[scenario.Request] {
	return func(yield func(scenario.Request) bool) {
		for i, at := range offsets {
			if !yield(scenario.Request{ID: int64(i), Arrival: at, PromptTokens: 1, OutputTokens: 1}) {
				return
			}
		}
	}
}

type collector struct {
	mu      sync.Mutex
	results []Result
}

func (c *collector) add(r Result) { c.mu.Lock(); c.results = append(c.results, r); c.mu.Unlock() }

func (c *collector) sorted() []Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.results)
	slices.SortFunc(out, func(a, b Result) int { return int(a.ID - b.ID) })
	return out
}

// stepWhenWaiting advances the fake clock by d once the replayer waits on it.
func stepWhenWaiting(t *testing.T, fc *testingclock.FakeClock, d time.Duration) {
	t.Helper()
	require.Eventually(t, fc.HasWaiters, 5*time.Second, time.Millisecond, "replayer never waited on the clock")
	fc.Step(d)
}

type runResult struct {
	stats Stats
	err   error
}

func startReplay(r *Replayer, ctx context.Context, reqs iter.Seq[scenario.Request], c *collector) chan runResult {
	done := make(chan runResult, 1)
	go func() {
		st, err := r.Run(ctx, reqs, c.add)
		done <- runResult{st, err}
	}()
	return done
}

func TestReplayerIsOpenLoop(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	fc := testingclock.NewFakeClock(t0)
	s := &blockingSender{clock: fc, release: make(chan struct{}), sent: make(chan time.Time, 10)}
	var c collector
	done := startReplay(NewReplayer(s, fc, 0, time.Minute), context.Background(),
		arrivals(0, time.Second, 2500*time.Millisecond), &c)

	// Every request leaves at its arrival time although none has been answered.
	assert.Equal(t, t0, <-s.sent)
	stepWhenWaiting(t, fc, time.Second)
	assert.Equal(t, t0.Add(time.Second), <-s.sent)
	stepWhenWaiting(t, fc, 1500*time.Millisecond)
	assert.Equal(t, t0.Add(2500*time.Millisecond), <-s.sent)
	close(s.release)

	got := <-done
	require.NoError(t, got.err)
	assert.Equal(t, int64(3), got.stats.Sent)
	assert.Zero(t, got.stats.MaxLag)
	res := c.sorted()
	require.Len(t, res, 3)
	for _, r := range res {
		assert.Equal(t, record.StatusOK, r.Status)
		assert.Equal(t, r.Arrival, r.Sent)
	}
}

func TestReplayerCutsOffAfterDrain(t *testing.T) {
	fc := testingclock.NewFakeClock(time.Unix(0, 0))
	s := &blockingSender{clock: fc, release: make(chan struct{}), sent: make(chan time.Time, 10)}
	var c collector
	done := startReplay(NewReplayer(s, fc, 0, 30*time.Second), context.Background(), arrivals(0, 0), &c)
	<-s.sent
	<-s.sent
	stepWhenWaiting(t, fc, 30*time.Second)
	got := <-done
	require.NoError(t, got.err)
	res := c.sorted()
	require.Len(t, res, 2)
	for _, r := range res {
		assert.Equal(t, record.StatusLost, r.Status)
		assert.Equal(t, errReplayEnded.Error(), r.Error)
	}
}

func TestReplayerRejectsAboveMaxInFlightWithoutWaiting(t *testing.T) {
	fc := testingclock.NewFakeClock(time.Unix(0, 0))
	s := &blockingSender{clock: fc, release: make(chan struct{}), sent: make(chan time.Time, 10)}
	var c collector
	done := startReplay(NewReplayer(s, fc, 2, time.Minute), context.Background(), arrivals(0, 0, 0, 0), &c)
	<-s.sent
	<-s.sent
	require.Eventually(t, func() bool { return len(c.sorted()) == 2 }, 5*time.Second, time.Millisecond)
	close(s.release)
	got := <-done
	require.NoError(t, got.err)
	assert.Equal(t, int64(2), got.stats.Rejected)
	assert.Equal(t, int64(2), got.stats.Sent)
	var rejected int
	for _, r := range c.sorted() {
		if r.Status == record.StatusError {
			rejected++
			assert.Contains(t, r.Error, "--max-in-flight")
		}
	}
	assert.Equal(t, 2, rejected)
}

func TestReplayerStops(t *testing.T) {
	t.Run("out of order source", func(t *testing.T) {
		fc := testingclock.NewFakeClock(time.Unix(0, 0))
		s := &blockingSender{clock: fc, release: make(chan struct{}), sent: make(chan time.Time, 10)}
		close(s.release)
		var c collector
		done := startReplay(NewReplayer(s, fc, 0, time.Minute), context.Background(), arrivals(0, 0), &c)
		<-s.sent
		got := <-done
		require.NoError(t, got.err) // equal arrivals are in order
		// A fresh clock: the first replay's drain timer is still registered on fc, so
		// fc.HasWaiters would not tell that the second replay waits on its first arrival.
		fc = testingclock.NewFakeClock(time.Unix(0, 0))
		s = &blockingSender{clock: fc, release: make(chan struct{}), sent: make(chan time.Time, 10)}
		close(s.release)
		done = startReplay(NewReplayer(s, fc, 0, time.Minute), context.Background(),
			func(yield func(scenario.Request) bool) {
				_ = yield(scenario.Request{ID: 0, Arrival: time.Second}) && yield(scenario.Request{ID: 1})
			}, &c)
		stepWhenWaiting(t, fc, time.Second)
		<-s.sent
		got = <-done
		require.Error(t, got.err)
		assert.Contains(t, got.err.Error(), "must be in arrival order")
	})
	t.Run("cancelled context", func(t *testing.T) {
		fc := testingclock.NewFakeClock(time.Unix(0, 0))
		s := &blockingSender{clock: fc, release: make(chan struct{}), sent: make(chan time.Time, 10)}
		ctx, cancel := context.WithCancelCause(context.Background())
		var c collector
		done := startReplay(NewReplayer(s, fc, 0, time.Minute), ctx, arrivals(0, time.Hour), &c)
		<-s.sent
		require.Eventually(t, fc.HasWaiters, 5*time.Second, time.Millisecond)
		cancel(errors.New("operator pressed ^C"))
		got := <-done
		require.Error(t, got.err)
		assert.Contains(t, got.err.Error(), "operator pressed ^C")
		res := c.sorted()
		require.Len(t, res, 1, "the request not yet due is neither sent nor reported")
		assert.Equal(t, record.StatusLost, res[0].Status)
	})
}
