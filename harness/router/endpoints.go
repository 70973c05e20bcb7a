package router

import (
	"slices"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/route"
)

const (
	// maxPrefixes bounds each pod's prefix memory.
	maxPrefixes = 4096
	// downFor keeps a pod that refused a connection out of rotation briefly.
	downFor = time.Second
)

// endpoint is one ready pod. Router.mu guards every field.
type endpoint struct {
	addr     string
	inflight int
	// waiting and kv are the last scrape of the pod's vLLM gauges; assigned
	// counts requests placed on it since.
	waiting, assigned int
	kv                float64
	downUntil         time.Time
	prefixes          map[uint64]time.Time
}

// setEndpointsLocked replaces the set of ready pods, keeping what is known of the
// ones that stay, and reports whether the set changed. Called with r.mu held.
func (r *Router) setEndpointsLocked(addrs []string) bool {
	next := make(map[string]*endpoint, len(addrs))
	for _, a := range addrs {
		if ep, ok := r.eps[a]; ok {
			next[a] = ep
		} else {
			next[a] = &endpoint{addr: a, prefixes: map[uint64]time.Time{}}
		}
	}
	same := len(next) == len(r.eps)
	for a := range next {
		if _, ok := r.eps[a]; !ok {
			same = false
		}
	}
	if same {
		return false
	}
	r.eps = next
	r.order = r.order[:0]
	for _, ep := range next {
		r.order = append(r.order, ep)
	}
	slices.SortFunc(r.order, func(a, b *endpoint) int {
		switch {
		case a.addr < b.addr:
			return -1
		case a.addr > b.addr:
			return 1
		}
		return 0
	})
	return true
}

// pickLocked places a request on a pod, or returns nil when none can take it.
func (r *Router) pickLocked(now time.Time, prefix uint64) *endpoint {
	if len(r.order) == 0 {
		return nil
	}
	usePrefix := prefix != 0 && r.picker.Policy == route.KVQueueScorer && r.picker.Weights.PrefixCache > 0
	r.cands = r.cands[:0]
	for _, ep := range r.order {
		c := route.Candidate{
			Routable: !now.Before(ep.downUntil), Inflight: ep.inflight, Waiting: ep.waiting + ep.assigned, KVUsage: ep.kv,
		}
		if usePrefix {
			last, ok := ep.prefixes[prefix]
			c.PrefixHit = ok && now.Sub(last) < route.PrefixMemory
		}
		r.cands = append(r.cands, c)
	}
	i := r.picker.Pick(r.cands)
	if i < 0 {
		return nil
	}
	ep := r.order[i]
	ep.inflight++
	ep.assigned++
	if usePrefix {
		ep.rememberPrefix(now, prefix)
	}
	return ep
}

func (ep *endpoint) rememberPrefix(now time.Time, prefix uint64) {
	if len(ep.prefixes) >= maxPrefixes {
		for k, t := range ep.prefixes {
			if now.Sub(t) >= route.PrefixMemory {
				delete(ep.prefixes, k)
			}
		}
		if len(ep.prefixes) >= maxPrefixes {
			clear(ep.prefixes)
		}
	}
	ep.prefixes[prefix] = now
}
