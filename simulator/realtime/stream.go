package realtime

import (
	"sync"
	"time"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// Progress is what has happened to one submitted request so far.
type Progress struct {
	// Tokens is the number of output tokens released so far.
	Tokens int
	// LastTokenAt is the engine time (the end of the step) at which the
	// latest token was due; the driver releases it at that time.
	LastTokenAt time.Time
	// Preemptions counts how often the request was preempted.
	Preemptions int
	// Done is set once the request finished, was aborted or failed.
	Done bool
	// Reason is the finish reason ("length", "stop", "abort") once Done.
	Reason string
	// Stats are the engine's statistics of the finished request.
	Stats engine.RequestStats
	// Err is set when the request failed (rejected by the engine, or the
	// driver stopped).
	Err error
}

// Stream follows one request. The driver updates it and signals the notify
// channel given to Submit after every change; the owner reads Progress.
type Stream struct {
	id     string
	notify chan<- struct{}

	mu sync.Mutex
	p  Progress
}

func newStream(id string, notify chan<- struct{}) *Stream {
	return &Stream{id: id, notify: notify}
}

// ID is the request's id.
func (s *Stream) ID() string { return s.id }

// Progress returns a copy of the current progress.
func (s *Stream) Progress() Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p
}

func (s *Stream) update(f func(p *Progress)) {
	s.mu.Lock()
	if s.p.Done {
		s.mu.Unlock()
		return
	}
	f(&s.p)
	s.mu.Unlock()
	s.signal()
}

// signal wakes the owner without ever blocking: a pending signal already
// tells it to look.
func (s *Stream) signal() {
	if s.notify == nil {
		return
	}
	select {
	case s.notify <- struct{}{}:
	default:
	}
}
