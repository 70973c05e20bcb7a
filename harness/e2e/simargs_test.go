package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	simapp "github.com/saturn-autoscaler/saturn/simulator/app"
)

// saturn-sim on Kind runs each variant with the engine settings the twin
// uses: the model's, overridden by the variant's, prefix caching included.
func TestSimArgsAreTheTwinsEngine(t *testing.T) {
	text := strings.Replace(twoVariants, "      engine: {maxNumSeqs: 32}", "      engine: {maxNumSeqs: 32, enablePrefixCaching: false, gpuMemoryUtilization: 0.85}", 1)
	sc := loadScenario(t, text)
	bp := blueprintOf(t, sc)
	for i, v := range sc.Spec.Variants {
		args := simArgs(bp, bp.Variants[i])
		o := simapp.NewOptions()
		fs := pflag.NewFlagSet("saturn-sim", pflag.ContinueOnError)
		o.AddFlags(fs)
		require.NoError(t, fs.Parse(args), "saturn-sim's own flags: %v", args)
		require.NoError(t, o.Validate())
		eng := sc.Spec.EngineFor(v)
		assert.Equal(t, eng.MaxNumSeqs, o.MaxNumSeqs, v.Name)
		wantCaching := eng.EnablePrefixCaching == nil || *eng.EnablePrefixCaching
		assert.Equal(t, !wantCaching, slices.Contains(args, "--no-enable-prefix-caching"), "%s: %v", v.Name, args)
		assert.Equal(t, wantCaching, slices.Contains(args, "--enable-prefix-caching"), "%s: %v", v.Name, args)
	}
	l40s := simArgs(bp, bp.Variants[1])
	assert.Contains(t, strings.Join(l40s, " "), "--max-num-seqs 32")
	assert.Contains(t, strings.Join(l40s, " "), "--gpu-memory-utilization 0.85")
	assert.Contains(t, l40s, "--no-enable-prefix-caching")
	assert.Contains(t, strings.Join(simArgs(bp, bp.Variants[0]), " "), "--max-num-seqs 64", "the model's setting where the variant has none")
}
