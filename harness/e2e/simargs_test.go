package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	simapp "github.com/saturn-autoscaler/saturn/simulator/app"
)

// saturn-sim on Kind runs each variant with the engine the twin runs: charts/saturn-sim
// rendered from the blueprint, its command line parsed as saturn-sim parses it, prefix
// caching and the GPU memory share included.
func TestSimulatorChartRunsTheTwinsEngine(t *testing.T) {
	text := strings.Replace(twoVariants, "      engine: {maxNumSeqs: 32}", "      engine: {maxNumSeqs: 32, enablePrefixCaching: false, gpuMemoryUtilization: 0.85, maxNumBatchedTokens: 100000}", 1)
	sc := loadScenario(t, text)
	bp := blueprintOf(t, sc)
	for _, v := range bp.Variants {
		out := helmTemplate(t, "saturn-sim", SimulatorValues(sc, bp, v, SimulatorImage, "dev", 1))
		var args []string
		for _, doc := range strings.Split(out, "\n---") {
			var d appsv1.Deployment
			require.NoError(t, yaml.Unmarshal([]byte(doc), &d))
			if d.Kind == "Deployment" {
				args = d.Spec.Template.Spec.Containers[0].Args
			}
		}
		require.NotEmpty(t, args, out)
		got, err := simapp.EngineConfigFor(args)
		require.NoError(t, err, "saturn-sim's own flags: %v", args)
		got.TokenEvents = v.Engine.TokenEvents // a server's streaming hook, not a setting
		assert.Equal(t, v.Engine, got, "%s: %v", v.Name, args)
	}
	l40s := bp.Variants[1].Engine
	assert.False(t, l40s.EnablePrefixCaching)
	assert.InDelta(t, 0.85, l40s.GPUMemoryUtilization, 1e-12)
	assert.Equal(t, 100000, l40s.MaxNumBatchedTokens, "a round number reaches saturn-sim exactly")
	assert.Equal(t, 64, bp.Variants[0].Engine.MaxNumSeqs, "the model's setting where the variant has none")
}
