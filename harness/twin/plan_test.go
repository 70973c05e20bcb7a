package twin

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/harness/assert"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

func TestScriptStartsAheadAndStopsOnTime(t *testing.T) {
	s := &Script{Step: time.Minute, Lead: 90 * time.Second, Replicas: []int{1, 1, 1, 4, 2, 2}}
	for _, c := range []struct {
		at   time.Duration
		want int
	}{
		{0, 1},
		{89 * time.Second, 1},
		{90 * time.Second, 4}, // step 3 starts at 3m: its replicas start 90 s ahead
		{3 * time.Minute, 4},
		{4 * time.Minute, 2}, // step 4 needs fewer: they go at its start
		{time.Hour, 2},       // past the schedule the last entry holds
	} {
		require.Equal(t, c.want, s.desiredAt(c.at), "at %v", c.at)
	}
}

// The plan is measured, not assumed: replaying its schedule gives its figures.
func TestPlanIsItsReplay(t *testing.T) {
	sc := loadScenario(t, "spike")
	rec, err := Run(context.Background(), sc, Options{})
	require.NoError(t, err)
	p := rec.Plan
	require.NotNil(t, p)
	require.Equal(t, "h100", p.Variant)
	require.GreaterOrEqual(t, p.Attainment, p.Target, "the plan reaches its target on the spike")
	require.GreaterOrEqual(t, p.GPUHours, rec.Floor.GPUHours, "the plan is a run: never under the floor")
	require.LessOrEqual(t, p.Replays, planReplays)
	require.Equal(t, slices.Max(p.Replicas), p.PeakReplicas)
	replay, err := Run(context.Background(), sc, Options{NoYardstick: true, Script: &Script{
		Variant: p.Variant, Step: time.Duration(p.StepSeconds) * time.Second, Lead: time.Duration(p.LeadSeconds * float64(time.Second)), Replicas: p.Replicas,
	}})
	require.NoError(t, err)
	sum := record.Summarize(replay)
	require.Equal(t, p.GPUHours, sum.GPUHours)
	require.Equal(t, p.Attainment, sum.Requests.SLOAttainment)
	require.Zero(t, sum.Requests.Errors+sum.Requests.Lost, "the plan serves every request")
	for _, e := range replay.Scales {
		require.Equal(t, "plan", e.Source)
	}
	require.Empty(t, replay.Decisions, "no controller runs under a script")

	// The plan does not depend on the analyzer, and a second run reuses it.
	sc.Spec.Autoscaler.Analyzer = "wva-v1"
	other, err := Run(context.Background(), sc, Options{})
	require.NoError(t, err)
	require.Equal(t, p, other.Plan)
	// A different seed is different traffic: a plan measured anew.
	reseeded, err := Run(context.Background(), sc, Options{Seed: 99})
	require.NoError(t, err)
	require.NotEqual(t, p.Attainment, reseeded.Plan.Attainment)
}

func TestScriptRefusesAnUnknownVariant(t *testing.T) {
	sc := loadScenario(t, "quickstart")
	_, err := Run(context.Background(), sc, Options{NoYardstick: true, Script: &Script{Variant: "nope", Step: time.Minute, Replicas: []int{1}}})
	require.ErrorContains(t, err, `no variant "nope"`)
	_, err = Run(context.Background(), sc, Options{NoYardstick: true, Script: &Script{Variant: "h100", Replicas: []int{1}}})
	require.ErrorContains(t, err, "step")
}

