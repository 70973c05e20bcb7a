package realtime

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/realtime/realtimetest"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type harness struct {
	clk    *clocktesting.FakeClock
	eng    *realtimetest.FixedStep
	drv    *Driver
	cancel context.CancelFunc
	done   chan error

	mu    sync.Mutex
	stats []engine.Stats
}

func start(t *testing.T, maxRunning int) *harness {
	t.Helper()
	h := &harness{clk: clocktesting.NewFakeClock(t0), eng: &realtimetest.FixedStep{Step: 10 * time.Millisecond, MaxRunning: maxRunning}, done: make(chan error, 1)}
	h.drv = New(h.eng, Options{Clock: h.clk, OnStats: func(s engine.Stats) {
		h.mu.Lock()
		h.stats = append(h.stats, s)
		h.mu.Unlock()
	}})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.drv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-h.done
	})
	return h
}

// step advances the fake clock by d once the driver is waiting on its timer.
func (h *harness) step(t *testing.T, d time.Duration) {
	t.Helper()
	require.Eventually(t, h.clk.HasWaiters, 5*time.Second, 100*time.Microsecond, "driver never waited on the clock")
	h.clk.Step(d)
}

func waitFor(t *testing.T, notify <-chan struct{}, s *Stream, cond func(Progress) bool) Progress {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		p := s.Progress()
		if cond(p) {
			return p
		}
		select {
		case <-notify:
		case <-deadline:
			t.Fatalf("stream %s: condition not met, progress %+v", s.ID(), p)
		}
	}
}

func TestTokensAreReleasedAtStepEnds(t *testing.T) {
	h := start(t, 8)
	notify := make(chan struct{}, 1)
	s, err := h.drv.Submit(context.Background(), engine.Request{ID: "a", PromptTokens: 5, OutputTokens: 3}, notify)
	require.NoError(t, err)

	for i := 1; i <= 3; i++ {
		assert.Equal(t, i-1, s.Progress().Tokens, "token %d released before its step ended", i)
		h.step(t, 10*time.Millisecond)
		p := waitFor(t, notify, s, func(p Progress) bool { return p.Tokens == i })
		assert.Equal(t, t0.Add(time.Duration(i)*10*time.Millisecond), p.LastTokenAt)
	}
	p := waitFor(t, notify, s, func(p Progress) bool { return p.Done })
	assert.Equal(t, engine.FinishLength, p.Reason)
	assert.NoError(t, p.Err)
	assert.Equal(t, 3, p.Stats.OutputTokens)
}

func TestLateWakeUpDoesNotDrift(t *testing.T) {
	h := start(t, 8)
	notify := make(chan struct{}, 1)
	s, err := h.drv.Submit(context.Background(), engine.Request{ID: "a", PromptTokens: 5, OutputTokens: 10}, notify)
	require.NoError(t, err)
	// The driver wakes 25 ms late: the two due tokens come out together and
	// the next deadline stays on the 10 ms grid of the engine.
	h.step(t, 25*time.Millisecond)
	p := waitFor(t, notify, s, func(p Progress) bool { return p.Tokens == 2 })
	assert.Equal(t, t0.Add(20*time.Millisecond), p.LastTokenAt)
	h.step(t, 5*time.Millisecond)
	p = waitFor(t, notify, s, func(p Progress) bool { return p.Tokens == 3 })
	assert.Equal(t, t0.Add(30*time.Millisecond), p.LastTokenAt)
}

func TestAbort(t *testing.T) {
	h := start(t, 1)
	notify := make(chan struct{}, 1)
	s, err := h.drv.Submit(context.Background(), engine.Request{ID: "a", PromptTokens: 5, OutputTokens: 100}, notify)
	require.NoError(t, err)
	h.drv.Abort("a")
	p := waitFor(t, notify, s, func(p Progress) bool { return p.Done })
	assert.Equal(t, engine.FinishAbort, p.Reason)
	h.drv.Abort("unknown") // ignored
}

func TestSubmitErrors(t *testing.T) {
	h := start(t, 1)
	_, err := h.drv.Submit(context.Background(), engine.Request{ID: "bad", PromptTokens: 5}, nil)
	require.ErrorIs(t, err, engine.ErrInvalidRequest)

	_, err = h.drv.Submit(context.Background(), engine.Request{ID: "x", PromptTokens: 5, OutputTokens: 5}, nil)
	require.NoError(t, err)
	_, err = h.drv.Submit(context.Background(), engine.Request{ID: "x", PromptTokens: 5, OutputTokens: 5}, nil)
	require.ErrorIs(t, err, engine.ErrInvalidRequest, "duplicate id")
}

