//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/utils/clock"

	harness "github.com/saturn-autoscaler/saturn/harness/e2e"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

var (
	runsMu sync.Mutex
	runs   = map[string]*harness.Outcome{}
)

// loadScenario reads scenarios/e2e/NAME.yaml.
func loadScenario(t *testing.T, name string) (*scenario.Scenario, []byte) {
	t.Helper()
	path := filepath.Join(suite.Root, "scenarios", "e2e", name+".yaml")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	sc, err := scenario.LoadBytes(path, raw)
	require.NoError(t, err)
	return sc, raw
}

// runScenario runs scenarios/e2e/NAME.yaml on the cluster once per suite (features sharing
// a scenario share its run), writes its record under artifacts/ and tears it down.
func runScenario(t *testing.T, name string) *harness.Outcome {
	t.Helper()
	runsMu.Lock()
	defer runsMu.Unlock()
	if o, ok := runs[name]; ok {
		return o
	}
	sc, raw := loadScenario(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), sc.Spec.Duration+10*time.Minute)
	defer cancel()
	o, err := suite.RunScenario(ctx, sc, raw, clock.RealClock{})
	require.NoError(t, err, "running scenario %s", name)
	require.NoError(t, record.WriteDir(filepath.Join(artifacts, name), o.Record, &o.Summary))
	t.Logf("%s (record in %s)", o.Describe(), filepath.Join(artifacts, name))
	require.NoError(t, suite.Teardown(ctx, sc))
	runs[name] = o
	return o
}

// requireAssertionsPass fails with every failed scenario assertion.
func requireAssertionsPass(t *testing.T, o *harness.Outcome) {
	t.Helper()
	for _, a := range o.Summary.Assertions {
		if !a.Pass {
			t.Errorf("assertion %q failed: observed %s (%s)", a.Name, a.Observed, a.Detail)
		}
	}
}

// scales returns the scale events of a variant, in time order.
func scales(o *harness.Outcome, variant string) []record.ScaleEvent {
	var out []record.ScaleEvent
	for _, s := range o.Record.Scales {
		if s.Variant == variant {
			out = append(out, s)
		}
	}
	return out
}

// maxDesired is the largest desired replica count of a variant over the run.
func maxDesired(o *harness.Outcome, variant string) int {
	m := 0
	for _, p := range o.Record.Timeline {
		if p.Variant == variant {
			m = max(m, p.Desired)
		}
	}
	return m
}
