package planner

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/collector"
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

// A saturation concurrency learned from a queue that passed (trace-azure: three one-minute
// peaks of 5 waiting at 58 running on a 256-slot H100, which later ran 115 without a
// queue) is forgotten once a replica runs more than it, and learned again from a queue at
// the running requests replicas now reach. A replica at its limit keeps it.
func TestSaturationForgottenWhenAReplicaRunsMore(t *testing.T) {
	p := NewPlanner(Options{})
	st := []saturation.VariantState{state("a", 10, 1, 1)}
	i := 0
	cycle := func(waiting, running float64) Decision {
		now := t0.Add(time.Duration(i) * 30 * time.Second)
		i++
		snap := newSnap(now).pods("ns", "m", "a", podLoad{0.2, waiting}).running("ns", "m", running)
		ds := p.Decide(now, snap.build(), st, config.Default())
		require.Len(t, ds, 1)
		return ds[0]
	}
	var d Decision
	for range 3 {
		d = cycle(6, 58)
	}
	require.Equal(t, 58.0, d.Inputs["saturationConcurrency"], d.Reason)
	d = cycle(0, 60)
	assert.Equal(t, 58.0, d.Inputs["saturationConcurrency"], "within the share a full replica's running varies by")
	d = cycle(0, 115)
	assert.Zero(t, d.Inputs["saturationConcurrency"], "a replica ran 115 without a queue: 58 was not its limit: %s", d.Reason)
	for range 3 {
		d = cycle(6, 112)
	}
	assert.Equal(t, 112.0, d.Inputs["saturationConcurrency"], d.Reason)
	d = cycle(0, 112)
	assert.Equal(t, 112.0, d.Inputs["saturationConcurrency"], "a replica at its limit keeps it")
}

