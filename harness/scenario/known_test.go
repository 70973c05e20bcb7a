package scenario

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/simulator/profiles"
)

// The scenario language's model and accelerator names, context lengths and default costs
// must match the simulator's profiles.
func TestKnownNamesMatchSimulatorProfiles(t *testing.T) {
	assert.ElementsMatch(t, profiles.ModelNames(), sortedKeys(KnownModels))
	assert.ElementsMatch(t, profiles.AcceleratorNames(), sortedKeys(KnownAccelerators))
	for name, info := range KnownModels {
		m, err := profiles.LookupModel(name)
		require.NoError(t, err)
		assert.Equal(t, m.MaxModelLen, info.MaxModelLen, name)
	}
	for name, info := range KnownAccelerators {
		a, err := profiles.LookupAccelerator(name)
		require.NoError(t, err)
		assert.InDelta(t, a.CostPerHour*100, info.Cost, 1e-9, "%s: scenario costs are the profile's dollars in cents", name)
	}
}
