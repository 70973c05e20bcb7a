package planner

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

func TestScaleUpAtOnceInOneDecision(t *testing.T) {
	p := NewPlanner(Options{})
	snap := newSnap(t0).pods("ns", "m", "a", repeat(podLoad{0.95, 6}, 2)...)
	snap.model("ns", "m").MeanPromptTokens = 1000
	ds := p.Decide(t0, snap.build(), []saturation.VariantState{state("a", 10, 2, 2)}, config.Default())
	require.Len(t, ds, 1)
	d := ds[0]
	// KV 19000+12x1000 tokens need 44286 -> 5 replicas (the queue rule, 12 waiting at 5
	// per replica, needs 3; KV is above its threshold, so this is not a saturation
	// concurrency observation).
	assert.Equal(t, 5, d.Desired, d.Reason)
	assert.Equal(t, "scale-up", d.Action())
	assert.Equal(t, "capacity", d.Analyzer)
	assert.True(t, d.MetricsAvailable)
	assert.Equal(t, v1alpha1.ReasonMetricsFound, d.MetricsReason)
	assert.Equal(t, 12.0, d.Inputs["waiting"])
	assert.Contains(t, d.Reason, "scale up 2 -> 5")
}

func TestNeverBlind(t *testing.T) {
	idle := repeat(podLoad{0.01, 0}, 4)
	tests := []struct {
		name       string
		snap       func() collector.Snapshot
		wantReason string
		wantMsg    string
	}{
		{
			name: "ready pod without a sample",
			snap: func() collector.Snapshot {
				s := newSnap(t0.Add(time.Hour)).pods("ns", "m", "a", idle...).build()
				delete(s.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].Pods, "a-abc-3")
				return s
			},
			wantReason: v1alpha1.ReasonMetricsMissing, wantMsg: "pod a-abc-3: no sample",
		},
		{
			name: "every pod stale",
			snap: func() collector.Snapshot {
				s := newSnap(t0.Add(time.Hour)).pods("ns", "m", "a", idle...).build()
				for _, pm := range s.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].Pods {
					pm.Stale = true
				}
				return s
			},
			wantReason: v1alpha1.ReasonMetricsStale, wantMsg: "pod a-abc-1: stale sample (latest 10s old, limit 2m0s)",
		},
		{
			name: "a stale pod beside a pod without a sample",
			snap: func() collector.Snapshot {
				s := newSnap(t0.Add(time.Hour)).pods("ns", "m", "a", idle...).build()
				mm := s.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}]
				mm.Pods["a-abc-1"].Stale = true
				delete(mm.Pods, "a-abc-3")
				return s
			},
			wantReason: v1alpha1.ReasonMetricsStale, wantMsg: "pod a-abc-3: no sample; pod a-abc-1: stale sample",
		},
		{
			name: "failed query",
			snap: func() collector.Snapshot {
				s := newSnap(t0.Add(time.Hour)).pods("ns", "m", "a", idle...).build()
				s.Failed[collector.QueryWaiting] = errors.New("connection refused")
				return s
			},
			wantReason: v1alpha1.ReasonPrometheusError, wantMsg: "waiting: connection refused",
		},
		{
			name:       "model absent from the snapshot",
			snap:       func() collector.Snapshot { return newSnap(t0.Add(time.Hour)).build() },
			wantReason: v1alpha1.ReasonPrometheusError, wantMsg: "not part of the metrics collection",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPlanner(Options{})
			st := []saturation.VariantState{state("a", 10, 4, 4), state("b", 20, 0, 0)}
			// A first, complete cycle: idle, but the 5m window keeps 4.
			ds := p.Decide(t0, newSnap(t0).pods("ns", "m", "a", idle...).build(), st, config.Default())
			require.Equal(t, 4, ds[0].Desired)
			// An hour later everything says "scale down", but one input is missing.
			ds = p.Decide(t0.Add(time.Hour), tc.snap(), st, config.Default())
			d := ds[0]
			assert.Equal(t, 4, d.Desired, "never scale down on missing data: %s", d.Reason)
			assert.Equal(t, AnalyzerHold, d.Analyzer)
			assert.False(t, d.MetricsAvailable)
			assert.Equal(t, tc.wantReason, d.MetricsReason)
			assert.Contains(t, d.MetricsMessage, tc.wantMsg)
			assert.Contains(t, d.Reason, "hold")
			assert.Equal(t, 0, ds[1].Desired)
		})
	}
}

