package app

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// centuryScenario writes a scenario simulating 100 years (10 minutes of traffic, then none)
// and returns its path.
func centuryScenario(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "century.yaml")
	src := `apiVersion: saturn.dev/v1alpha1
kind: Scenario
metadata:
  name: century
spec:
  duration: 876000h
  model: {name: Qwen/Qwen3-0.6B}
  variants:
    - {name: a100, accelerator: A100}
  traffic:
    phases:
      - {name: steady, duration: 10m, rate: 2}
`
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	return path
}

func TestLongScenarioRefused(t *testing.T) {
	path := centuryScenario(t)
	for _, args := range [][]string{
		{"validate", path},
		{"run", path, "--progress", "never"},
		{"compare", path, "--analyzer", "wva-v1"},
	} {
		t.Run(args[0], func(t *testing.T) {
			_, _, err := run(t, args...)
			require.Error(t, err)
			assert.Equal(t, ExitInvalid, ExitCode(err))
			assert.Contains(t, err.Error(), path+":6:3: spec.duration: 876000h0m0s")
			assert.Contains(t, err.Error(), "--max-duration")
		})
	}
}

func TestMaxDurationFlagRaisesTheLimit(t *testing.T) {
	path := centuryScenario(t)
	out, _, err := run(t, "validate", "--max-duration", "876001h", path)
	require.NoError(t, err)
	assert.Contains(t, out, path+": valid")

	_, _, err = run(t, "validate", "--max-duration", "876000h", path)
	require.NoError(t, err, "the limit is inclusive")

	_, _, err = run(t, "validate", "--max-duration", "875999h", path)
	require.Error(t, err)
}

func TestMaxRequestsFlag(t *testing.T) {
	// The library quickstart expects 16,020 requests.
	_, _, err := run(t, "validate", "--max-requests", "1000", "quickstart")
	require.Error(t, err)
	assert.Equal(t, ExitInvalid, ExitCode(err))
	assert.Contains(t, err.Error(), "spec.traffic")
	assert.Contains(t, err.Error(), "--max-requests")

	_, _, err = run(t, "run", "--max-requests", "1000", "--progress", "never")
	require.Error(t, err, "the embedded quickstart is checked too")
	assert.Contains(t, err.Error(), "--max-requests")

	_, _, err = run(t, "validate", "--max-requests", "20000", "quickstart")
	require.NoError(t, err)
}

func TestLimitFlagsRejectBadValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", "--max-requests", "-5", "quickstart"}, "--max-requests -5: must be in [0, "},
		{[]string{"run", "--max-duration", "-1h"}, "--max-duration -1h0m0s: must be >= 0"},
		{[]string{"compare", "--max-requests", "5000000000", "quickstart", "quickstart"}, "--max-requests 5000000000: must be in [0, "},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			_, _, err := run(t, tc.args...)
			require.Error(t, err)
			assert.Equal(t, ExitInvalid, ExitCode(err))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