func TestStopFailsRequestsInFlight(t *testing.T) {
	h := start(t, 1)
	notify := make(chan struct{}, 1)
	s, err := h.drv.Submit(context.Background(), engine.Request{ID: "a", PromptTokens: 5, OutputTokens: 100}, notify)
	require.NoError(t, err)
	h.cancel()
	<-h.drv.Stopped()
	p := waitFor(t, notify, s, func(p Progress) bool { return p.Done })
	require.ErrorIs(t, p.Err, ErrStopped)
	_, err = h.drv.Submit(context.Background(), engine.Request{ID: "b", PromptTokens: 5, OutputTokens: 1}, nil)
	require.ErrorIs(t, err, ErrStopped)
}

func TestStatsFollowQueue(t *testing.T) {
	h := start(t, 1)
	notify := make(chan struct{}, 1)
	var streams []*Stream
	for _, id := range []string{"a", "b", "c"} {
		s, err := h.drv.Submit(context.Background(), engine.Request{ID: id, PromptTokens: 5, OutputTokens: 2}, notify)
		require.NoError(t, err)
		streams = append(streams, s)
	}
	for i := 0; i < 6; i++ {
		h.step(t, 10*time.Millisecond)
	}
	for _, s := range streams {
		waitFor(t, notify, s, func(p Progress) bool { return p.Done })
	}
	require.Eventually(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.stats) > 0 && h.stats[len(h.stats)-1].Running == 0 && h.stats[len(h.stats)-1].Waiting == 0
	}, 5*time.Second, time.Millisecond)
	h.mu.Lock()
	defer h.mu.Unlock()
	maxWaiting := 0
	for _, s := range h.stats {
		maxWaiting = max(maxWaiting, s.Waiting)
	}
	assert.Equal(t, 2, maxWaiting, "two requests queue behind the single running slot")
}

func TestInstant(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(t0)
	in := NewInstant(clk)
	notify := make(chan struct{}, 1)
	s, err := in.Submit(context.Background(), engine.Request{ID: "a", PromptTokens: 3, OutputTokens: 7, Stop: true}, notify)
	require.NoError(t, err)
	select {
	case <-notify:
	default:
		t.Fatal("instant stream did not signal")
	}
	p := s.Progress()
	assert.True(t, p.Done)
	assert.Equal(t, 7, p.Tokens)
	assert.Equal(t, engine.FinishStop, p.Reason)
	_, err = in.Submit(context.Background(), engine.Request{ID: "b"}, nil)
	assert.True(t, errors.Is(err, engine.ErrInvalidRequest))
}

// laggingEngine reports its next event 1 ns before the step really ends, as a
// float-to-time rounding can.
type laggingEngine struct {
	*realtimetest.FixedStep
}

func (l laggingEngine) NextEventTime() (time.Time, bool) {
	t, ok := l.FixedStep.NextEventTime()
	return t.Add(-time.Nanosecond), ok
}

func TestDriverToleratesEarlyNextEventTime(t *testing.T) {
	drv := New(laggingEngine{&realtimetest.FixedStep{Step: time.Millisecond, MaxRunning: 4}}, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = drv.Run(ctx) }()
	notify := make(chan struct{}, 1)
	s, err := drv.Submit(ctx, engine.Request{ID: "a", PromptTokens: 1, OutputTokens: 20}, notify)
	require.NoError(t, err)
	start := time.Now()
	waitFor(t, notify, s, func(p Progress) bool { return p.Done })
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestPreciseSleepSleepsAtLeastTheDuration(t *testing.T) {
	for _, d := range []time.Duration{0, 200 * time.Microsecond, 2 * time.Millisecond} {
		start := time.Now()
		preciseSleep(d)
		assert.GreaterOrEqual(t, time.Since(start), d)
	}
}

func TestPreciseDriverReleasesTokens(t *testing.T) {
	drv := New(&realtimetest.FixedStep{Step: 3 * time.Millisecond, MaxRunning: 4}, Options{Precise: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = drv.Run(ctx) }()
	notify := make(chan struct{}, 1)
	start := time.Now()
	s, err := drv.Submit(ctx, engine.Request{ID: "a", PromptTokens: 1, OutputTokens: 10}, notify)
	require.NoError(t, err)
	p := waitFor(t, notify, s, func(p Progress) bool { return p.Done })
	assert.Equal(t, 10, p.Tokens)
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond, "tokens are not released before their deadlines")
}
