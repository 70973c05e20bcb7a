package engine

import "math"

// costModel holds the roofline coefficients of one replica, per device, in
// seconds per unit.
type costModel struct {
	linearFLOPsPerToken float64 // 2 x params / TP
	attnFLOPsPerPair    float64 // 4 x layers x heads x head dim / TP
	matmulFLOPS         float64 // achieved FLOP/s on matrix multiplications (every token's linear layers, prefill attention)
	decodeAttnFLOPS     float64 // achieved FLOP/s on decode attention
	weightBytes         float64 // weights per device
	kvBytesPerToken     float64 // KV bytes per token per device
	bandwidth           float64 // achieved bytes/s
	overlap             float64 // compute/memory overlap in [0, 1]
	overhead            float64 // per-step + layers x per-layer, seconds
	prefillOverhead     float64 // added to steps carrying prefill tokens, seconds
	// Tensor-parallel all-reduces (two per layer), serial with the rest:
	// commFixed per step plus commPerToken per token in the batch.
	commFixed    float64
	commPerToken float64
}

// comm is the all-reduce time of a step with tokens tokens.
func (c *costModel) comm(tokens int) float64 {
	if c.commFixed == 0 && c.commPerToken == 0 {
		return 0
	}
	return c.commFixed + float64(tokens)*c.commPerToken
}

// stepTime combines the compute and memory times of one step.
func (c *costModel) stepTime(compute, memory float64) float64 {
	return compute + memory - c.overlap*math.Min(compute, memory) + c.overhead
}

// decodeCompute is the compute time of n decode tokens attending ctx pairs
// in total: their linear layers run in the step's GEMMs at the matmul
// efficiency, their attention at the decode-attention efficiency.
func (c *costModel) decodeCompute(n, ctx float64) float64 {
	return n*c.linearFLOPsPerToken/c.matmulFLOPS + ctx*c.attnFLOPsPerPair/c.decodeAttnFLOPS
}

// prefillCompute is the compute time of a chunk of n tokens after offset computed tokens.
func (c *costModel) prefillCompute(n, offset float64) float64 {
	pairs := n*offset + n*(n+1)/2
	return (n*c.linearFLOPsPerToken + pairs*c.attnFLOPsPerPair) / c.matmulFLOPS
}

// run describes the durations of the steps of a plan: step j (0-based) has
// compute c0 + c1 j and memory m0 + m1 j.
type run struct {
	c0, c1, m0, m1 float64
	// Steps [0, crossLo) follow regime A, later steps regime B (compute-bound
	// or memory-bound, whichever applies on each side of the crossover).
	crossLo       int64
	aAlpha, aBeta float64
	bAlpha, bBeta float64
}

// setup precomputes the two linear regimes of t(j); extra is a fixed cost
// added to every step on top of the per-step and per-layer overheads.
func (r *run) setup(cm *costModel, extra float64) {
	o := cm.overlap
	oh := cm.overhead + extra
	// Regime "memory-bound" (c <= m): t = (1-o) c + m + oh.
	memA := (1-o)*r.c0 + r.m0 + oh
	memB := (1-o)*r.c1 + r.m1
	// Regime "compute-bound" (c > m): t = c + (1-o) m + oh.
	cmpA := r.c0 + (1-o)*r.m0 + oh
	cmpB := r.c1 + (1-o)*r.m1
	// Find the first j where c(j) > m(j).
	d0 := r.c0 - r.m0 // > 0 means compute-bound at j=0
	d1 := r.c1 - r.m1
	var cross int64
	switch {
	case d0 > 0 && d1 >= 0:
		cross = 0 // compute-bound throughout
	case d0 <= 0 && d1 <= 0:
		cross = math.MaxInt64 // memory-bound throughout
	case d0 <= 0 && d1 > 0:
		// crosses upward at j > -d0/d1
		x := -d0 / d1
		if x >= 1<<50 {
			cross = math.MaxInt64
		} else {
			cross = int64(math.Floor(x)) + 1
		}
		r.crossLo = cross
		r.aAlpha, r.aBeta, r.bAlpha, r.bBeta = memA, memB, cmpA, cmpB
		return
	default: // d0 > 0 && d1 < 0: compute-bound first, then memory-bound
		x := d0 / -d1
		if x >= 1<<50 {
			cross = math.MaxInt64
		} else {
			// c(j) > m(j) while j < x
			cross = int64(math.Ceil(x))
		}
		r.crossLo = cross
		r.aAlpha, r.aBeta, r.bAlpha, r.bBeta = cmpA, cmpB, memA, memB
		return
	}
	r.crossLo = cross
	if cross == 0 {
		r.aAlpha, r.aBeta, r.bAlpha, r.bBeta = cmpA, cmpB, cmpA, cmpB
	} else {
		r.aAlpha, r.aBeta, r.bAlpha, r.bBeta = memA, memB, memA, memB
	}
}

// sumLinear is the sum over j in [a, b) of alpha + beta j.
func sumLinear(alpha, beta float64, a, b int64) float64 {
	if b <= a {
		return 0
	}
	n := float64(b - a)
	return n*alpha + beta*n*float64(a+b-1)/2
}

// elapsed is the total duration of steps [0, k).
func (r *run) elapsed(k int64) float64 {
	if k <= r.crossLo {
		return sumLinear(r.aAlpha, r.aBeta, 0, k)
	}
	return sumLinear(r.aAlpha, r.aBeta, 0, r.crossLo) + sumLinear(r.bAlpha, r.bBeta, r.crossLo, k)
}

// duration is the duration of step j.
func (r *run) duration(j int64) float64 {
	if j < r.crossLo {
		return r.aAlpha + r.aBeta*float64(j)
	}
	return r.bAlpha + r.bBeta*float64(j)
}

// stepsBy returns the largest k in [lo, hi] with elapsed(k) <= t, given
// elapsed(lo) <= t.
func (r *run) stepsBy(t float64, lo, hi int64) int64 {
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if r.elapsed(mid) <= t {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}