// With a 15 s cycle a scrape of a one-minute peak window stays in four cycles' windows:
// one clump of 5 waiting (ramp: gamma arrivals at 85 running on a 256-slot H100, which
// then held 80 req/s at 5 replicas where 3 would do) must not teach a saturation. A
// queue that fills windows a minute apart does (five cycles), as three cycles do at the
// default 30 s, and a snapshot that says its window (KVWindow) sets the span.
func TestSaturationNotLearnedFromOneWindow(t *testing.T) {
	run := func(every, window time.Duration, waiting ...float64) Decision {
		p := NewPlanner(Options{})
		st := []saturation.VariantState{state("a", 10, 1, 1)}
		var d Decision
		for i, w := range waiting {
			now := t0.Add(time.Duration(i) * every)
			snap := newSnap(now).pods("ns", "m", "a", podLoad{0.2, w}).running("ns", "m", 85).build()
			snap.KVWindow = window
			ds := p.Decide(now, snap, st, config.Default())
			require.Len(t, ds, 1)
			d = ds[0]
		}
		return d
	}
	// One scrape of 5 waiting just after a quiet cycle is every window's peak for a
	// minute: the four cycles after the quiet one see it.
	d := run(15*time.Second, 0, 0, 5, 5, 5, 5)
	assert.Zero(t, d.Inputs["saturationConcurrency"], "one window's clump: %s", d.Reason)
	d = run(15*time.Second, 0, 5, 5, 5, 5)
	assert.Zero(t, d.Inputs["saturationConcurrency"], "four cycles of 15 s span 45 s: %s", d.Reason)
	d = run(15*time.Second, 0, 5, 5, 5, 5, 5)
	assert.Equal(t, 85.0, d.Inputs["saturationConcurrency"], "windows a minute apart both queue: %s", d.Reason)
	d = run(30*time.Second, 0, 5, 5, 5)
	assert.Equal(t, 85.0, d.Inputs["saturationConcurrency"], "three cycles at 30 s, as before: %s", d.Reason)
	d = run(15*time.Second, 30*time.Second, 5, 5, 5)
	assert.Equal(t, 85.0, d.Inputs["saturationConcurrency"], "a 30 s window is spanned by three 15 s cycles: %s", d.Reason)
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

// A planner seeing a variant for the first time (a start, a restart) seeds its ITL line
// from its current pods' history, only once; a pod gone since (a rolling update's old one,
// possibly with other engine settings) and a pod of another Deployment whose name extends
// the target's are not the variant's now.
func TestLatencySeededFromHistory(t *testing.T) {
	cfg := cfgWith(map[string]string{"default": "sloITL: 50ms\n"}, nil)
	st := []saturation.VariantState{state("a", 10, 1, 1)}
	snapAt := func(now time.Time) collector.Snapshot {
		s := newSnap(now).pods("ns", "m", "a", podLoad{0.3, 0}).running("ns", "m", 10).build()
		pm := s.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].Pods["a-abc-0"]
		pm.MeanRunning, pm.MeanITL = 10, 0.012
		return s
	}
	var hist []collector.HistoryPoint
	for i, r := range []float64{2, 5, 8, 11, 14, 17, 20} {
		hist = append(hist, latencyPoint(t0.Add(-time.Duration(14-2*i)*time.Minute), r, 0.010+0.0002*r))
	}
	wrong := []collector.HistoryPoint{latencyPoint(t0.Add(-3*time.Minute), 3, 0.2), latencyPoint(t0.Add(-5*time.Minute), 30, 0.001)}
	history := map[collector.ModelKey]map[string][]collector.HistoryPoint{{Namespace: "ns", ModelID: "m"}: {
		// The variant's pod, and one of its points older than the lookback: left out.
		"a-abc-0": append(hist, latencyPoint(t0.Add(-45*time.Minute), 40, 0.5)),
		// A pod gone before this cycle and another Deployment's ("a-canary"): left out.
		"a-old-x1q2z":    wrong,
		"a-canary-abc-0": wrong,
	}}

	p := NewPlanner(Options{})
	assert.Equal(t, []collector.Target{{Namespace: "ns", ModelID: "m"}}, p.unseeded(st))
	snap := snapAt(t0)
	snap.History = history
	d := p.Decide(t0, snap, st, cfg)[0]
	assert.Contains(t, d.Reason, "by the fitted ITL 10.0ms + 0.200ms per running request (8 samples up to 20 running; within 10% at any load)", "seven history points and this cycle's")
	assert.Empty(t, p.unseeded(st), "seeded once")

	// Without the history the same first cycle knows no line.
	fresh := NewPlanner(Options{})
	d = fresh.Decide(t0, snapAt(t0), st, cfg)[0]
	assert.NotContains(t, d.Reason, "fitted ITL")
	assert.Contains(t, d.Reason, "saturation not observed yet", "no line, no saturation: sized by the concurrency target")
	assert.Equal(t, []collector.Target{{Namespace: "ns", ModelID: "m"}}, fresh.unseeded(st), "no history read: asked again")
	// An empty history (a model with no past) seeds nothing and is not asked for again.
	snap = snapAt(t0.Add(30 * time.Second))
	snap.History = map[collector.ModelKey]map[string][]collector.HistoryPoint{{Namespace: "ns", ModelID: "m"}: {}}
	fresh.Decide(snap.Time, snap, st, cfg)
	assert.Empty(t, fresh.unseeded(st))
}

