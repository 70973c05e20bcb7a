package twin

import (
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// replica is one simulated pod.
type replica struct {
	id    int
	name  string
	v     *variant
	state record.ReplicaState
	eng   *engine.Engine
	// next is the offset of the engine's next event (never when idle).
	next     time.Duration
	inflight int
	// unresponsive replicas keep their pod but answer nothing.
	unresponsive bool
	servingIdx   int // index in twin.serving, -1 when not serving
	// router view, refreshed every routerRefresh.
	viewWaiting int
	viewKV      float64
	assigned    int // requests routed since the last refresh
	prefixes    map[string]time.Duration
	// scrape state
	series      *replicaSeries
	promptSum   float64
	promptCount float64
	// itlSum and itlCount are vllm:inter_token_latency_seconds' _sum and _count: the
	// gaps between output tokens, credited when a request finishes (vLLM observes each
	// gap as it streams; over the collector's 1-minute rate window the two agree but for
	// the requests still streaming).
	itlSum   float64
	itlCount float64
	// prefillSum is vllm:request_prefill_time_seconds' _sum (first scheduled to first
	// token, observed when a request finishes, as vLLM does); its _count is promptCount.
	prefillSum float64
	// genSum is vllm:request_generation_tokens' _sum (its _count is promptCount).
	genSum float64
	// created and readyAt are when the pod was created and became ready; equal for the
	// initial replicas, ready from the start (their start-up is unknown).
	created, readyAt time.Duration
	// staleMarked is set once staleness markers are queued for its series.
	staleMarked bool
}

// newReplica creates a pending pod of v.
func (t *twin) newReplica(v *variant) *replica {
	r := &replica{id: len(t.replicas), name: v.podName(), v: v, state: record.ReplicaPending, next: never, servingIdx: -1, created: t.now}
	t.replicas = append(t.replicas, r)
	v.alive = append(v.alive, r)
	t.lifecycle(r, record.ReplicaPending)
	return r
}

func (t *twin) lifecycle(r *replica, s record.ReplicaState) {
	r.state = s
	t.rec.Lifecycle = append(t.rec.Lifecycle, record.ReplicaEvent{Time: t.now, Variant: r.v.name, Replica: r.name, State: s})
}

// startupTimes draws the scheduling and weights-loading times of a new pod.
func (t *twin) startupTimes(v *variant) (sched, load time.Duration) {
	sched = v.spec.Startup.Scheduling.Sample(v.rng)
	load = v.spec.Startup.WeightsLoading.Sample(v.rng) + t.faults.slowStartExtra(v, t.now)
	return sched, load
}

// schedule starts a new pod's lifecycle: pending -> starting -> ready.
func (t *twin) schedule(r *replica) {
	sched, _ := t.startupTimes(r.v)
	t.timers.push(t.now+sched, timerLifecycle, r.id, int(stateStarting))
}

// lifecycle timer targets.
type lifecycleTarget int

const (
	stateStarting lifecycleTarget = iota
	stateReady
)

func (t *twin) onLifecycle(id int, target lifecycleTarget) {
	r := t.replicas[id]
	switch target {
	case stateStarting:
		if r.state != record.ReplicaPending {
			return
		}
		t.lifecycle(r, record.ReplicaStarting)
		_, load := t.startupTimes(r.v)
		t.timers.push(t.now+load, timerLifecycle, r.id, int(stateReady))
	case stateReady:
		if r.state != record.ReplicaStarting {
			return
		}
		t.becomeReady(r)
	}
}

// becomeReady starts the replica's engine and lets the router use it.
func (t *twin) becomeReady(r *replica) {
	eng, err := newEngine(r.v)
	if err != nil {
		// The config was validated when the variant was built; a failure here
		// is a bug in the engine, kept visible in the record.
		t.lifecycle(r, record.ReplicaFailed)
		t.removeAlive(r)
		return
	}
	r.eng = eng
	r.next = never
	r.prefixes = map[string]time.Duration{}
	r.viewWaiting, r.viewKV, r.assigned = 0, 0, 0
	r.series = t.metrics.seriesFor(r, t.namespace)
	r.promptSum, r.promptCount = 0, 0
	r.itlSum, r.itlCount, r.genSum, r.prefillSum = 0, 0, 0, 0
	r.staleMarked = false
	r.readyAt = t.now
	t.lifecycle(r, record.ReplicaReady)
	r.servingIdx = len(t.serving)
	t.serving = append(t.serving, r)
	t.dispatchQueue()
}

// stopServing removes the replica's engine from the loop.
func (t *twin) stopServing(r *replica) {
	if r.servingIdx < 0 {
		return
	}
	i := r.servingIdx
	last := len(t.serving) - 1
	// Keep serving in creation order (deterministic routing ties): shift.
	copy(t.serving[i:], t.serving[i+1:])
	t.serving = t.serving[:last]
	for j := i; j < len(t.serving); j++ {
		t.serving[j].servingIdx = j
	}
	r.servingIdx = -1
	r.eng = nil
	r.next = never
	if r.series != nil && !r.staleMarked {
		r.staleMarked = true
		t.metrics.retire(r)
	}
}

func (t *twin) removeAlive(r *replica) {
	a := r.v.alive
	for i, x := range a {
		if x == r {
			r.v.alive = append(a[:i], a[i+1:]...)
			return
		}
	}
}

// stop ends a replica (stopped or failed).
func (t *twin) stop(r *replica, s record.ReplicaState) {
	t.stopServing(r)
	t.lifecycle(r, s)
	t.removeAlive(r)
}

// reconcile is the ReplicaSet controller: it creates or deletes pods until
// the non-terminating ones match the variant's desired count. Deletion
// prefers pending, then starting, then ready pods, newest first.
func (t *twin) reconcile(v *variant) {
	n := 0
	for _, r := range v.alive {
		if r.state != record.ReplicaDraining {
			n++
		}
	}
	for ; n < v.desired; n++ {
		r := t.newReplica(v)
		t.schedule(r)
	}
	for _, want := range []record.ReplicaState{record.ReplicaPending, record.ReplicaStarting, record.ReplicaReady} {
		for i := len(v.alive) - 1; i >= 0 && n > v.desired; i-- {
			r := v.alive[i]
			if r.state != want {
				continue
			}
			n--
			if want == record.ReplicaReady {
				t.drain(r)
			} else {
				t.stop(r, record.ReplicaStopped)
			}
		}
	}
}

// drain stops routing to a ready replica; it stops once its in-flight
// requests are done.
func (t *twin) drain(r *replica) {
	t.lifecycle(r, record.ReplicaDraining)
	if r.inflight == 0 || r.unresponsive {
		t.failInflight(r, "replica terminated")
		t.stop(r, record.ReplicaStopped)
	}
}

// counts returns the variant's pods by state.
func (v *variant) counts() (ready, starting, draining int) {
	for _, r := range v.alive {
		switch r.state {
		case record.ReplicaReady:
			ready++
		case record.ReplicaPending, record.ReplicaStarting:
			starting++
		case record.ReplicaDraining:
			draining++
		}
	}
	return
}

func newEngine(v *variant) (*engine.Engine, error) { return engine.New(v.engCfg) }
