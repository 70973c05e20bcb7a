package arrivals

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Shape is how a segment's rate varies over it.
type Shape uint8

// Segment shapes.
const (
	// Constant rate From.
	Constant Shape = iota
	// Linear interpolation from From at Start to To at End.
	Linear
	// Exponential (geometric) interpolation from From to To; both > 0.
	Exponential
	// Sine is Base + Amplitude*cos(2π(t-PeakAt)/Period) in absolute time t; Base >= Amplitude >= 0.
	Sine
)

// Segment is a stretch of time [Start, End) (seconds from the start of the run) with a rate
// in requests per second of the given shape, multiplied by Scale.
type Segment struct {
	Start, End float64
	Shape      Shape
	// From and To are the rates at Start and End (Constant uses From).
	From, To float64
	// Base, Amplitude, Period (seconds) and PeakAt (seconds) define a Sine.
	Base, Amplitude, Period, PeakAt float64
	// Scale multiplies the rate (spikes); 0 means 1.
	Scale float64
	// Process is the index of the arrival process used for gaps starting in this segment.
	Process int

	// Sine constants cached by prepare: 2π/Period and sin(ω(Start-PeakAt)).
	omega, sin0 float64
}

// prepare caches constants of the iterative shapes.
func (s *Segment) prepare() {
	if s.Shape == Sine && s.Period > 0 {
		s.omega = 2 * math.Pi / s.Period
		s.sin0 = math.Sin(s.omega * (s.Start - s.PeakAt))
	}
}

// RateAt is the segment's rate at absolute time t in [Start, End].
func (s *Segment) RateAt(t float64) float64 {
	x := t - s.Start
	var r float64
	switch s.Shape {
	case Constant:
		r = s.From
	case Linear:
		r = s.From + (s.To-s.From)*x/(s.End-s.Start)
	case Exponential:
		r = s.From * math.Exp(math.Log(s.To/s.From)*x/(s.End-s.Start))
	case Sine:
		r = s.Base + s.Amplitude*math.Cos(2*math.Pi*(t-s.PeakAt)/s.Period)
	}
	return max(r, 0) * s.scale()
}

func (s *Segment) scale() float64 {
	if s.Scale == 0 {
		return 1
	}
	return s.Scale
}

// cum is the expected number of arrivals in [Start, Start+x].
func (s *Segment) cum(x float64) float64 {
	m := s.scale()
	switch s.Shape {
	case Constant:
		return m * s.From * x
	case Linear:
		k := (s.To - s.From) / (s.End - s.Start)
		return m * (s.From*x + k*x*x/2)
	case Exponential:
		g := math.Log(s.To/s.From) / (s.End - s.Start)
		if math.Abs(g*x) < 1e-12 {
			return m * s.From * x
		}
		return m * s.From * math.Expm1(g*x) / g
	case Sine:
		if s.omega == 0 {
			s.prepare()
		}
		w := s.omega
		return m * (s.Base*x + s.Amplitude/w*(math.Sin(w*(s.Start+x-s.PeakAt))-s.sin0))
	}
	return 0
}

// inverse is the x in [0, End-Start] with cum(x) = u, for 0 <= u <= cum(End-Start).
// guess is a starting point for the iterative shapes (a negative guess means none).
func (s *Segment) inverse(u, guess float64) float64 {
	length := s.End - s.Start
	m := s.scale()
	var x float64
	switch s.Shape {
	case Constant:
		x = u / (m * s.From)
	case Linear:
		a := s.From
		k := (s.To - s.From) / length
		v := u / m
		// Root of k/2 x² + a x - v = 0 in a form stable for k -> 0.
		disc := a*a + 2*k*v
		x = 2 * v / (a + math.Sqrt(max(disc, 0)))
	case Exponential:
		g := math.Log(s.To/s.From) / length
		if math.Abs(g) < 1e-15 {
			x = u / (m * s.From)
		} else {
			x = math.Log1p(g*u/(m*s.From)) / g
		}
	case Sine:
		x = s.inverseSine(u, guess)
	}
	if !(x >= 0) { // also catches NaN
		return 0
	}
	return min(x, length)
}

// inverseSine solves cum(x) = u by Newton's method safeguarded with bisection (cum is
// increasing since the rate is >= 0).
func (s *Segment) inverseSine(u, guess float64) float64 {
	lo, hi := 0.0, s.End-s.Start
	x := guess
	if !(x >= lo && x <= hi) {
		x = u / (s.scale() * s.Base)
	}
	if !(x >= lo && x <= hi) {
		x = (lo + hi) / 2
	}
	for range 200 {
		f := s.cum(x) - u
		if math.Abs(f) <= 1e-13*max(u, 1) {
			return x
		}
		if f > 0 {
			hi = x
		} else {
			lo = x
		}
		next := x - f/s.RateAt(s.Start+x)
		if !(next >= lo && next <= hi) { // outside the bracket, or NaN/Inf from a zero rate
			next = (lo + hi) / 2
		}
		if math.Abs(next-x) < 1e-9 || hi-lo < 1e-9 {
			return next
		}
		x = next
	}
	return x
}

