package scenario

import (
	"errors"
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/arrivals"
)

// Schedule builds the synthetic traffic's rate schedule and the arrival processes its
// segments use (segment i's Process indexes the returned slice). Drivers can use it for the
// expected load at any time (e.g. for plots). It fails for trace replay.
func Schedule(sp *Spec) (*arrivals.Schedule, []arrivals.Process, error) {
	t := &sp.Traffic
	if t.Trace != nil {
		return nil, nil, errors.New("building rate schedule: trace replay has no synthetic schedule")
	}
	end := sp.Duration.Seconds()
	procs := []arrivals.Process{process(t.Arrivals)}
	var segs []arrivals.Segment
	start := 0.0
	for _, p := range t.Phases {
		stop := min(start+p.Duration.Seconds(), end)
		if stop <= start {
			break
		}
		seg := baseSegment(t.Diurnal, start, stop)
		if r := p.Rate; r != nil {
			seg = rateSegment(*r, start, stop)
		}
		if p.Arrivals != nil {
			procs = append(procs, process(*p.Arrivals))
			seg.Process = len(procs) - 1
		}
		segs = append(segs, seg)
		start = stop
	}
	if start < end {
		segs = append(segs, baseSegment(t.Diurnal, start, end))
	}
	var spikes []arrivals.Spike
	for _, s := range t.Spikes {
		sk := arrivals.Spike{Start: s.At.Seconds(), End: (s.At + s.Duration).Seconds(), Multiplier: s.Multiplier}
		if s.Rate != nil {
			sk.Replace, sk.Rate = true, *s.Rate
		}
		spikes = append(spikes, sk)
	}
	segs = arrivals.ApplySpikes(segs, spikes)
	sched, err := arrivals.NewSchedule(segs)
	if err != nil {
		return nil, nil, fmt.Errorf("building rate schedule: %w", err)
	}
	return sched, procs, nil
}

// baseSegment is the rate outside phases with their own rate: diurnal, or nothing.
func baseSegment(d *Diurnal, start, stop float64) arrivals.Segment {
	if d == nil {
		return arrivals.Segment{Start: start, End: stop, Shape: arrivals.Constant}
	}
	peakAt := d.Period / 2
	if d.PeakAt != nil {
		peakAt = *d.PeakAt
	}
	return arrivals.Segment{
		Start: start, End: stop, Shape: arrivals.Sine,
		Base: d.Base, Amplitude: d.Amplitude, Period: d.Period.Seconds(), PeakAt: peakAt.Seconds(),
	}
}

func rateSegment(r Rate, start, stop float64) arrivals.Segment {
	seg := arrivals.Segment{Start: start, End: stop}
	switch {
	case r.Constant != nil:
		seg.Shape, seg.From, seg.To = arrivals.Constant, *r.Constant, *r.Constant
	case r.Shape == RampExponential:
		seg.Shape, seg.From, seg.To = arrivals.Exponential, deref(r.From), deref(r.To)
	default:
		seg.Shape, seg.From, seg.To = arrivals.Linear, deref(r.From), deref(r.To)
	}
	return seg
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

func process(a Arrivals) arrivals.Process {
	switch a.Process {
	case ProcessGamma:
		return arrivals.Process{Kind: arrivals.Gamma, CV: a.CV}
	case ProcessConstant:
		return arrivals.Process{Kind: arrivals.Deterministic}
	}
	return arrivals.Process{Kind: arrivals.Poisson}
}

// ExpectedRequests is the expected number of requests of synthetic traffic over the run.
func ExpectedRequests(sp *Spec) (float64, error) {
	sched, _, err := Schedule(sp)
	if err != nil {
		return 0, err
	}
	return sched.Total(), nil
}

// RateAt is the synthetic traffic's rate (requests/s) at offset t, for plots.
func RateAt(sched *arrivals.Schedule, t time.Duration) float64 { return sched.Rate(t.Seconds()) }