// A ready pod whose samples went stale while the model's other pods report fresh ones is
// unresponsive (Prometheus scrapes the rest): it is not counted as supply, the model is
// decided on the others, and nothing is removed while it lasts.
func TestUnresponsivePodIsDecidedAround(t *testing.T) {
	p := NewPlanner(Options{})
	st := []saturation.VariantState{state("a", 10, 4, 4)}
	idle := repeat(podLoad{0.01, 0}, 4)
	ds := p.Decide(t0, newSnap(t0).pods("ns", "m", "a", idle...).build(), st, config.Default())
	require.Equal(t, 4, ds[0].Desired)

	// An hour later, idle, one pod unresponsive: decided (not held blind), but not shrunk.
	at := t0.Add(time.Hour)
	snap := newSnap(at).pods("ns", "m", "a", idle...).running("ns", "m", 0).build()
	snap.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].Pods["a-abc-1"].Stale = true
	d := p.Decide(at, snap, st, config.Default())[0]
	assert.Equal(t, "capacity", d.Analyzer, d.Reason)
	assert.True(t, d.MetricsAvailable)
	assert.Contains(t, d.MetricsMessage, "3 of 4 ready pods report fresh metrics; unresponsive, not counted as supply: pod a-abc-1: stale sample")
	assert.Equal(t, 4, d.Desired, d.Reason)
	assert.Contains(t, d.Reason, "1 stuck replicas not counted")
	assert.Contains(t, d.Reason, "holding 4: no scale-down while ready pods of the model are unresponsive")

	// Saturated fresh pods beside it: the model grows, sized without the unresponsive one.
	at = at.Add(time.Minute)
	snap = newSnap(at).pods("ns", "m", "a", repeat(podLoad{0.9, 0}, 4)...).build()
	snap.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].Pods["a-abc-1"].Stale = true
	d = p.Decide(at, snap, st, config.Default())[0]
	assert.True(t, d.MetricsAvailable)
	assert.Greater(t, d.Desired, 4, d.Reason)
	assert.Equal(t, "scale-up", d.Action())
}