// Each pod's mean prefill time reaches the variant's latency model (a request's time in a
// replica: its prefill, then its output tokens); a cycle in which no request finished
// keeps the last one measured, and so does one whose pod holds a queue (it prefills among
// as many requests as it can run).
func TestPrefillReachesTheLatencyModel(t *testing.T) {
	cfg := cfgWith(map[string]string{"default": "sloITL: 50ms\n"}, nil)
	st := []saturation.VariantState{state("a", 10, 1, 1)}
	waiting := 0.0
	snapAt := func(now time.Time, prefill float64) collector.Snapshot {
		s := newSnap(now).pods("ns", "m", "a", podLoad{0.3, waiting}).running("ns", "m", 10).build()
		pm := s.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].Pods["a-abc-0"]
		pm.MeanRunning, pm.MeanITL, pm.MeanPrefill = 10, 0.012, prefill
		return s
	}
	var hist []collector.HistoryPoint
	for i, r := range []float64{2, 5, 8, 11, 14, 17, 20} {
		hist = append(hist, latencyPoint(t0.Add(-time.Duration(14-2*i)*time.Minute), r, 0.010+0.0002*r))
	}
	p := NewPlanner(Options{})
	snap := snapAt(t0, 1.2)
	snap.History = map[collector.ModelKey]map[string][]collector.HistoryPoint{{Namespace: "ns", ModelID: "m"}: {"a-abc-0": hist}}
	d := p.Decide(t0, snap, st, cfg)[0]
	assert.Contains(t, d.Reason, "ITL 10.0ms + 0.200ms per running request, prefill 1.20s (8 samples")
	d = p.Decide(t0.Add(30*time.Second), snapAt(t0.Add(30*time.Second), math.NaN()), st, cfg)[0]
	assert.Contains(t, d.Reason, "per running request, prefill 1.20s", "none measured this cycle: the last one")
	d = p.Decide(t0.Add(time.Minute), snapAt(t0.Add(time.Minute), 0.4), st, cfg)[0]
	assert.Contains(t, d.Reason, "per running request, prefill 0.40s")
	waiting = 12
	d = p.Decide(t0.Add(90*time.Second), snapAt(t0.Add(90*time.Second), 3), st, cfg)[0]
	assert.Contains(t, d.Reason, "prefill 0.40s", "a queueing pod's prefill is not its target's")
}

func TestVariantPods(t *testing.T) {
	mm := &collector.ModelMetrics{Pods: map[string]*collector.PodMetrics{}}
	for _, pod := range []string{"llama-7c9f8-x2z4q", "llama-0", "llama-canary-7c9f8-x2z4q", "llama", "llama--x", "other-7c9f8-x2z4q"} {
		mm.Pods[pod] = &collector.PodMetrics{Pod: pod}
	}
	byName := variantPods(saturation.VariantState{TargetName: "llama"}, mm)
	for pod, want := range map[string]bool{
		"llama-7c9f8-x2z4q": true, "llama-0": true, "llama-7c9f8-gone1": false,
		"llama-canary-7c9f8-x2z4q": false, "llama": false, "llama-": false, "llama--x": false, "other-7c9f8-x2z4q": false,
	} {
		assert.Equal(t, want, slices.Contains(byName, pod), pod)
	}
	listed := variantPods(saturation.VariantState{TargetName: "llama", Pods: []string{"listed"}}, mm)
	assert.Contains(t, listed, "listed", "listed, even before its first sample")
	assert.NotContains(t, listed, "llama-0", "a variant that lists its pods names them all")
	assert.Empty(t, variantPods(saturation.VariantState{}, mm), "no target name, no listed pods")
	assert.Empty(t, variantPods(saturation.VariantState{TargetName: "llama"}, nil), "no metrics for the model")
}

// A seed larger than the samples kept loses its oldest points, whichever pods they came
// from.
func TestSeedKeepsTheNewestSamples(t *testing.T) {
	v := state("a", 10, 2, 2)
	pods := map[string][]collector.HistoryPoint{}
	for k := range 2 {
		name := fmt.Sprintf("a-abc-%d", k)
		for i := range maxLatencySamples {
			at := t0.Add(-time.Duration(maxLatencySamples-i) * time.Second)
			pods[name] = append(pods[name], latencyPoint(at, float64(2+k), 0.01))
		}
	}
	p := NewPlanner(Options{})
	m := p.variantMem(t0, v)
	p.seed(t0, v, m, nil, map[collector.ModelKey]map[string][]collector.HistoryPoint{{Namespace: "ns", ModelID: "m"}: pods}, config.Thresholds{})
	m.observeLatency(t0, nil, 0)
	require.Len(t, m.latency, maxLatencySamples)
	assert.Equal(t, t0.Add(-time.Duration(maxLatencySamples/2)*time.Second), m.latency[0].At, "both pods' newest halves")
	last := map[float64]bool{}
	for _, s := range m.latency {
		last[s.Running] = true
	}
	assert.Len(t, last, 2, "points of both pods kept")
}

