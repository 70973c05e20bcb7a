package twin

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/saturn-autoscaler/saturn/harness/assert"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/scenarios"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden summaries in testdata/golden")

// slowUnderRace lists library scenarios too long to run under the race
// detector (minutes); they run in the plain `go test` and in benchmarks.
var slowUnderRace = map[string]bool{"diurnal-24h": true}

// TestGolden runs every library scenario and compares its summary (without
// wall-clock figures) with testdata/golden/<name>.json; every library
// scenario must also pass its own assertions, and so must its plan (those a
// plan is bounded or aimed by).
func TestGolden(t *testing.T) {
	for _, name := range scenarios.Names() {
		t.Run(name, func(t *testing.T) {
			if raceEnabled && slowUnderRace[name] {
				t.Skipf("%s takes minutes under -race; it runs in the non-race test run and BenchmarkDiurnal24h", name)
			}
			sc, err := scenarios.Load(name)
			require.NoError(t, err)
			rec, err := Run(context.Background(), sc, Options{})
			require.NoError(t, err)
			sum := record.Summarize(rec)
			requireAboveFloor(t, &sum)
			assert.Apply(&sum, sc.Spec.Assertions, rec)
			var got bytes.Buffer
			require.NoError(t, record.WriteSummaryJSON(&got, &sum))
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, got.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "missing golden file: run go test ./harness/twin -run Golden -update")
			require.Equal(t, string(want), got.String(), "summary of %s changed; if intended, regenerate with -update", name)
			for _, a := range sum.Assertions {
				if !a.Pass {
					t.Errorf("library scenario %s: assertion %q fails: observed %s (%s)", name, a.Name, a.Observed, a.Detail)
				}
			}
			require.NotNil(t, rec.Plan)
			requirePlanAccepted(t, sc, 0, rec.Plan)
		})
	}
}

// TestDeterministic runs a scenario twice and requires byte-identical
// records (every output file).
func TestDeterministic(t *testing.T) {
	for _, name := range []string{"quickstart", "prometheus-outage"} {
		t.Run(name, func(t *testing.T) {
			sc, err := scenarios.Load(name)
			require.NoError(t, err)
			var files [2]map[string][]byte
			for i := range files {
				rec, err := Run(context.Background(), sc, Options{})
				require.NoError(t, err)
				sum := record.Summarize(rec)
				dir := t.TempDir()
				require.NoError(t, record.WriteDir(dir, rec, &sum))
				files[i] = map[string][]byte{}
				entries, err := os.ReadDir(dir)
				require.NoError(t, err)
				for _, e := range entries {
					b, err := os.ReadFile(filepath.Join(dir, e.Name()))
					require.NoError(t, err)
					files[i][e.Name()] = b
				}
			}
			require.Len(t, files[0], 5)
			for name, b := range files[0] {
				require.True(t, bytes.Equal(b, files[1][name]), "%s differs between two runs", name)
			}
		})
	}
}

// TestSeedChangesTraffic checks that the seed option reaches the generator.
func TestSeedChangesTraffic(t *testing.T) {
	sc, err := scenarios.Load("quickstart")
	require.NoError(t, err)
	a, err := Run(context.Background(), sc, Options{NoYardstick: true})
	require.NoError(t, err)
	b, err := Run(context.Background(), sc, Options{NoYardstick: true, Seed: 4242})
	require.NoError(t, err)
	require.NotEqual(t, len(a.Requests), len(b.Requests))
	require.Equal(t, int64(4242), b.Meta.Seed)
}
