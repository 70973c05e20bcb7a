package twin

import (
	"context"
	"testing"

	"github.com/saturn-autoscaler/saturn/harness/assert"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/scenarios"
	"github.com/stretchr/testify/require"
)

// TestSpikeCapacityVersusWVA is `saturn compare scenarios/spike.yaml
// --analyzer wva-v1` as a test: on the same traffic, saturn's capacity
// analyzer has the plan's need ready sooner in the surge than WVA's
// one-replica-per-cycle rule, with no more replica changes in any window.
func TestSpikeCapacityVersusWVA(t *testing.T) {
	run := func(analyzer string) record.Summary {
		sc, err := scenarios.Load("spike")
		require.NoError(t, err)
		sc.Spec.Autoscaler.Analyzer = analyzer
		rec, err := Run(context.Background(), sc, Options{})
		require.NoError(t, err)
		sum := record.Summarize(rec)
		assert.Apply(&sum, sc.Spec.Assertions, rec)
		return sum
	}
	capacity, wva := run(scenario.AnalyzerCapacity), run(scenario.AnalyzerWVAv1)
	surge := func(s record.Summary) record.VariantPhase {
		for _, p := range s.Variants[0].Phases {
			if p.Phase == "surge" {
				return p
			}
		}
		t.Fatalf("no surge phase in %s", s.Analyzer)
		return record.VariantPhase{}
	}
	c, w := surge(capacity), surge(wva)
	require.Positive(t, c.PlanNeed)
	require.GreaterOrEqual(t, c.ReadyForNeedSeconds, 0.0, "capacity never had the plan's need ready")
	if w.ReadyForNeedSeconds >= 0 {
		require.Less(t, c.ReadyForNeedSeconds, w.ReadyForNeedSeconds, "capacity must have the plan's need ready sooner")
	}
	require.Greater(t, c.ReadyMax, w.ReadyMax, "capacity sizes the surge in fewer, larger steps")
	changes := func(s record.Summary) float64 {
		for _, a := range s.Assertions {
			if a.Name == "at most 6 replica changes per 10m0s" {
				return a.Value
			}
		}
		t.Fatalf("spike has no maxReplicaChanges assertion named as expected")
		return 0
	}
	require.LessOrEqual(t, changes(capacity), changes(wva), "capacity must not change replicas more often than wva-v1")
	require.Equal(t, record.VerdictPass, capacity.Verdict)
}
