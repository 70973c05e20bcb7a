package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// ErrStopped is reported to requests in flight when the driver stops, and
// returned by Submit after it stopped.
var ErrStopped = errors.New("simulated engine stopped")

// Engine is the part of *engine.Engine the driver uses.
type Engine interface {
	Add(now time.Time, r engine.Request) error
	Abort(now time.Time, id string) bool
	NextEventTime() (time.Time, bool)
	Advance(now time.Time) []engine.Event
	Stats() engine.Stats
}

// Options configure a Driver.
type Options struct {
	// Clock is the time source; a real clock in production, a fake one in tests.
	Clock clock.Clock
	// OnStats, if set, is called on the driver goroutine with the engine's
	// statistics after every batch of steps and every batch of admissions
	// (e.g. to update the vLLM gauges). It must not block.
	OnStats func(engine.Stats)
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// Precise, with a real clock, sleeps the last PreciseWindow before each
	// deadline with a high-resolution OS sleep instead of a Go timer. Go
	// timers wake with about 1 ms of granularity on Linux (p50 0.6 ms late);
	// the OS sleep wakes within ~0.1 ms, without spinning. Commands wait
	// meanwhile (at most PreciseWindow). Leave it off with a fake clock.
	Precise bool
}

// PreciseWindow is how long before a deadline a Precise driver switches from
// its clock's timer to the OS sleep.
const PreciseWindow = 1500 * time.Microsecond

// Driver owns an engine and advances it on a clock.
type Driver struct {
	eng     Engine
	clk     clock.Clock
	onStats func(engine.Stats)
	log     *slog.Logger
	precise bool

	cmds    chan command
	stopped chan struct{}
	streams map[string]*Stream
}

type command struct {
	req    engine.Request
	stream *Stream
	reply  chan error
	abort  string // non-empty: abort this id instead of adding
}

// maxBatch bounds the commands handled between two engine advances.
const maxBatch = 512

// New returns a driver for eng; call Run to start it.
func New(eng Engine, opts Options) *Driver {
	clk := opts.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Driver{
		eng:     eng,
		clk:     clk,
		onStats: opts.OnStats,
		log:     log,
		precise: opts.Precise,
		cmds:    make(chan command, maxBatch),
		stopped: make(chan struct{}),
		streams: make(map[string]*Stream),
	}
}

// Submit hands r to the engine and returns the Stream that follows it; notify
// (capacity 1, may be shared by several streams of one owner) is signalled on
// every change. It returns the engine's error for a request it cannot serve.
func (d *Driver) Submit(ctx context.Context, r engine.Request, notify chan<- struct{}) (*Stream, error) {
	s := newStream(r.ID, notify)
	c := command{req: r, stream: s, reply: make(chan error, 1)}
	select {
	case d.cmds <- c:
	case <-ctx.Done():
		return nil, fmt.Errorf("submitting request %q: %w", r.ID, ctx.Err())
	case <-d.stopped:
		return nil, ErrStopped
	}
	select {
	case err := <-c.reply:
		if err != nil {
			return nil, err
		}
		return s, nil
	case <-d.stopped:
		return nil, ErrStopped
	}
}

// Abort stops request id (a client went away). Its stream finishes with
// reason "abort". Unknown ids are ignored.
func (d *Driver) Abort(id string) {
	select {
	case d.cmds <- command{abort: id}:
	case <-d.stopped:
	}
}

// Stopped is closed when Run has returned.
func (d *Driver) Stopped() <-chan struct{} { return d.stopped }

