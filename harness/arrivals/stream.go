package arrivals

import (
	"fmt"
	"math/rand/v2"
)

// Stream generates arrival times (seconds from the start) of a non-homogeneous renewal
// process by time rescaling: unit-mean gaps accumulate in operational time u, and each
// arrival is at the real time t with Schedule.Cum(t) = u. For Poisson gaps this is exactly a
// non-homogeneous Poisson process; gamma gaps keep their burstiness (CV) relative to the
// local rate; deterministic gaps space arrivals 1/rate apart.
//
// The gap after an arrival is drawn from the process of the segment holding that arrival.
// A Stream is deterministic for a given schedule, processes and random source.
type Stream struct {
	sched *Schedule
	procs []Process
	rng   *rand.Rand
	u     float64
	seg   int
	first bool    // no arrival yet
	last  float64 // previous arrival time
	slope float64 // seconds per unit of operational time over the previous gap

}

// NewStream builds a stream; every segment's Process must index procs.
func NewStream(sched *Schedule, procs []Process, rng *rand.Rand) (*Stream, error) {
	for i, p := range procs {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("process %d: %w", i, err)
		}
	}
	for i, seg := range sched.segs {
		if seg.Process < 0 || seg.Process >= len(procs) {
			return nil, fmt.Errorf("segment %d uses process %d; %d processes given", i, seg.Process, len(procs))
		}
	}
	return &Stream{sched: sched, procs: procs, rng: rng, first: true}, nil
}

// Next returns the next arrival time and the index of its segment; ok is false once the
// schedule is exhausted.
func (s *Stream) Next() (t float64, seg int, ok bool) {
	if s.seg >= len(s.sched.segs) {
		return 0, 0, false
	}
	p := s.procs[s.sched.segs[s.seg].Process]
	prevU := s.u
	if s.first {
		s.u += p.FirstGap(s.rng)
	} else {
		s.u += p.Gap(s.rng)
	}
	// Newton's guess for curved shapes: extrapolate with the slope (1/rate) seen over the
	// previous gap, which costs no trigonometry.
	guess := -1.0
	if s.sched.segs[s.seg].Shape == Sine && s.slope > 0 {
		guess = s.last + (s.u-prevU)*s.slope
	}
	t, s.seg, ok = s.sched.inverseNear(s.u, s.seg, guess)
	if !s.first {
		t = max(t, s.last) // numerical noise must not reorder arrivals
		if du := s.u - prevU; du > 1e-6 {
			s.slope = (t - s.last) / du
		}
	}
	s.last, s.first = t, false
	if !ok || t >= s.sched.End() {
		s.seg = len(s.sched.segs)
		return 0, 0, false
	}
	return t, s.seg, true
}
