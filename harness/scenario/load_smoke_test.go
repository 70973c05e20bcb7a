package scenario

import (
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