// Run advances the engine until ctx is cancelled; requests still in flight
// then fail with ErrStopped.
func (d *Driver) Run(ctx context.Context) error {
	defer d.stop()
	var timer clock.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	stuck := 0
	for {
		now := d.clk.Now()
		d.advance(now)
		var wake <-chan time.Time
		if next, busy := d.eng.NextEventTime(); busy {
			wait := next.Sub(d.clk.Now())
			switch {
			case next.After(now):
				stuck = 0
				if wait <= 0 {
					continue
				}
				if d.precise {
					if wait <= PreciseWindow {
						preciseSleep(wait)
						continue
					}
					wait -= PreciseWindow
				}
			case stuck < maxStuck:
				// The next event is due but Advance(now) did not reach it:
				// the engine's float step end rounds to a nanosecond just
				// before it. Look again a moment later.
				stuck++
				wait = time.Microsecond
			default:
				// Advance must run every step ending at or before now; an
				// engine that does not would make this loop spin.
				if stuck == maxStuck {
					d.log.Error("engine does not advance to its next event", "next", next, "now", now)
					stuck++
				}
				wait = time.Millisecond
			}
			if timer != nil {
				timer.Stop()
			}
			timer = d.clk.NewTimer(wait)
			wake = timer.C()
		}
		select {
		case <-ctx.Done():
			return nil
		case c := <-d.cmds:
			d.handle(c)
			d.drain()
		case <-wake:
		}
	}
}

// maxStuck bounds the quick retries when the engine's next event is due but
// not reached.
const maxStuck = 8

// drain handles the commands already queued, up to maxBatch, so a burst of
// arrivals costs one engine advance.
func (d *Driver) drain() {
	for i := 1; i < maxBatch; i++ {
		select {
		case c := <-d.cmds:
			d.handle(c)
		default:
			return
		}
	}
}

func (d *Driver) publish() {
	if d.onStats != nil {
		d.onStats(d.eng.Stats())
	}
}

func (d *Driver) handle(c command) {
	now := d.clk.Now()
	if c.abort != "" {
		s, ok := d.streams[c.abort]
		if !ok {
			return
		}
		delete(d.streams, c.abort)
		d.eng.Abort(now, c.abort)
		s.update(func(p *Progress) {
			p.Done = true
			p.Reason = engine.FinishAbort
		})
		return
	}
	if _, dup := d.streams[c.req.ID]; dup {
		c.reply <- fmt.Errorf("adding request %q: %w: duplicate id", c.req.ID, engine.ErrInvalidRequest)
		return
	}
	if err := d.eng.Add(now, c.req); err != nil {
		c.reply <- fmt.Errorf("adding request %q: %w", c.req.ID, err)
		return
	}
	d.streams[c.req.ID] = c.stream
	c.reply <- nil
}

// advance runs the engine up to now, publishes its statistics and then
// delivers the events, so that whoever a token or a finish wakes already sees
// the gauges of the state after the step.
func (d *Driver) advance(now time.Time) {
	events := d.eng.Advance(now)
	d.publish()
	for i := range events {
		d.deliver(&events[i])
	}
}

func (d *Driver) deliver(ev *engine.Event) {
	s, ok := d.streams[ev.ID]
	if !ok {
		return
	}
	switch ev.Kind {
	case engine.EventToken, engine.EventFirstToken:
		s.update(func(p *Progress) {
			if ev.Index+1 > p.Tokens {
				p.Tokens = ev.Index + 1
			}
			p.LastTokenAt = ev.Time
		})
	case engine.EventPreempted:
		s.update(func(p *Progress) { p.Preemptions++ })
	case engine.EventFinished:
		delete(d.streams, ev.ID)
		s.update(func(p *Progress) {
			p.Done = true
			p.Reason = ev.Reason
			p.Stats = ev.Stats
			if ev.Stats.OutputTokens > p.Tokens {
				p.Tokens = ev.Stats.OutputTokens
				p.LastTokenAt = ev.Time
			}
		})
	}
}

func (d *Driver) stop() {
	for id, s := range d.streams {
		delete(d.streams, id)
		s.update(func(p *Progress) {
			p.Done = true
			p.Err = ErrStopped
		})
	}
	close(d.stopped)
	d.log.Debug("engine driver stopped")
}
