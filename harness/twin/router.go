package twin

import (
	"time"

	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/route"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// router places requests on ready replicas with the policy the in-cluster
// router (harness/router) also uses.
type router struct {
	picker      *route.Picker
	cands       []route.Candidate // reused by pick
	lastRefresh time.Duration
	refreshed   bool
}

func newRouter(r blueprint.Router) (router, error) {
	p, err := route.NewPicker(r.Policy, r.Weights)
	if err != nil {
		return router{}, err
	}
	return router{picker: p}, nil
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
	if len(t.serving) == 0 {
		return nil
	}
	scored := ro.picker.Policy == route.KVQueueScorer
	if scored {
		t.refreshRouter()
	}
	prefix := scored && ro.picker.Weights.PrefixCache > 0 && req.PrefixGroup != ""
	ro.cands = ro.cands[:0]
	for _, r := range t.serving {
		c := route.Candidate{Routable: routable(r), Inflight: r.inflight, Waiting: r.viewWaiting + r.assigned, KVUsage: r.viewKV}
		if prefix {
			last, ok := r.prefixes[req.PrefixGroup]
			c.PrefixHit = ok && t.now-last < route.PrefixMemory
		}
		ro.cands = append(ro.cands, c)
	}
	i := ro.picker.Pick(ro.cands)
	if i < 0 {
		return nil
	}
	best := t.serving[i]
	if scored {
		best.assigned++
		if prefix {
			best.prefixes[req.PrefixGroup] = t.now
		}
	}
	return best
}
