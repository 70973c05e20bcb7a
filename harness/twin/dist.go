package twin

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// drawDuration samples a start-up time distribution.
func drawDuration(r *rand.Rand, d scenario.DurationDist) time.Duration {
	var x float64
	switch d.Type {
	case scenario.DistUniform:
		lo, hi := float64(d.Min), float64(d.Max)
		x = lo + r.Float64()*(hi-lo)
	case scenario.DistNormal:
		x = float64(d.Mean) + r.NormFloat64()*float64(d.StdDev)
	case scenario.DistLognormal:
		m, s := float64(d.Mean), float64(d.StdDev)
		if m <= 0 {
			x = 0
			break
		}
		sigma2 := math.Log1p(s * s / (m * m))
		mu := math.Log(m) - sigma2/2
		x = math.Exp(mu + math.Sqrt(sigma2)*r.NormFloat64())
	default:
		x = float64(d.Value)
	}
	if d.Type != scenario.DistUniform && d.Type != "" && d.Type != scenario.DistConstant {
		if d.Min > 0 {
			x = math.Max(x, float64(d.Min))
		}
		if d.Max > 0 {
			x = math.Min(x, float64(d.Max))
		}
	}
	if x < 0 || math.IsNaN(x) {
		x = 0
	}
	return time.Duration(x)
}
