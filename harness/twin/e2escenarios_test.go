package twin

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/harness/assert"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// TestE2EScenariosPassInTheTwin runs every scenario of the Kind suite
// (scenarios/e2e) in the twin. The suite asserts the same files on a cluster,
// so a scenario whose verdict differs between the two modes is a fidelity gap
// to explain, not a scenario tuned to one of them.
func TestE2EScenariosPassInTheTwin(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "scenarios", "e2e", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := scenario.Load(f)
			require.NoError(t, err)
			rec, err := Run(context.Background(), sc, Options{})
			require.NoError(t, err)
			sum := record.Summarize(rec)
			assert.Apply(&sum, sc.Spec.Assertions, rec)
			for _, a := range sum.Assertions {
				if !a.Pass {
					t.Errorf("%s: assertion %q fails in the twin: observed %s (%s)", f, a.Name, a.Observed, a.Detail)
				}
			}
		})
	}
}