// A replica that just became ready and was not scraped yet counts as starting: the model
// is decided on the pods that report (not held blind in the cycles after a scale-up), and
// nothing is removed meanwhile. Not scraped past the staleness limit, it is missing: the
// model holds its previous decision.
func TestReadyPodNotScrapedYetCountsAsStarting(t *testing.T) {
	p := NewPlanner(Options{})
	st := []saturation.VariantState{state("a", 10, 2, 2)}
	ds := p.Decide(t0, newSnap(t0).pods("ns", "m", "a", repeat(podLoad{0.9, 0}, 2)...).build(), st, config.Default())
	require.Equal(t, 3, ds[0].Desired)

	// The new replica is ready but not scraped yet: decided on the two that report, with
	// the third as starting supply (3 replicas hold the demand: no change).
	st = []saturation.VariantState{state("a", 10, 3, 3)}
	at := t0.Add(30 * time.Second)
	d := p.Decide(at, newSnap(at).pods("ns", "m", "a", repeat(podLoad{0.9, 0}, 2)...).build(), st, config.Default())[0]
	assert.True(t, d.MetricsAvailable, d.Reason)
	assert.Equal(t, "capacity", d.Analyzer)
	assert.Equal(t, 3, d.Desired, d.Reason)
	assert.Contains(t, d.MetricsMessage, "2 of 3 ready pods report fresh metrics; ready for less than 2m0s and not scraped yet, counted as starting: a-abc-2")
	assert.Contains(t, d.Reason, "1 starting replicas counted as supply")

	// Idle pods beside it: nothing is removed while it is unseen.
	at = at.Add(time.Hour)
	st = []saturation.VariantState{state("a", 10, 4, 4)}
	p2 := NewPlanner(Options{})
	p2.Decide(at, newSnap(at).pods("ns", "m", "a", repeat(podLoad{0.01, 0}, 3)...).build(), []saturation.VariantState{state("a", 10, 3, 3)}, config.Default())
	later := at.Add(time.Hour)
	d = p2.Decide(later, newSnap(later).pods("ns", "m", "a", repeat(podLoad{0.01, 0}, 3)...).build(), st, config.Default())[0]
	assert.True(t, d.MetricsAvailable, d.Reason)
	assert.Equal(t, 4, d.Desired, d.Reason)
	assert.Contains(t, d.Reason, "no scale-down while replicas are starting")
	wva := cfgWith(map[string]string{"default": "analyzer: wva-v1\n"}, nil)
	d = p2.Decide(later.Add(time.Second), newSnap(later.Add(time.Second)).pods("ns", "m", "a", repeat(podLoad{0.01, 0}, 3)...).build(), st, wva)[0]
	assert.Equal(t, 4, d.Desired, d.Reason)
	assert.Contains(t, d.Reason, "model in transition", "wva-v1 too")

	// Still no sample once it has been ready for longer than the staleness limit: missing.
	later = later.Add(2*time.Minute + time.Second)
	d = p2.Decide(later, newSnap(later).pods("ns", "m", "a", repeat(podLoad{0.01, 0}, 3)...).build(), st, config.Default())[0]
	assert.False(t, d.MetricsAvailable)
	assert.Equal(t, AnalyzerHold, d.Analyzer)
	assert.Contains(t, d.MetricsMessage, "pod a-abc-3: no sample")
	assert.Equal(t, 4, d.Desired, d.Reason)
}

// A pod that keeps requests running over the whole rate window and generates no token has
// a hung engine (its exporter and readiness still answer): like an unresponsive pod it is
// not counted as supply, the model is decided on the others and nothing is removed. A pod
// ready for less than the staleness limit is not judged: its window reaches back before it
// served.
func TestHungEngineIsDecidedAround(t *testing.T) {
	p := NewPlanner(Options{})
	st := []saturation.VariantState{state("a", 10, 4, 4)}
	snapAt := func(at time.Time, hung bool) collector.Snapshot {
		s := newSnap(at).pods("ns", "m", "a", repeat(podLoad{0.3, 0}, 4)...).build()
		for _, pm := range s.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].Pods {
			pm.Running, pm.MeanRunning, pm.Generated = 5, 5, 3000
		}
		if hung {
			s.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].Pods["a-abc-2"].Generated = 0
		}
		return s
	}
	d := p.Decide(t0, snapAt(t0, true), st, config.Default())[0]
	assert.NotContains(t, d.MetricsMessage, "engine hung", "ready for less than the staleness limit: not judged")
	assert.Contains(t, d.MetricsMessage, "4 of 4 ready pods report fresh metrics")

	at := t0.Add(3 * time.Minute)
	d = p.Decide(at, snapAt(at, true), st, config.Default())[0]
	assert.True(t, d.MetricsAvailable, d.Reason)
	assert.Equal(t, "capacity", d.Analyzer)
	assert.Contains(t, d.MetricsMessage, "3 of 4 ready pods report fresh metrics; unresponsive, not counted as supply: pod a-abc-2: requests running and no token generated over the rate window (engine hung)")
	assert.Contains(t, d.Reason, "1 stuck replicas not counted")
	assert.GreaterOrEqual(t, d.Desired, 4, d.Reason)

	// Generating again: counted again.
	at = at.Add(30 * time.Second)
	d = p.Decide(at, snapAt(at, false), st, config.Default())[0]
	assert.Contains(t, d.MetricsMessage, "4 of 4 ready pods report fresh metrics")
	assert.NotContains(t, d.Reason, "stuck")
}