// latencyPoint is a history point with a latency sample and no load.
func latencyPoint(at time.Time, meanRunning, itl float64) collector.HistoryPoint {
	nan := math.NaN()
	return collector.HistoryPoint{At: at, MeanRunning: meanRunning, ITL: itl, Running: nan, Waiting: nan, KVUsage: nan}
}

// A queue a scale-up answered is not counted again while the peak window still holds the
// scrapes it was measured on (scale-to-zero's wake: the same peak of 30 doubled the pool
// twice); it counts again once it grows, or once measured over a window of its own.
func TestAnsweredQueueIsNotCountedTwice(t *testing.T) {
	run := func(second, third float64) (Decision, Decision) {
		p := NewPlanner(Options{})
		cycle := func(i int, st saturation.VariantState, waiting float64) Decision {
			now := t0.Add(time.Duration(i) * 30 * time.Second)
			snap := newSnap(now).pods("ns", "m", "a", podLoad{0.05, waiting}).running("ns", "m", 250)
			ds := p.Decide(now, snap.build(), []saturation.VariantState{st}, config.Default())
			require.Len(t, ds, 1)
			return ds[0]
		}
		d := cycle(0, state("a", 10, 1, 1), 0)
		require.Equal(t, 1, d.Desired, d.Reason)
		// 30 waiting (a burst of 6 x queueLengthThreshold) at once: the queue rule doubles.
		d = cycle(1, state("a", 10, 1, 1), 30)
		require.Equal(t, 2, d.Desired, d.Reason)
		// The new replica is starting; the next cycle's window still holds the peak.
		return cycle(2, state("a", 10, 2, 1), second), cycle(3, state("a", 10, 2, 1), third)
	}

	d, later := run(30, 30)
	assert.Equal(t, 2, d.Desired, "the same peak buys nothing more: %s", d.Reason)
	assert.Zero(t, d.Inputs["waiting"])
	assert.Equal(t, 30.0, d.Inputs["peakWaiting"], "the peak is still shown")
	assert.Equal(t, 30.0, later.Inputs["waiting"], "a minute on, the queue is measured anew")
	assert.Greater(t, later.Desired, 2, later.Reason)

	d, _ = run(45, 45)
	assert.Equal(t, 4, d.Desired, "a queue that grew counts: %s", d.Reason)

	// Answered means enacted: while the scale target still has one replica (an HPA that
	// has not read the recommendation yet) the same peak still asks for two.
	p := NewPlanner(Options{})
	cycle := func(i int, waiting float64) Decision {
		now := t0.Add(time.Duration(i) * 30 * time.Second)
		snap := newSnap(now).pods("ns", "m", "a", podLoad{0.05, waiting}).running("ns", "m", 250)
		return p.Decide(now, snap.build(), []saturation.VariantState{state("a", 10, 1, 1)}, config.Default())[0]
	}
	cycle(0, 0)
	require.Equal(t, 2, cycle(1, 30).Desired)
	d = cycle(2, 30)
	assert.Equal(t, 30.0, d.Inputs["waiting"], d.Reason)
	assert.GreaterOrEqual(t, d.Desired, 2, "not enacted: still asked for: %s", d.Reason)
}

