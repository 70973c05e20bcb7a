package twin

import (
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// prefixMemory is how long the router remembers that a replica served a
// prefix group (its blocks are likely still cached).
const prefixMemory = 10 * time.Minute

// router places requests on ready replicas.
type router struct {
	policy             string
	wQueue, wKV, wPref float64
	rr                 int
	lastRefresh        time.Duration
	refreshed          bool
}

func newRouter(r scenario.Router) router {
	w := func(p *float64, def float64) float64 {
		if p == nil {
			return def
		}
		return *p
	}
	return router{
		policy: r.Policy,
		wQueue: w(r.Weights.Queue, 1), wKV: w(r.Weights.KVCache, 1), wPref: w(r.Weights.PrefixCache, 0),
	}
}

// routable reports whether the router may send a request to r.
func routable(r *replica) bool {
	return r.state == record.ReplicaReady && !r.unresponsive
}

// refresh advances every serving replica to now and re-reads its queue and
// KV usage, as the endpoint picker's metrics refresh does.
func (t *twin) refreshRouter() {
	ro := &t.router
	if ro.refreshed && t.now-ro.lastRefresh < routerRefresh {
		return
	}
	ro.refreshed, ro.lastRefresh = true, t.now
	for i := 0; i < len(t.serving); i++ {
		r := t.serving[i]
		if !routable(r) {
			continue
		}
		t.advance(r, t.now)
		if r.eng == nil {
			continue
		}
		st := r.eng.Stats()
		r.viewWaiting, r.viewKV, r.assigned = st.Waiting, st.KVCacheUsage, 0
	}
}

// pick chooses a replica for req, or nil when none is routable.
func (t *twin) pick(req *scenario.Request) *replica {
	ro := &t.router
	n := len(t.serving)
	if n == 0 {
		return nil
	}
	switch ro.policy {
	case scenario.RouterRoundRobin:
		for k := 0; k < n; k++ {
			r := t.serving[(ro.rr+k)%n]
			if routable(r) {
				ro.rr = (ro.rr + k + 1) % n
				return r
			}
		}
		return nil
	case scenario.RouterKVQueueScorer:
		t.refreshRouter()
		return t.pickScored(req)
	default: // least-queue: fewest requests in flight, ties in rotation
		var best *replica
		start := ro.rr % n
		for k := 0; k < n; k++ {
			r := t.serving[(start+k)%n]
			if routable(r) && (best == nil || r.inflight < best.inflight) {
				best = r
			}
		}
		ro.rr++
		return best
	}
}

// pickScored is llm-d's endpoint picker in miniature: a queue scorer (fewer
// waiting requests is better, min-max normalised), a KV-cache scorer (1 -
// usage) and a prefix scorer (1 when the replica recently served the
// request's prefix group), weighted; the best score wins, ties in rotation.
func (t *twin) pickScored(req *scenario.Request) *replica {
	ro := &t.router
	n := len(t.serving)
	minQ, maxQ := int(^uint(0)>>1), -1
	for _, r := range t.serving {
		if !routable(r) {
			continue
		}
		q := r.viewWaiting + r.assigned
		minQ, maxQ = min(minQ, q), max(maxQ, q)
	}
	if maxQ < 0 {
		return nil
	}
	var best *replica
	bestScore := -1.0
	start := ro.rr % n
	for k := 0; k < n; k++ {
		r := t.serving[(start+k)%n]
		if !routable(r) {
			continue
		}
		q := r.viewWaiting + r.assigned
		qs := 1.0
		if maxQ > minQ {
			qs = float64(maxQ-q) / float64(maxQ-minQ)
		}
		score := ro.wQueue*qs + ro.wKV*(1-r.viewKV)
		if ro.wPref > 0 && req.PrefixGroup != "" {
			if last, ok := r.prefixes[req.PrefixGroup]; ok && t.now-last < prefixMemory {
				score += ro.wPref
			}
		}
		if score > bestScore {
			best, bestScore = r, score
		}
	}
	ro.rr++
	if best != nil {
		best.assigned++
		if req.PrefixGroup != "" && ro.wPref > 0 {
			best.prefixes[req.PrefixGroup] = t.now
		}
	}
	return best
}