func TestMissingPodNamesTheModelItServes(t *testing.T) {
	p := NewPlanner(Options{})
	snap := newSnap(t0).pods("ns", "m", "a", podLoad{0.1, 0}).pods("ns", "m-typo", "b", podLoad{0.1, 0}).build()
	b := state("b", 10, 1, 1)
	ds := p.Decide(t0, snap, []saturation.VariantState{state("a", 10, 1, 1), b}, config.Default())
	assert.False(t, ds[1].MetricsAvailable)
	assert.Contains(t, ds[1].MetricsMessage, `pod b-abc-0: no sample for model_name "m"; it reports model_name "m-typo"`)
}

func TestPodsByDeploymentPrefix(t *testing.T) {
	p := NewPlanner(Options{})
	st := state("a", 10, 3, 3)
	st.Pods = nil
	snap := newSnap(t0).pods("ns", "m", "a", repeat(podLoad{0.9, 0}, 3)...).pods("ns", "m", "ab", podLoad{0.0, 0})
	ds := p.Decide(t0, snap.build(), []saturation.VariantState{st}, config.Default())
	// Only a-abc-*: 3 x 0.9 = 27000 tokens need 38572 -> 4 replicas ("ab-abc-0" is not "a-").
	assert.Equal(t, 4, ds[0].Desired, ds[0].Reason)

	st.Ready = 4 // one ready pod has no metrics yet
	st.Current = 4
	ds = p.Decide(t0.Add(time.Minute), snap.build(), []saturation.VariantState{st}, config.Default())
	assert.False(t, ds[0].MetricsAvailable)
	assert.Contains(t, ds[0].MetricsMessage, "4 ready replicas but only 3 pods named a-* report metrics")
}

func TestScaleDownStabilization(t *testing.T) {
	p := NewPlanner(Options{})
	st := []saturation.VariantState{state("a", 10, 4, 4)}
	idle := newSnap(t0).pods("ns", "m", "a", repeat(podLoad{0.01, 0}, 4)...).running("ns", "m", 0)
	at := func(d time.Duration) Decision {
		s := idle.build()
		s.Time = t0.Add(d)
		return p.Decide(t0.Add(d), s, st, config.Default())[0]
	}
	d := at(0)
	assert.Equal(t, 1, d.Recommended)
	assert.Equal(t, 4, d.Desired, "first sight: the window has not elapsed")
	assert.Contains(t, d.Reason, "5m0s scale-down stabilization window")
	assert.Equal(t, 4, at(4*time.Minute).Desired)
	d = at(5*time.Minute + time.Second)
	assert.Equal(t, 2, d.Desired, "at most half of the replicas per decision")
	assert.Contains(t, d.Reason, "at most 50% of the 4 replicas of the last 1m0s per decision")

	// A load spike inside the window pins the higher recommendation.
	p = NewPlanner(Options{})
	busy := newSnap(t0).pods("ns", "m", "a", repeat(podLoad{0.7, 0}, 4)...).build()
	require.Equal(t, 4, p.Decide(t0, busy, st, config.Default())[0].Desired)
	busy.Time = t0.Add(6 * time.Minute)
	require.Equal(t, 4, p.Decide(t0.Add(6*time.Minute), busy, st, config.Default())[0].Desired)
	d = at(8 * time.Minute)
	assert.Equal(t, 4, d.Desired, "the 6m recommendation of 4 is still inside the window: %s", d.Reason)
	assert.Equal(t, 2, at(11*time.Minute+time.Second).Desired)
}

func TestStabilizationWindowsFromConfig(t *testing.T) {
	cfg := cfgWith(map[string]string{
		"m": "model_id: m\nscaleDownStabilizationWindow: 0s\nscaleUpStabilizationWindow: 1m\n",
	}, nil)
	p := NewPlanner(Options{})
	st := []saturation.VariantState{state("a", 10, 2, 2)}
	d := p.Decide(t0, newSnap(t0).pods("ns", "m", "a", repeat(podLoad{0.01, 0}, 2)...).running("ns", "m", 0).build(), st, cfg)[0]
	assert.Equal(t, 1, d.Desired, "no scale-down window: at once (half of 2 replicas)")

	st = []saturation.VariantState{state("a", 10, 1, 1)}
	hot := func(at time.Duration) Decision {
		return p.Decide(t0.Add(at), newSnap(t0.Add(at)).pods("ns", "m", "a", podLoad{0.95, 0}).build(), st, cfg)[0]
	}
	d = hot(10 * time.Second)
	assert.Equal(t, 1, d.Desired, "scale-up window holds the lower recent recommendation: %s", d.Reason)
	assert.Equal(t, 2, hot(61*time.Second+10*time.Second).Desired)
}