// A queue in one cycle's peak at about the most a replica ran is remembered as the batch
// limit a consolidation may rely on (saturation.VariantInput.QueuedRunning); a queue on a
// replica running far less is a burst, and a replica running more forgets it.
func TestQueuedRunningRemembered(t *testing.T) {
	th := config.Thresholds{KvCacheThreshold: 0.8, QueueLengthThreshold: 5}
	var m variantMemory
	in := func(running, waiting float64) saturation.VariantInput {
		return saturation.VariantInput{Replicas: []saturation.ReplicaMetrics{
			{Pod: "a", Running: running, Waiting: waiting, KVUsage: 0.1},
			{Pod: "b", Running: 3, Waiting: 0, KVUsage: 0.1},
		}}
	}
	observe := func(running, waiting float64) float64 {
		v := in(running, waiting)
		learning := in(running, waiting) // what sustain hands learn: no queue over a window
		for i := range learning.Replicas {
			learning.Replicas[i].SustainedKnown = true
		}
		m.learnConcurrency(v, learning, th)
		return m.queuedRunning
	}
	assert.Zero(t, observe(8, 0), "no queue")
	assert.Equal(t, 8.0, observe(8, 20), "a queue at the most a replica ran")
	assert.Equal(t, 8.0, observe(4, 30), "a queue on a half-empty replica teaches nothing")
	assert.Zero(t, m.saturation, "one cycle's peak is no saturation")
	assert.Equal(t, 8.0, observe(8.5, 0), "a replica within 90%% of it keeps it")
	assert.Zero(t, observe(12, 0), "a replica running more forgets it")
}

// A model scaled from zero gets, on its first replica, every request the gateway held
// while it was at zero: the peaks whose window holds that hand-over size nothing, and a
// queue counts once a window of its own shows it, however long the replica took to
// start. Without a wake, the same first peak doubles the pool at once (the burst rule).
func TestWokenReplicasHandOverIsNoQueue(t *testing.T) {
	cfg := cfgWith(nil, map[string]string{"default": "enable_scale_to_zero: true\n"})
	var p *Planner
	cycle := func(i int, waiting float64) Decision {
		now := t0.Add(time.Duration(i) * 30 * time.Second)
		snap := newSnap(now).pods("ns", "m", "a", podLoad{0.05, waiting}).running("ns", "m", 250)
		return p.Decide(now, snap.build(), []saturation.VariantState{state("a", 10, 1, 1)}, cfg)[0]
	}
	for _, startup := range []int{1, 10} { // cycles of 30 s: 30 s, then five minutes
		p = NewPlanner(Options{})
		zero := newSnap(t0).build()
		newSnapModel(zero).ScaleFromZeroWaiting = 150
		d := p.Decide(t0, zero, []saturation.VariantState{state("a", 10, 0, 0)}, cfg)[0]
		require.Equal(t, 1, d.Desired, d.Reason)
		for i := 1; i < startup; i++ {
			now := t0.Add(time.Duration(i) * 30 * time.Second)
			p.Decide(now, newSnap(now).build(), []saturation.VariantState{state("a", 10, 1, 0)}, cfg)
		}

		d = cycle(startup, 30)
		assert.Equal(t, 1, d.Desired, "the hand-over: %s", d.Reason)
		assert.Zero(t, d.Inputs["waiting"])
		assert.Equal(t, 30.0, d.Inputs["peakWaiting"], "the peak is still shown")
		d = cycle(startup+1, 30)
		assert.Equal(t, 1, d.Desired, "the same window still holds the hand-over: %s", d.Reason)
		d = cycle(startup+2, 30)
		assert.Equal(t, 30.0, d.Inputs["waiting"], "a window later a queue is a queue")
		assert.Greater(t, d.Desired, 1, d.Reason)
	}

	// No wake: the first peak sizes at once.
	p = NewPlanner(Options{})
	d := cycle(1, 30)
	assert.Equal(t, 2, d.Desired, d.Reason)
}
