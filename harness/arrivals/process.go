package arrivals

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ProcessKind is a unit-rate renewal process: its gaps have mean 1 in operational time.
type ProcessKind uint8

// Process kinds.
const (
	// Poisson gaps are exponential (CV 1).
	Poisson ProcessKind = iota
	// Gamma gaps have shape 1/CV² and scale CV² (mean 1, coefficient of variation CV).
	Gamma
	// Deterministic gaps are exactly 1 (evenly spaced arrivals).
	Deterministic
)

// Process draws unit-mean gaps in operational time.
type Process struct {
	Kind ProcessKind
	// CV is the gamma gaps' coefficient of variation (> 0).
	CV float64
}

// Validate checks the process parameters.
func (p Process) Validate() error {
	switch p.Kind {
	case Poisson, Deterministic:
		return nil
	case Gamma:
		if !(p.CV > 0) || math.IsInf(p.CV, 0) || p.CV > 100 {
			return fmt.Errorf("gamma process needs 0 < cv <= 100, got %g", p.CV)
		}
		return nil
	}
	return fmt.Errorf("unknown process kind %d", p.Kind)
}

// Gap draws the next unit-mean gap.
func (p Process) Gap(r *rand.Rand) float64 {
	switch p.Kind {
	case Gamma:
		if p.CV == 1 {
			return r.ExpFloat64()
		}
		v := p.CV * p.CV
		return GammaVariate(r, 1/v) * v
	case Deterministic:
		return 1
	default:
		return r.ExpFloat64()
	}
}

// FirstGap draws the gap before the first arrival. Deterministic arrivals start at a uniformly
// random phase so that a constant process is not locked to t=0; the others use Gap.
func (p Process) FirstGap(r *rand.Rand) float64 {
	if p.Kind == Deterministic {
		return r.Float64()
	}
	return p.Gap(r)
}

// GammaVariate draws from Gamma(shape, 1) with Marsaglia and Tsang's method (boosted for
// shape < 1).
func GammaVariate(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		// Gamma(a) = Gamma(a+1) * U^(1/a).
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return GammaVariate(r, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		x2 := x * x
		if u < 1-0.0331*x2*x2 {
			return d * v
		}
		if u > 0 && math.Log(u) < 0.5*x2+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