// Schedule is a piecewise rate function over [0, End) with its cumulative intensity, for
// mapping operational time (expected arrivals so far) back to real time.
type Schedule struct {
	segs []Segment
	// cumStart[i] is the expected number of arrivals before segs[i].Start.
	cumStart []float64
	total    float64
}

// NewSchedule checks segments (contiguous from 0, finite, rates >= 0) and builds a schedule.
func NewSchedule(segs []Segment) (*Schedule, error) {
	if len(segs) == 0 {
		return nil, errors.New("building schedule: no segments")
	}
	s := &Schedule{segs: append([]Segment(nil), segs...), cumStart: make([]float64, len(segs))}
	prevEnd := 0.0
	for i := range s.segs {
		seg := &s.segs[i]
		if err := seg.check(prevEnd); err != nil {
			return nil, fmt.Errorf("building schedule: segment %d: %w", i, err)
		}
		seg.prepare()
		prevEnd = seg.End
		s.cumStart[i] = s.total
		s.total += seg.cum(seg.End - seg.Start)
	}
	if math.IsNaN(s.total) || math.IsInf(s.total, 0) {
		return nil, errors.New("building schedule: expected arrivals overflow")
	}
	return s, nil
}

func (seg *Segment) check(prevEnd float64) error {
	finite := func(xs ...float64) bool {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
		return true
	}
	switch {
	case !finite(seg.Start, seg.End, seg.From, seg.To, seg.Base, seg.Amplitude, seg.Period, seg.PeakAt, seg.Scale):
		return errors.New("non-finite parameter")
	case seg.Start != prevEnd:
		return fmt.Errorf("starts at %g, expected %g (segments must be contiguous from 0)", seg.Start, prevEnd)
	case seg.End <= seg.Start:
		return fmt.Errorf("ends at %g, not after its start %g", seg.End, seg.Start)
	case seg.Scale < 0:
		return fmt.Errorf("scale %g < 0", seg.Scale)
	case seg.From < 0 || seg.To < 0:
		return fmt.Errorf("negative rate (from %g, to %g)", seg.From, seg.To)
	case seg.Shape == Exponential && (seg.From <= 0 || seg.To <= 0):
		return fmt.Errorf("exponential needs from and to > 0 (from %g, to %g)", seg.From, seg.To)
	case seg.Shape == Sine && (seg.Period <= 0 || seg.Amplitude < 0 || seg.Base < seg.Amplitude):
		return fmt.Errorf("sine needs period > 0 and base >= amplitude >= 0 (base %g, amplitude %g, period %g)", seg.Base, seg.Amplitude, seg.Period)
	case seg.Shape > Sine:
		return fmt.Errorf("unknown shape %d", seg.Shape)
	}
	return nil
}

// End is the end of the last segment.
func (s *Schedule) End() float64 { return s.segs[len(s.segs)-1].End }

// Total is the expected number of arrivals over the whole schedule.
func (s *Schedule) Total() float64 { return s.total }

// Segments returns the schedule's segments (do not modify).
func (s *Schedule) Segments() []Segment { return s.segs }

// Rate is the rate at time t (0 outside the schedule).
func (s *Schedule) Rate(t float64) float64 {
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].End > t })
	if t < 0 || i == len(s.segs) {
		return 0
	}
	return s.segs[i].RateAt(t)
}

// Cum is the expected number of arrivals in [0, t].
func (s *Schedule) Cum(t float64) float64 {
	if t <= 0 {
		return 0
	}
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].End > t })
	if i == len(s.segs) {
		return s.total
	}
	return s.cumStart[i] + s.segs[i].cum(t-s.segs[i].Start)
}

// Inverse maps operational time u to real time: the earliest t with Cum(t) = u, searching
// from segment hint on (a cursor for monotone calls). It returns the segment index, or ok
// false when u is beyond the schedule's total.
func (s *Schedule) Inverse(u float64, hint int) (t float64, seg int, ok bool) {
	return s.inverseNear(u, hint, -1)
}

// inverseNear is Inverse with a guess of the answer for iterative shapes (negative: none).
func (s *Schedule) inverseNear(u float64, hint int, guess float64) (t float64, seg int, ok bool) {
	if u > s.total || hint >= len(s.segs) {
		return 0, len(s.segs), false
	}
	i := max(hint, 0)
	if u < s.cumStart[i] { // not monotone: search from the start
		i = sort.Search(len(s.segs), func(j int) bool { return s.cumStart[j] >= u }) - 1
		i = max(i, 0)
	}
	// Skip segments that end before u (zero-rate segments are skipped over whole).
	for i < len(s.segs)-1 && s.cumStart[i+1] < u {
		i++
	}
	seg0 := &s.segs[i]
	return seg0.Start + seg0.inverse(u-s.cumStart[i], guess-seg0.Start), i, true
}
