package twin

import (
	"testing"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/profiles"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func h100Llama(t *testing.T) engine.Config {
	acc, err := profiles.LookupAccelerator("H100")
	require.NoError(t, err)
	m, err := profiles.LookupModel("meta-llama/Llama-3.1-8B-Instruct")
	require.NoError(t, err)
	return engine.Config{Accelerator: acc, Model: m}
}

func TestCapacityFollowsTheSLO(t *testing.T) {
	cfg := h100Llama(t)
	mix := []mixEntry{{512, 128}, {1024, 256}, {256, 64}}
	strict, err := Capacity(cfg, mix, record.SLO{TTFT: 200 * time.Millisecond, ITL: 30 * time.Millisecond}, 0.99)
	require.NoError(t, err)
	loose, err := Capacity(cfg, mix, record.SLO{TTFT: 2 * time.Second, ITL: 100 * time.Millisecond}, 0.99)
	require.NoError(t, err)
	lenient, err := Capacity(cfg, mix, record.SLO{TTFT: 2 * time.Second, ITL: 100 * time.Millisecond}, 0.9)
	require.NoError(t, err)
	assert.Positive(t, strict)
	assert.Greater(t, loose, strict, "a looser SLO sustains more requests per second")
	assert.GreaterOrEqual(t, lenient, loose, "a lower attainment bar sustains at least as much")
	heavy, err := Capacity(cfg, []mixEntry{{8000, 512}}, record.SLO{TTFT: 2 * time.Second, ITL: 100 * time.Millisecond}, 0.99)
	require.NoError(t, err)
	assert.Less(t, heavy, loose, "longer requests mean fewer per second")
}

func TestAttainmentOf(t *testing.T) {
	sc := &scenario.Scenario{}
	assert.Equal(t, 0.99, attainmentOf(sc))
	sc.Spec.Assertions = []scenario.Assertion{
		{SLOAttainment: &scenario.SLOAttainmentCheck{MinShare: 0.95}},
		{SLOAttainment: &scenario.SLOAttainmentCheck{MinShare: 0.8}, Phase: "peak"},
	}
	assert.Equal(t, 0.8, attainmentOf(sc))
}
