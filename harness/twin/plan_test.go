package twin

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/harness/record"
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
