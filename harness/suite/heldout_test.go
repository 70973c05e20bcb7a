package suite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// heldOutDir holds the scenarios written before any analyzer tuning (see its
// README): their table is pinned so that every analyzer change shows its
// effect on them, and they are never tuned against.
const heldOutDir = "../../scenarios/hard"

// TestHeldOutTable runs the held-out scenarios under capacity and wva-v1 and
// compares the markdown table with testdata/held-out.md. Every run must
// come in at or above its floor and the plan must serve every request. It
// runs without -race only (the Makefile's second step): under the race
// detector the fourteen runs take minutes.
func TestHeldOutTable(t *testing.T) {
	if raceEnabled {
		t.Skip("the held-out table takes minutes under -race (every scenario under two analyzers); make test runs it in its second step, without -race: go test -run 'TestLibraryTable|TestHeldOutTable' ./harness/suite")
	}
	files, err := filepath.Glob(filepath.Join(heldOutDir, "*.yaml"))
	require.NoError(t, err)
	require.Len(t, files, 7, "the held-out set is fixed: add new scenarios to a new set")
	var entries []Entry
	for _, f := range files {
		sc, err := scenario.Load(f)
		require.NoError(t, err)
		entries = append(entries, Entry{Name: sc.Metadata.Name, Scenario: sc})
	}
	rows, err := Run(context.Background(), entries, scenario.AnalyzerCapacity, scenario.AnalyzerWVAv1, runtime.GOMAXPROCS(0), runTwin)
	require.NoError(t, err)
	require.Len(t, rows, 2*len(entries))
	requireBracketed(t, rows)
	var got bytes.Buffer
	require.NoError(t, Markdown(&got, rows))
	path := filepath.Join("testdata", "held-out.md")
	if *update {
		require.NoError(t, os.WriteFile(path, got.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden table: run go test ./harness/suite -run TestHeldOutTable -update")
	require.Equal(t, string(want), got.String(), "the held-out table changed; if intended, regenerate with -update")
}
