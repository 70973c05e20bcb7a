package route

import (
	"fmt"
	"time"
)

// PrefixMemory is how long a replica is taken to still hold, in its prefix
// cache, the blocks of a prefix it served.
const PrefixMemory = 10 * time.Minute

// Policies, as named in a scenario's router.policy.
const (
	RoundRobin    = "round-robin"
	LeastQueue    = "least-queue"
	KVQueueScorer = "kv-queue-scorer"
)

// RequestTotalMetric is llm-d's endpoint-picker request counter (the Gateway API
// Inference Extension's), labelled with model_name (as requested) and target_model_name
// (as served): every request the router receives for a model it serves, counted as it
// arrives. Both routers export it, so that the arrival rate reads off the gateway as it
// does in an llm-d deployment.
const RequestTotalMetric = "inference_objective_request_total"

// Policies lists the policies Picker knows.
var Policies = []string{RoundRobin, LeastQueue, KVQueueScorer}

// Candidate is one replica as the router sees it when a request arrives.
type Candidate struct {
	// Routable is false for replicas that must not get requests (starting,
	// draining, failing).
	Routable bool
	// Inflight counts requests the router sent that have not finished.
	Inflight int
	// Waiting is the replica's queue as last observed plus the requests the
	// router assigned to it since (the observation lags).
	Waiting int
	// KVUsage is the replica's KV-cache usage as last observed, 0..1.
	KVUsage float64
	// PrefixHit is true when the replica recently served the request's prefix.
	PrefixHit bool
}

// Weights weigh the kv-queue-scorer's scorers.
type Weights struct {
	Queue, KVCache, PrefixCache float64
}

// DefaultWeights are the scenario language's defaults.
var DefaultWeights = Weights{Queue: 1, KVCache: 1, PrefixCache: 0}

// Picker places requests. Its only state is the rotation that breaks ties.
type Picker struct {
	Policy  string
	Weights Weights
	rr      int
}

// NewPicker returns a picker for policy ("" is kv-queue-scorer).
func NewPicker(policy string, w Weights) (*Picker, error) {
	switch policy {
	case "":
		policy = KVQueueScorer
	case RoundRobin, LeastQueue, KVQueueScorer:
	default:
		return nil, fmt.Errorf("unknown router policy %q: use one of %v", policy, Policies)
	}
	return &Picker{Policy: policy, Weights: w}, nil
}

// Pick returns the index of the candidate that gets the request, or -1 when
// none is routable. Ties go to the first candidate at or after the rotation
// point, so equal replicas share requests in turn.
func (p *Picker) Pick(cands []Candidate) int {
	n := len(cands)
	if n == 0 {
		return -1
	}
	start := p.rr % n
	switch p.Policy {
	case RoundRobin:
		for k := 0; k < n; k++ {
			i := (start + k) % n
			if cands[i].Routable {
				p.rr = (start + k + 1) % n
				return i
			}
		}
		return -1
	case KVQueueScorer:
		p.rr++
		return p.pickScored(cands, start)
	default: // least-queue: fewest requests in flight
		p.rr++
		best := -1
		for k := 0; k < n; k++ {
			i := (start + k) % n
			if cands[i].Routable && (best < 0 || cands[i].Inflight < cands[best].Inflight) {
				best = i
			}
		}
		return best
	}
}

// pickScored is llm-d's endpoint picker in miniature: a queue scorer (fewer
// waiting requests is better, min-max normalised over the routable
// candidates), a KV-cache scorer (1 - usage) and a prefix scorer (1 on a
// hit), weighted; the highest score wins.
func (p *Picker) pickScored(cands []Candidate, start int) int {
	minQ, maxQ := int(^uint(0)>>1), -1
	for i := range cands {
		if cands[i].Routable {
			minQ, maxQ = min(minQ, cands[i].Waiting), max(maxQ, cands[i].Waiting)
		}
	}
	if maxQ < 0 {
		return -1
	}
	w := p.Weights
	best, bestScore := -1, -1.0
	n := len(cands)
	for k := 0; k < n; k++ {
		i := (start + k) % n
		c := &cands[i]
		if !c.Routable {
			continue
		}
		qs := 1.0
		if maxQ > minQ {
			qs = float64(maxQ-c.Waiting) / float64(maxQ-minQ)
		}
		score := w.Queue*qs + w.KVCache*(1-c.KVUsage)
		if c.PrefixHit {
			score += w.PrefixCache
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}