// A plan is a schedule the scenario accepts: its replicas assertions bound every step
// their window overlaps, and a held window runs at one count, no step within a lead time
// after it running more (a replica started then would start inside it).
func TestPlanBoundsFollowTheReplicasAssertions(t *testing.T) {
	two, three, five := 2, 3, 5
	sc := &scenario.Scenario{Spec: scenario.Spec{Assertions: []scenario.Assertion{
		{Phase: "outage", Replicas: &scenario.ReplicasCheck{Variant: "a", Min: &two, Held: true}},
		{Phase: "peak", Replicas: &scenario.ReplicasCheck{Variant: "a", Min: &three, Max: &five}},
		{Replicas: &scenario.ReplicasCheck{Variant: "b", Min: &five}}, // another variant's
		{Phase: "missing", Replicas: &scenario.ReplicasCheck{Variant: "a", Min: &five}},
	}}}
	rec := &record.Record{Meta: record.Meta{Duration: 10 * time.Minute, Phases: []record.Phase{
		{Name: "calm", Start: 0, End: 2 * time.Minute},
		{Name: "outage", Start: 2 * time.Minute, End: 4*time.Minute + 30*time.Second},
		{Name: "peak", Start: 7 * time.Minute, End: 9 * time.Minute},
	}}}
	pick := &planPick{name: "a", min: 1, max: 4, lead: 40 * time.Second}
	b := planBoundsFor(sc, rec, pick, 10)
	require.Equal(t, []int{1, 1, 2, 2, 2, 1, 1, 3, 3, 1}, b.lo)
	require.Equal(t, []int{4, 4, 4, 4, 4, 4, 4, 4, 4, 4}, b.hi, "maxReplicas caps an assertion's max")
	require.Equal(t, []heldRun{{first: 2, last: 4, tail: 5, from: 1}}, b.held, "4m30s + a 40 s lead reaches into step 5; the window starts where step 1 ends")
	require.Equal(t, 2, b.assertions, "another variant's and a missing phase's set nothing")

	need := []int{0, 1, 1, 3, 1, 1, 1, 2, 9, 1}
	b.apply(need)
	require.Equal(t, []int{1, 1, 3, 3, 3, 1, 1, 3, 4, 1}, need, "step 5 may run fewer than the held run")
	need = []int{1, 1, 2, 2, 2, 4, 1, 3, 3, 1}
	b.apply(need)
	require.Equal(t, []int{1, 1, 2, 2, 2, 2, 1, 3, 3, 1}, need, "not more: its replicas would start in the window")
	need = []int{1, 3, 2, 2, 2, 1, 1, 3, 3, 1}
	b.apply(need)
	require.Equal(t, []int{1, 3, 3, 3, 3, 1, 1, 3, 3, 1}, need, "no fewer than step 1: the decrease would come at the window's start")
}

// A plan is a schedule the scenario accepts: prometheus-outage holds two replicas through
// its outage, multi-variant asks for 90% in its high phase (a plan that reached 90% over
// the run had 89.8% there, seed 11); each plan's replay passes its scenario's replicas,
// sloAttainment and latency assertions.
func TestPlanPassesTheScenarioAssertions(t *testing.T) {
	for _, c := range []struct {
		name, scenario string
		seed           uint64
		edit           func(sc *scenario.Scenario)
		kind           func(a scenario.Assertion) bool
	}{
		{"prometheus-outage", "prometheus-outage", 0, nil, func(a scenario.Assertion) bool { return a.Replicas != nil }},
		// Held without a min: the load drops at the outage's start, on a minute, where
		// a plan of two then one would scale down inside the window.
		{"held only", "prometheus-outage", 0, func(sc *scenario.Scenario) {
			for _, a := range sc.Spec.Assertions {
				if a.Replicas != nil && a.Replicas.Held {
					a.Replicas.Min = nil
				}
			}
		}, func(a scenario.Assertion) bool { return a.Replicas != nil && a.Replicas.Held && a.Replicas.Min == nil }},
		{"multi-variant", "multi-variant", 11, nil, func(a scenario.Assertion) bool { return a.SLOAttainment != nil && a.Phase != "" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := loadScenario(t, c.scenario)
			if c.edit != nil {
				c.edit(sc)
			}
			rec, err := Run(context.Background(), sc, Options{Seed: c.seed})
			require.NoError(t, err)
			p := rec.Plan
			require.NotNil(t, p)
			if c.scenario == "prometheus-outage" {
				outage, ok := rec.Meta.Phase("outage")
				require.True(t, ok)
				held := p.Replicas[int(outage.Start/time.Minute) : int((outage.End-1)/time.Minute)+1]
				require.Equal(t, slices.Min(held), slices.Max(held), "plan %v", p.Replicas)
			}
			requirePlanAccepted(t, sc, c.seed, p)
			require.True(t, slices.ContainsFunc(sc.Spec.Assertions, c.kind), "the scenario has the assertion the case is about")
		})
	}
}