func TestScaleToZero(t *testing.T) {
	cfg := cfgWith(nil, map[string]string{"default": "enable_scale_to_zero: true\nretention_period: 10m\n"})
	idleSnap := func(at time.Duration) collector.Snapshot {
		s := newSnap(t0.Add(at)).pods("ns", "m", "a", podLoad{0, 0}).build()
		s.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].Pods["a-abc-0"].Running = 0
		return s
	}
	st := []saturation.VariantState{state("a", 10, 1, 1), state("b", 20, 0, 0)}

	p := NewPlanner(Options{})
	assert.Equal(t, 1, p.Decide(t0, idleSnap(0), st, cfg)[0].Desired)
	assert.Equal(t, 1, p.Decide(t0.Add(9*time.Minute), idleSnap(9*time.Minute), st, cfg)[0].Desired)
	d := p.Decide(t0.Add(10*time.Minute), idleSnap(10*time.Minute), st, cfg)[0]
	assert.Equal(t, 0, d.Desired, d.Reason)
	assert.Equal(t, AnalyzerScaleToZero, d.Analyzer)
	assert.Contains(t, d.Reason, "retention_period 10m0s")

	// A finished request restarts the retention period.
	p = NewPlanner(Options{})
	p.Decide(t0, idleSnap(0), st, cfg)
	s := idleSnap(5 * time.Minute)
	s.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].FinishedRequests = 1
	p.Decide(t0.Add(5*time.Minute), s, st, cfg)
	assert.Equal(t, 1, p.Decide(t0.Add(12*time.Minute), idleSnap(12*time.Minute), st, cfg)[0].Desired)
	assert.Equal(t, 0, p.Decide(t0.Add(15*time.Minute), idleSnap(15*time.Minute), st, cfg)[0].Desired)

	// A Prometheus outage restarts the retention period: requests may have finished meanwhile.
	p = NewPlanner(Options{})
	p.Decide(t0, idleSnap(0), st, cfg)
	down := idleSnap(9 * time.Minute)
	down.Failed[collector.QueryKV] = errors.New("connection refused")
	require.Equal(t, 1, p.Decide(t0.Add(9*time.Minute), down, st, cfg)[0].Desired)
	assert.Equal(t, 1, p.Decide(t0.Add(11*time.Minute), idleSnap(11*time.Minute), st, cfg)[0].Desired)
	assert.Equal(t, 0, p.Decide(t0.Add(19*time.Minute), idleSnap(19*time.Minute), st, cfg)[0].Desired)

	// Cycles further apart than the activity window restart the retention period.
	p = NewPlanner(Options{})
	gap := func(at time.Duration) collector.Snapshot {
		s := idleSnap(at)
		s.ActivityWindow = 2 * time.Minute
		return s
	}
	p.Decide(t0, gap(0), st, cfg)
	p.Decide(t0.Add(time.Minute), gap(time.Minute), st, cfg)
	// 7m gap: what happened between 1m and 6m is unknown; the 8m cycle's window shows
	// nothing finished in 6m..8m, so the last activity may have been as late as 6m.
	p.Decide(t0.Add(8*time.Minute), gap(8*time.Minute), st, cfg)
	for m := 9; m < 16; m++ {
		at := time.Duration(m) * time.Minute
		require.Equal(t, 1, p.Decide(t0.Add(at), gap(at), st, cfg)[0].Desired, "%v: within 10m of the unseen part of the gap", at)
	}
	d = p.Decide(t0.Add(16*time.Minute), gap(16*time.Minute), st, cfg)[0]
	assert.Equal(t, 0, d.Desired, "10m after the gap's unseen part ended: %s", d.Reason)

	// Quiet cycles date the last activity to the start of the activity window: with a
	// 2m window and a 3m retention, zero comes 3m after the last finish, not 2m+3m.
	cfg3 := cfgWith(nil, map[string]string{"default": "enable_scale_to_zero: true\nretention_period: 3m\n"})
	p = NewPlanner(Options{})
	busy := gap(0)
	busy.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].FinishedRequests = 3
	p.Decide(t0, busy, st, cfg3)
	for _, sec := range []int{30, 60, 90, 120, 150} { // the finishes stay inside the window until 2m
		at := time.Duration(sec) * time.Second
		s := gap(at)
		if at < 2*time.Minute {
			s.Models[collector.ModelKey{Namespace: "ns", ModelID: "m"}].FinishedRequests = 3
		}
		require.Equal(t, 1, p.Decide(t0.Add(at), s, st, cfg3)[0].Desired, "%v", at)
	}
	d = p.Decide(t0.Add(3*time.Minute), gap(3*time.Minute), st, cfg3)[0]
	assert.Equal(t, 0, d.Desired, "3m after the last finish: %s", d.Reason)

	// A quiet window does not date the last activity before the variants existed: a
	// model created 1m ago waits the whole retention from its creation, while one
	// that existed long before the window goes at once to its end.
	fresh := []saturation.VariantState{state("a", 10, 1, 1), state("b", 20, 0, 0)}
	fresh[0].Created, fresh[1].Created = t0.Add(time.Minute), t0.Add(30*time.Second)
	p = NewPlanner(Options{})
	p.Decide(t0.Add(time.Minute), gap(time.Minute), fresh, cfg3)
	for _, sec := range []int{90, 120, 180} {
		at := time.Duration(sec) * time.Second
		d := p.Decide(t0.Add(at), gap(at), fresh, cfg3)[0]
		require.Equal(t, 1, d.Desired, "%v after a creation at 30s: %s", at, d.Reason)
	}
	d = p.Decide(t0.Add(210*time.Second), gap(210*time.Second), fresh, cfg3)[0]
	assert.Equal(t, 0, d.Desired, "3m after the oldest variant's creation: %s", d.Reason)
	old := []saturation.VariantState{state("a", 10, 1, 1), state("b", 20, 0, 0)}
	old[0].Created = t0.Add(-time.Hour)
	p = NewPlanner(Options{})
	p.Decide(t0.Add(time.Minute), gap(time.Minute), old, cfg3)
	d = p.Decide(t0.Add(2*time.Minute), gap(2*time.Minute), old, cfg3)[0]
	assert.Equal(t, 0, d.Desired, "idle for the whole window and retention: %s", d.Reason)

	// Not when the activity query fails, not with minReplicas, not when disabled.
	p = NewPlanner(Options{})
	p.Decide(t0, idleSnap(0), st, cfg)
	s = idleSnap(time.Hour)
	s.Failed[collector.QueryActivity] = errors.New("timeout")
	assert.Equal(t, 1, p.Decide(t0.Add(time.Hour), s, st, cfg)[0].Desired)

	p = NewPlanner(Options{})
	withMin := []saturation.VariantState{state("a", 10, 1, 1), state("b", 20, 0, 0)}
	withMin[1].Min = 1
	p.Decide(t0, idleSnap(0), withMin, cfg)
	assert.Equal(t, 1, p.Decide(t0.Add(time.Hour), idleSnap(time.Hour), withMin, cfg)[0].Desired)

	p = NewPlanner(Options{})
	p.Decide(t0, idleSnap(0), st, config.Default())
	assert.Equal(t, 1, p.Decide(t0.Add(time.Hour), idleSnap(time.Hour), st, config.Default())[0].Desired)
}

