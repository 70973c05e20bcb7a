package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestRunQuickstartWritesOutputs(t *testing.T) {
	dir := t.TempDir()
	junit := filepath.Join(dir, "junit.xml")
	out, _, err := run(t, "run", "--out", dir, "--junit", junit)
	// The embedded quickstart must hold its assertions.
	require.NoError(t, err, out)
	assert.Equal(t, ExitOK, ExitCode(err))
	assert.Contains(t, out, "verdict: PASS")
	for _, f := range []string{"summary.json", "requests.csv", "timeline.csv", "replicas.csv", "decisions.jsonl", "report.html", "junit.xml"} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, f)
		assert.Positive(t, st.Size(), f)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err)
	var sum record.Summary
	require.NoError(t, json.Unmarshal(b, &sum))
	assert.Equal(t, "quickstart", sum.Scenario)
	assert.Equal(t, record.VerdictPass, sum.Verdict)
	require.NotNil(t, sum.Run)
}

func TestRunJSONFormat(t *testing.T) {
	out, _, err := run(t, "run", "--format", "json", "--progress", "never")
	require.NoError(t, err)
	var sum record.Summary
	require.NoError(t, json.Unmarshal([]byte(out), &sum))
	assert.NotZero(t, sum.Requests.Total)
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("apiVersion: saturn.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec: {bogus: 1}\n"), 0o644))
	failing := filepath.Join(dir, "failing.yaml")
	src, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "quickstart.yaml"))
	require.NoError(t, err)
	// An impossible assertion: at most 0 ready replicas.
	src = append(src, []byte("    - replicas: {variant: h100, max: 0}\n")...)
	require.NoError(t, os.WriteFile(failing, src, 0o644))

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"invalid scenario", []string{"run", bad}, ExitInvalid, "bogus"},
		{"missing file", []string{"run", filepath.Join(dir, "nope.yaml")}, ExitInvalid, "nope.yaml"},
		{"bad format flag", []string{"run", "--format", "xml"}, ExitInvalid, "--format"},
		{"failing assertion", []string{"run", failing, "--progress", "never"}, ExitAssertionsFailed, "assertions failed"},
		{"validate invalid", []string{"validate", bad}, ExitInvalid, "bogus"},
		{"compare needs two", []string{"compare", bad}, ExitInvalid, "two scenario files"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			require.Error(t, err)
			assert.Equal(t, tc.code, ExitCode(err))
			assert.Contains(t, err.Error(), tc.want)
			if tc.code == ExitAssertionsFailed {
				assert.True(t, errors.Is(err, ErrAssertionsFailed))
			}
		})
	}
}

func TestValidateValid(t *testing.T) {
	out, _, err := run(t, "validate", filepath.Join("..", "..", "scenarios", "quickstart.yaml"), filepath.Join("..", "..", "scenarios", "spike.yaml"))
	require.NoError(t, err)
	assert.Contains(t, out, "quickstart.yaml: valid")
	assert.Contains(t, out, "spike.yaml: valid")
}

func TestCompareAnalyzers(t *testing.T) {
	out, _, err := run(t, "compare", filepath.Join("..", "..", "scenarios", "quickstart.yaml"), "--analyzer", "wva-v1")
	require.NoError(t, err)
	assert.Contains(t, out, "A: capacity/direct")
	assert.Contains(t, out, "B: wva-v1/direct")
	assert.Contains(t, out, "vs floor")
	assert.Contains(t, out, "vs plan")
	assert.NotContains(t, out, "oracle")
}
