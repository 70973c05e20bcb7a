package arrivals

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// DistKind is a family of distributions for lengths and durations.
type DistKind uint8

// Distribution kinds.
const (
	Fixed DistKind = iota
	Uniform
	Normal
	LogNormal
	Empirical
)

// DistSpec describes a distribution of non-negative values (token counts, seconds).
type DistSpec struct {
	Kind DistKind
	// Value of Fixed.
	Value float64
	// Min and Max: Uniform's range; clamps for the others when Max > 0 (Min always applies).
	Min, Max float64
	// Mean and StdDev of Normal and LogNormal (of the value itself, not of its logarithm).
	Mean, StdDev float64
	// Values and Weights of Empirical (weights > 0, need not sum to 1).
	Values, Weights []float64
}

// Dist samples a DistSpec. Build it once with NewDist; Sample is allocation-free.
type Dist struct {
	spec      DistSpec
	mu, sigma float64 // LogNormal parameters of the logarithm
	// Empirical alias table (Vose).
	prob  []float64
	alias []int32
}

// NewDist checks a spec and precomputes what sampling needs.
func NewDist(spec DistSpec) (*Dist, error) {
	d := &Dist{spec: spec}
	bad := func(xs ...float64) bool {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				return true
			}
		}
		return false
	}
	if bad(spec.Value, spec.Min, spec.Max, spec.Mean, spec.StdDev) {
		return nil, errors.New("distribution parameters must be finite and >= 0")
	}
	if spec.Max > 0 && spec.Min > spec.Max {
		return nil, fmt.Errorf("min %g > max %g", spec.Min, spec.Max)
	}
	switch spec.Kind {
	case Fixed:
	case Uniform:
		if spec.Max <= 0 {
			return nil, errors.New("uniform needs max > 0")
		}
	case Normal:
	case LogNormal:
		if spec.Mean <= 0 {
			return nil, errors.New("lognormal needs mean > 0")
		}
		d.sigma = math.Sqrt(math.Log1p(spec.StdDev * spec.StdDev / (spec.Mean * spec.Mean)))
		d.mu = math.Log(spec.Mean) - d.sigma*d.sigma/2
	case Empirical:
		if err := d.buildAlias(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown distribution kind %d", spec.Kind)
	}
	return d, nil
}

func (d *Dist) buildAlias() error {
	vals, ws := d.spec.Values, d.spec.Weights
	n := len(vals)
	if n == 0 || len(ws) != n || n > 1<<24 {
		return fmt.Errorf("empirical needs 1..%d values with one weight each (got %d values, %d weights)", 1<<24, n, len(ws))
	}
	total := 0.0
	for i, w := range ws {
		if !(w > 0) || math.IsInf(w, 0) || math.IsNaN(vals[i]) || math.IsInf(vals[i], 0) || vals[i] < 0 {
			return fmt.Errorf("empirical value %d: value %g, weight %g: weights must be > 0 and values finite >= 0", i, vals[i], w)
		}
		total += w
	}
	d.prob = make([]float64, n)
	d.alias = make([]int32, n)
	scaled := make([]float64, n)
	var small, large []int32
	for i, w := range ws {
		scaled[i] = w / total * float64(n)
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		d.prob[s] = scaled[s]
		d.alias[s] = l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		d.prob[i] = 1
		d.alias[i] = i
	}
	return nil
}

// Mean is the distribution's mean before clamping (the clamped mean for Uniform).
func (d *Dist) Mean() float64 {
	s := d.spec
	switch s.Kind {
	case Fixed:
		return s.Value
	case Uniform:
		return (s.Min + s.Max) / 2
	case Empirical:
		sum, w := 0.0, 0.0
		for i, v := range s.Values {
			sum += v * s.Weights[i]
			w += s.Weights[i]
		}
		return sum / w
	default:
		return s.Mean
	}
}

// Sample draws a value, clamped to [Min, Max] (Max only when > 0) and to >= 0.
func (d *Dist) Sample(r *rand.Rand) float64 {
	s := &d.spec
	var x float64
	switch s.Kind {
	case Fixed:
		x = s.Value
	case Uniform:
		x = s.Min + (s.Max-s.Min)*r.Float64()
	case Normal:
		x = s.Mean + s.StdDev*r.NormFloat64()
	case LogNormal:
		x = math.Exp(d.mu + d.sigma*r.NormFloat64())
	case Empirical:
		n := len(d.prob)
		i := r.IntN(n)
		if r.Float64() >= d.prob[i] {
			i = int(d.alias[i])
		}
		x = s.Values[i]
	}
	if x < s.Min {
		x = s.Min
	}
	if s.Max > 0 && x > s.Max {
		x = s.Max
	}
	return max(x, 0)
}

// SampleInt draws a value rounded to the nearest integer in [lo, hi].
func (d *Dist) SampleInt(r *rand.Rand, lo, hi int) int {
	x := math.Round(d.Sample(r))
	if x < float64(lo) {
		return lo
	}
	if x > float64(hi) {
		return hi
	}
	return int(x)
}
