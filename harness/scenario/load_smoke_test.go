package scenario

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadQuickstart(t *testing.T) {
	s, err := Load("../../scenarios/quickstart.yaml")
	require.NoError(t, err)
	require.Equal(t, "quickstart", s.Metadata.Name)
	require.Len(t, s.Spec.Traffic.Phases, 3)
	require.Equal(t, 30.0, *s.Spec.Traffic.Phases[2].Rate.Constant)
}

func TestQuickstartRequestCount(t *testing.T) {
	s, err := Load("../../scenarios/quickstart.yaml")
	require.NoError(t, err)
	n := 0
	for r, err := range Requests(s, s.Spec.Seed) {
		require.NoError(t, err)
		_ = r
		n++
	}
	exp, err := ExpectedRequests(&s.Spec)
	require.NoError(t, err)
	t.Logf("n=%d expected=%g", n, exp)
	require.InDelta(t, exp, float64(n), 4*math.Sqrt(exp))
}
