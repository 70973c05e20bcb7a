package saturation

import (
	"fmt"
	"math"
	"time"
)

// How close to its saturated request rate a replica may run and still start nearly every
// request within the TTFT objective. A vLLM replica is a many-server queue: its batch
// slots (the saturation concurrency) are the servers and a request holds one for its time
// in system. In an M/M/c queue a request waits with the Erlang-C probability C(c, a),
// a = λ/μ the offered load, and then for an exponential time of rate cμ - λ, so
//
//	P(wait > t) = C(c, ρc) · exp(-cμ(1-ρ)t),   ρ = λ/(cμ),
//
// where cμ is the replica's saturated request rate (its line's at c running). With many
// slots a replica runs close to that rate before waits grow (256 slots at 28 req/s:
// ρ ≈ 0.95 keeps 99% of waits under 2.4 s); with few (long prompts that fill the KV cache
// with a dozen requests) the same objective needs far more room. The utilisation is the
// largest ρ whose share of waits past the budget (waitBudget) is at most ttftMissShare.
//
// Every request is taken to hold its slot as long as at saturation: a line that grows
// with the running requests completes a few requests faster, so the queue is
// conservative there. A birth-death chain with the line's rate at each load (tried:
// 93-95% for chat where M/M/c gives 87-93%) puts the operating point inside the
// one-minute rate's own noise (the library's multi-variant then missed its 90%
// attainment in its high phase), though the line itself holds there (an H100 line fitted
// below 100 running predicts the ITL at 180-256 within 8% in the simulator): the margin
// M/M/c leaves stands in for the forecast's error until that is sized explicitly.

const (
	// ttftTargetShare is the share of the TTFT objective a request may spend waiting for a
	// slot; the rest is left to its prefill and the scheduler. A measured prefill longer
	// than the rest shortens the wait's budget to what the objective leaves after it.
	ttftTargetShare = 0.8
	// ttftMissShare is the share of requests a replica at its target may leave waiting
	// past the budget: the 99% attainment a latency objective is usually written for.
	ttftMissShare = 0.01
	// minUtilisation and maxUtilisation bound the utilisation the queue model may give:
	// below the lower bound the model's exponential service times say more about the
	// model than about vLLM; above the upper one a replica's rate measured over a minute
	// swings by more than the room left.
	minUtilisation = 0.5
	maxUtilisation = 0.95
	// maxSlots caps the batch slots the queue model counts (vLLM's --max-num-seqs is 256
	// by default; 1024 is already beyond any single engine's useful batch).
	maxSlots = 1024
)

// erlangC is the probability that an arrival waits in an M/M/c queue with c servers and
// offered load a < c, by the Erlang-B recursion (stable for any c).
func erlangC(c int, a float64) float64 {
	if c < 1 || !(a > 0) {
		return 0
	}
	if a >= float64(c) {
		return 1
	}
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return float64(c) * b / (float64(c) - a*(1-b))
}

// waitBeyond is P(wait > t) in an M/M/c queue with c servers at utilisation rho whose
// servers together complete rate requests per second when busy.
func waitBeyond(c int, rho, rate float64, t time.Duration) float64 {
	return erlangC(c, rho*float64(c)) * math.Exp(-rate*(1-rho)*t.Seconds())
}

// waitBudget is the time a request may wait for a slot within the TTFT objective:
// ttftTargetShare of it, or what the objective leaves after the line's measured prefill
// when that is less (afterPrefill); 0 when nothing is left.
func waitBudget(line LatencyModel, ttft time.Duration) (budget time.Duration, afterPrefill bool) {
	budget = time.Duration(ttftTargetShare * float64(ttft))
	if left := ttft - time.Duration(line.prefill()*float64(time.Second)); line.prefill() > 0 && left < budget {
		budget, afterPrefill = left, true
	}
	return max(budget, 0), afterPrefill
}

// utilisationFor returns the largest utilisation in [minUtilisation, maxUtilisation] at
// which a replica with slots batch slots, serving requests of out output tokens at the
// saturated rate its line gives there, leaves at most ttftMissShare of its requests
// waiting past the TTFT objective's budget (waitBudget), and says how it was found; ok is
// false when the inputs do not allow the computation (no objective, no line, no rate).
func utilisationFor(line LatencyModel, slots, out float64, ttft time.Duration) (rho float64, from string, ok bool) {
	rate := line.throughputAt(slots, out)
	if !(slots >= 1) || !finite(slots) || !(rate > 0) || !finite(rate) || ttft <= 0 {
		return 0, "", false
	}
	// The recursion is linear in c: the cap bounds the work. A replica with more slots is
	// counted as one with maxSlots, which waits more: its utilisation comes out lower, never
	// higher, than its own.
	c := int(math.Min(math.Round(slots), maxSlots))
	budget, afterPrefill := waitBudget(line, ttft)
	from = fmt.Sprintf(" (%d slots keep %.0f%% of waits under %.0f%% of sloTTFT %v)", c, (1-ttftMissShare)*100, ttftTargetShare*100, ttft)
	if afterPrefill {
		from = fmt.Sprintf(" (%d slots keep %.0f%% of waits under the %v sloTTFT %v leaves after the prefill)", c, (1-ttftMissShare)*100, budget.Round(time.Millisecond), ttft)
	}
	miss := func(r float64) bool { return waitBeyond(c, r, rate, budget) > ttftMissShare }
	if !miss(maxUtilisation) {
		return maxUtilisation, from, true
	}
	if miss(minUtilisation) {
		return minUtilisation, from, true
	}
	lo, hi := minUtilisation, maxUtilisation // miss(lo) false, miss(hi) true
	// Twenty halvings find it to within 0.45 / 2^20.
	for range 20 {
		mid := (lo + hi) / 2
		if miss(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo, from, true
}
