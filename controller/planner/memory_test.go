package planner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// What the planner remembers between cycles: sustained waiting per pod and the
// saturation concurrency per variant.
func TestSustainedWaitingAndSaturationLearning(t *testing.T) {
	p := NewPlanner(Options{})
	st := []saturation.VariantState{state("a", 10, 1, 1)}
	cycle := func(i int, kv, waiting, running float64) Decision {
		now := t0.Add(time.Duration(i) * 30 * time.Second)
		snap := newSnap(now).pods("ns", "m", "a", podLoad{kv, waiting}).running("ns", "m", running)
		ds := p.Decide(now, snap.build(), st, config.Default())
		require.Len(t, ds, 1)
		return ds[0]
	}

	d := cycle(0, 0.05, 0, 20)
	assert.Equal(t, 1, d.Desired, d.Reason)

	// A one-minute peak of 7 after a quiet cycle is a burst: it does not size the pool.
	d = cycle(1, 0.05, 7, 20)
	assert.Equal(t, 1, d.Desired, d.Reason)
	assert.Equal(t, 0.0, d.Inputs["waiting"], "sustained waiting is the lowest peak of the last two cycles")
	assert.Equal(t, 7.0, d.Inputs["peakWaiting"])

	d = cycle(2, 0.05, 0, 20)
	assert.Equal(t, 1, d.Desired, d.Reason)

	// A queue of 4 x queueLengthThreshold sizes at once: 40 waiting need 8 replicas at 5
	// each, the queue rule at most doubles the pool.
	d = cycle(3, 0.05, 40, 200)
	assert.Equal(t, 2, d.Desired, d.Reason)
	assert.Zero(t, d.Inputs["saturationConcurrency"], "not learned from fewer than three queueing cycles")

	d = cycle(4, 0.05, 40, 200) // the new replica is not ready yet: st still has one
	assert.Zero(t, d.Inputs["saturationConcurrency"], "cycle 2 had no queue")
	d = cycle(5, 0.05, 40, 200)
	assert.Equal(t, 200.0, d.Inputs["saturationConcurrency"], "three queueing cycles at the most running seen: %s", d.Reason)
	// 200 running + 5 counted waiting at 15% of 200 = 30 per replica need 7 replicas.
	assert.Equal(t, 7, d.Desired, d.Reason)

	// Memory holds when the queue is gone: the variant keeps its saturation concurrency.
	d = cycle(6, 0.05, 0, 10)
	assert.Equal(t, 200.0, d.Inputs["saturationConcurrency"])
}

// A queue on a replica with KV above kvCacheThreshold is memory-bound: no saturation
// concurrency is learned from it.
func TestNoSaturationLearnedWhenKVBound(t *testing.T) {
	p := NewPlanner(Options{})
	st := []saturation.VariantState{state("a", 10, 1, 1)}
	var d Decision
	for i := range 4 {
		now := t0.Add(time.Duration(i) * 30 * time.Second)
		snap := newSnap(now).pods("ns", "m", "a", podLoad{0.95, 30}).running("ns", "m", 100)
		d = p.Decide(now, snap.build(), st, config.Default())[0]
	}
	assert.Zero(t, d.Inputs["saturationConcurrency"], d.Reason)
	assert.Contains(t, d.Reason, "saturation not observed yet")
}
