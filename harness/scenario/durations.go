package scenario

import (
	"math/rand/v2"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/arrivals"
)

// spec converts a duration distribution to the arrivals package's form, in seconds.
func (d DurationDist) spec() arrivals.DistSpec {
	s := arrivals.DistSpec{
		Value: d.Value.Seconds(), Min: d.Min.Seconds(), Max: d.Max.Seconds(),
		Mean: d.Mean.Seconds(), StdDev: d.StdDev.Seconds(),
	}
	switch d.Type {
	case DistUniform:
		s.Kind = arrivals.Uniform
	case DistNormal:
		s.Kind = arrivals.Normal
	case DistLognormal:
		s.Kind = arrivals.LogNormal
	default:
		s.Kind = arrivals.Fixed
	}
	return s
}

// Sample draws one duration (>= 0). An invalid distribution (Validate reports it) yields
// Value.
func (d DurationDist) Sample(r *rand.Rand) time.Duration {
	dist, err := arrivals.NewDist(d.spec())
	if err != nil {
		return max(d.Value, 0)
	}
	return time.Duration(dist.Sample(r) * float64(time.Second))
}

// Expected is the distribution's mean before clamping.
func (d DurationDist) Expected() time.Duration {
	dist, err := arrivals.NewDist(d.spec())
	if err != nil {
		return max(d.Value, 0)
	}
	return time.Duration(dist.Mean() * float64(time.Second))
}
