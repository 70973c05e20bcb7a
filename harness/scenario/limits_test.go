package scenario

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limitsScenario is a valid scenario with spec.duration on line 6 and spec.traffic on line
// 10, at rate requests/s for the whole duration.
func limitsScenario(t *testing.T, duration string, rate float64) *Scenario {
	t.Helper()
	src := fmt.Sprintf(`apiVersion: saturn.dev/v1alpha1
kind: Scenario
metadata:
  name: limits
spec:
  duration: %s
  model: {name: Qwen/Qwen3-0.6B}
  variants:
    - {name: a100, accelerator: A100}
  traffic:
    phases:
      - {name: steady, duration: %s, rate: %g}
`, duration, duration, rate)
	s, err := LoadBytes("limits.yaml", []byte(src))
	require.NoError(t, err)
	return s
}

func TestCheckLimitsRefusesOverLimit(t *testing.T) {
	tests := []struct {
		name     string
		duration string
		rate     float64
		limits   Limits
		errs     int // 1 unless noted
		want     []string
	}{
		{
			name: "longer than 31 days", duration: "745h", rate: 0,
			want: []string{"limits.yaml:6:3: spec.duration: 745h0m0s", "limit of 744h0m0s (31 days)", "--max-duration 745h0m0s"},
		},
		{
			name: "100 years", duration: "876000h", rate: 0,
			want: []string{"limits.yaml:6:3: spec.duration:", "(36500 days)", "--max-duration"},
		},
		{
			name: "100 years at 10 req/s", duration: "876000h", rate: 10, errs: 2,
			want: []string{"limits.yaml:6:3: spec.duration:", "--max-duration", "limits.yaml:10:3: spec.traffic:", "--max-requests"},
		},
		{
			name: "more than 20 million requests", duration: "10m", rate: 40_000,
			want: []string{"limits.yaml:10:3: spec.traffic: about 24,000,000 requests", "limit of 20,000,000", "--max-requests 24000000"},
		},
		{
			name: "one request over a stated limit", duration: "10m", rate: 10, limits: Limits{MaxRequests: 5999},
			want: []string{"limits.yaml:10:3: spec.traffic: about 6,000 requests", "limit of 5,999", "--max-requests"},
		},
		{
			name: "beyond what --max-requests allows", duration: "720h", rate: 1e6,
			want: []string{"limits.yaml:10:3: spec.traffic:", "more than --max-requests allows", "shorten spec.duration"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := limitsScenario(t, tc.duration, tc.rate).CheckLimits(tc.limits)
			require.Error(t, err)
			var list ErrorList
			require.ErrorAs(t, err, &list)
			require.Len(t, list, max(tc.errs, 1), err.Error())
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestCheckLimitsAcceptsAtLimit(t *testing.T) {
	// 31 days exactly.
	long := limitsScenario(t, "744h", 0)
	require.NoError(t, long.CheckLimits(Limits{}))
	require.NoError(t, long.CheckLimits(Limits{MaxDuration: 744 * time.Hour}))
	require.Error(t, long.CheckLimits(Limits{MaxDuration: 743 * time.Hour}))

	// 10 req/s for 10 minutes: 6,000 requests.
	busy := limitsScenario(t, "10m", 10)
	require.NoError(t, busy.CheckLimits(Limits{MaxRequests: 6000}))
	require.Error(t, busy.CheckLimits(Limits{MaxRequests: 5999}))
}

func TestCheckLimitsRaised(t *testing.T) {
	long := limitsScenario(t, "876000h", 0)
	require.Error(t, long.CheckLimits(Limits{}))
	assert.NoError(t, long.CheckLimits(Limits{MaxDuration: 876001 * time.Hour}))

	busy := limitsScenario(t, "10m", 40_000)
	require.Error(t, busy.CheckLimits(Limits{}))
	assert.NoError(t, busy.CheckLimits(Limits{MaxRequests: 24_000_000}))
}

func TestCheckLimitsTraceReplayBoundedByDurationOnly(t *testing.T) {
	s, err := Load("testdata/valid-trace.yaml")
	require.NoError(t, err)
	assert.NoError(t, s.CheckLimits(Limits{MaxRequests: 1}), "a replay's records are not counted")
	err = s.CheckLimits(Limits{MaxDuration: time.Minute})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "spec.duration")
}

func TestCheckLimitsWithoutPositions(t *testing.T) {
	s := limitsScenario(t, "745h", 10)
	s.positions = nil
	err := s.CheckLimits(Limits{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "limits.yaml: spec.duration: 745h0m0s")
}

func TestLimitsValidate(t *testing.T) {
	require.NoError(t, Limits{}.Validate())
	require.NoError(t, Limits{MaxRequests: 1, MaxDuration: time.Second}.Validate())
	for _, tc := range []struct {
		limits Limits
		want   string
	}{
		{Limits{MaxRequests: -1}, "--max-requests -1: must be in [0, 1,000,000,000]"},
		{Limits{MaxRequests: 2_000_000_000}, "--max-requests 2000000000"},
		{Limits{MaxDuration: -time.Hour}, "--max-duration -1h0m0s: must be >= 0"},
	} {
		err := tc.limits.Validate()
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
		// CheckLimits refuses bad limits too.
		require.ErrorContains(t, limitsScenario(t, "10m", 1).CheckLimits(tc.limits), tc.want)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 20_000_000: "20,000,000", -1234567: "-1,234,567"} {
		assert.Equal(t, want, thousands(n))
	}
}