func TestScaleFromZero(t *testing.T) {
	cfg := cfgWith(nil, map[string]string{"default": "enable_scale_to_zero: true\n"})
	st := []saturation.VariantState{state("dear", 20, 0, 0), state("cheap", 5, 0, 0)}
	snapWith := func(waiting float64) collector.Snapshot {
		s := newSnap(t0).build()
		newSnapModel(s).ScaleFromZeroWaiting = waiting
		return s
	}

	ds := NewPlanner(Options{}).Decide(t0, snapWith(3), st, cfg)
	assert.Equal(t, 0, ds[0].Desired)
	assert.Equal(t, 1, ds[1].Desired, ds[1].Reason)
	assert.Equal(t, AnalyzerScaleFromZero, ds[1].Analyzer)
	assert.Contains(t, ds[1].Reason, "3 requests waiting")

	ds = NewPlanner(Options{}).Decide(t0, snapWith(0), st, cfg)
	assert.Equal(t, []int{0, 0}, []int{ds[0].Desired, ds[1].Desired})
	assert.True(t, ds[0].MetricsAvailable)
	assert.Contains(t, ds[0].Reason, "scale-from-zero signal 0")

	absent := newSnap(t0).build()
	newSnapModel(absent) // the model was collected, the signal has no series
	ds = NewPlanner(Options{}).Decide(t0, absent, st, cfg)
	assert.Equal(t, []int{0, 0}, []int{ds[0].Desired, ds[1].Desired})
	assert.Contains(t, ds[0].Reason, "has no series")

	failed := snapWith(5)
	failed.Failed[collector.QueryScaleFromZero] = errors.New("no such metric")
	ds = NewPlanner(Options{}).Decide(t0, failed, st, cfg)
	assert.Equal(t, 0, ds[1].Desired)
	assert.False(t, ds[1].MetricsAvailable)
	assert.Equal(t, v1alpha1.ReasonPrometheusError, ds[1].MetricsReason)

	// Without scale-to-zero a model at zero is brought back to one replica.
	ds = NewPlanner(Options{}).Decide(t0, snapWith(0), st, config.Default())
	assert.Equal(t, 1, ds[1].Desired, ds[1].Reason)
}