// requirePlanAccepted replays the plan p of sc (seed: the run's override) and requires it
// to pass the scenario's replicas, sloAttainment and latency assertions: those a plan is
// bounded or aimed by (planBounds, planGoal).
func requirePlanAccepted(t *testing.T, sc *scenario.Scenario, seed uint64, p *record.Plan) {
	t.Helper()
	replay, err := Run(context.Background(), sc, Options{Seed: seed, NoYardstick: true, Script: &Script{
		Variant: p.Variant, Step: time.Duration(p.StepSeconds) * time.Second, Lead: time.Duration(p.LeadSeconds * float64(time.Second)), Replicas: p.Replicas,
	}})
	require.NoError(t, err)
	aimed := 0
	for i, res := range assert.Evaluate(sc.Spec.Assertions, replay) {
		a := sc.Spec.Assertions[i]
		if a.Replicas != nil || a.SLOAttainment != nil || a.Latency != nil {
			require.True(t, res.Pass, "the plan fails %s: %s %s (plan %v)", res.Name, res.Observed, res.Detail, p.Replicas)
			if a.Replicas == nil || a.Replicas.Variant == p.Variant {
				aimed++
			}
		}
	}
	require.Equal(t, aimed, p.Assertions, "the plan counts the assertions it was sized or bounded by")
}

// The plan's goals: the run's target, each sloAttainment assertion's share over its window
// and class, and a latency percentile as the share of requests within its bound (of
// output tokens, for the ITL).
func TestPlanGoalsFollowTheAttainmentAssertions(t *testing.T) {
	sc := &scenario.Scenario{Spec: scenario.Spec{Assertions: []scenario.Assertion{
		{Phase: "high", SLOAttainment: &scenario.SLOAttainmentCheck{TTFT: 2 * time.Second, ITL: 100 * time.Millisecond, MinShare: 0.9}},
		{Phase: "high", Latency: &scenario.LatencyCheck{Metric: scenario.MetricTTFT, Percentile: "p95", Max: 5 * time.Second, Class: "chat"}},
		{Latency: &scenario.LatencyCheck{Metric: scenario.MetricITL, Percentile: "p50", Max: 50 * time.Millisecond}},
		{Phase: "low", Latency: &scenario.LatencyCheck{Metric: scenario.MetricE2E, Percentile: "p90", Max: time.Minute}},
		{Phase: "missing", SLOAttainment: &scenario.SLOAttainmentCheck{TTFT: time.Second, MinShare: 0.5}},
	}}}
	slo := record.SLO{TTFT: 3 * time.Second, ITL: 150 * time.Millisecond}
	rec := &record.Record{Meta: record.Meta{Duration: 10 * time.Minute, SLO: slo, Phases: []record.Phase{
		{Name: "low", Start: 0, End: 4*time.Minute + 30*time.Second},
		{Name: "high", Start: 4*time.Minute + 30*time.Second, End: 10 * time.Minute},
	}}}
	goals := planGoalsFor(sc, rec, 0.99)
	require.Equal(t, []planGoal{
		{end: 10 * time.Minute, slo: slo, share: 0.99},
		{start: 4*time.Minute + 30*time.Second, end: 10 * time.Minute, slo: record.SLO{TTFT: 2 * time.Second, ITL: 100 * time.Millisecond}, share: 0.9},
		{start: 4*time.Minute + 30*time.Second, end: 10 * time.Minute, class: "chat", slo: record.SLO{TTFT: 5 * time.Second}, share: 0.95},
		{end: 10 * time.Minute, slo: record.SLO{ITL: 50 * time.Millisecond}, byTokens: true, share: 0.5},
		{end: 4*time.Minute + 30*time.Second, e2e: time.Minute, share: 0.9},
	}, goals)
	require.False(t, goals[1].holds(3))
	require.True(t, goals[1].holds(4), "step 4 holds the phase's first 30 s")
	require.True(t, goals[1].holds(9))

	slow := &record.Request{Status: record.StatusOK, Arrival: 0, FirstToken: time.Second, Finish: 2 * time.Minute, OutputTokens: 11, MeanITL: 40 * time.Millisecond}
	require.True(t, goals[3].meets(slow))
	require.Equal(t, 10.0, goals[3].weight(slow), "an ITL goal counts the output tokens after the first")
	require.False(t, goals[4].meets(slow), "two minutes end to end")
	require.Equal(t, 1.0, goals[4].weight(slow))
}
