package twin

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/stretchr/testify/require"
)

// scenariosDir is the repository's scenario library.
func scenariosDir(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..", "scenarios")
}

func loadScenario(t testing.TB, name string) *scenario.Scenario {
	sc, err := scenario.Load(filepath.Join(scenariosDir(t), name+".yaml"))
	require.NoError(t, err)
	return sc
}

func runScenario(t testing.TB, sc *scenario.Scenario) *record.Record {
	rec, err := Run(context.Background(), sc, Options{})
	require.NoError(t, err)
	return rec
}

func TestQuickstartSmoke(t *testing.T) {
	rec := runScenario(t, loadScenario(t, "quickstart"))
	sum := record.Summarize(rec)
	t.Logf("%+v", sum)
	require.NotEmpty(t, rec.Requests)
	require.Zero(t, sum.Requests.Lost)
}