func newSnapModel(s collector.Snapshot) *collector.ModelMetrics {
	b := &snapBuilder{s: s}
	return b.model("ns", "m")
}

func TestBoundsAndOrder(t *testing.T) {
	p := NewPlanner(Options{})
	a := state("a", 10, 2, 2)
	a.Max = 3
	other := saturation.VariantState{Name: "x", Namespace: "other", ModelID: "q", TargetName: "x", Cost: 1, Current: 2, Ready: 2,
		Pods: []string{"x-abc-0", "x-abc-1"}, Min: 2}
	snap := newSnap(t0).pods("ns", "m", "a", repeat(podLoad{0.99, 20}, 2)...).pods("other", "q", "x", repeat(podLoad{0, 0}, 2)...)
	cfg := cfgWith(map[string]string{"o": "model_id: q\nscaleDownStabilizationWindow: 0s\n"}, nil)
	ds := p.Decide(t0, snap.build(), []saturation.VariantState{other, a}, cfg)
	require.Len(t, ds, 2)
	assert.Equal(t, "x", ds[0].Variant)
	assert.Equal(t, 2, ds[0].Desired, "minReplicas 2: %s", ds[0].Reason)
	assert.Equal(t, "a", ds[1].Variant)
	assert.Equal(t, 3, ds[1].Desired, "maxReplicas 3: %s", ds[1].Reason)
}

func TestWVAV1ThroughPlanner(t *testing.T) {
	cfg := cfgWith(map[string]string{"default": "analyzer: wva-v1\n"}, nil)
	p := NewPlanner(Options{})
	st := []saturation.VariantState{state("a", 10, 2, 2)}
	hot := newSnap(t0).pods("ns", "m", "a", repeat(podLoad{0.79, 0}, 2)...).build()
	d := p.Decide(t0, hot, st, cfg)[0]
	assert.Equal(t, "wva-v1", d.Analyzer)
	assert.Equal(t, 3, d.Desired, "one replica per cycle: %s", d.Reason)
	// Next cycle the target still has 2 replicas: the planner's own last decision (3) makes
	// the model "in transition", as WVA does with the VA status.
	d = p.Decide(t0.Add(30*time.Second), hot, st, cfg)[0]
	assert.Equal(t, 3, d.Desired)
	assert.Contains(t, d.Reason, "model in transition")
}
