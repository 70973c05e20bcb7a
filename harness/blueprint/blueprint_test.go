package blueprint

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/harness/hpa"
	"github.com/saturn-autoscaler/saturn/harness/route"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

const twoVariants = `apiVersion: saturn.dev/v1alpha1
kind: Scenario
metadata:
  name: blueprint
spec:
  seed: 3
  model:
    name: meta-llama/Llama-3.1-8B-Instruct
    engine: {maxNumSeqs: 64}
  variants:
    - name: h100
      accelerator: H100
      cost: 100
      maxReplicas: 4
      startup: {weightsLoading: {type: uniform, min: 10s, max: 30s}}
    - name: l40s
      accelerator: L40S
      minReplicas: 2
      initialReplicas: 3
      maxReplicas: 6
      engine: {maxNumSeqs: 32, enablePrefixCaching: false}
  autoscaler:
    analyzer: wva-v1
    interval: 10s
    thresholds: {kvCacheThreshold: 0.7}
    stabilization: {scaleDown: 20s}
    actuation:
      mode: hpa
      hpa:
        behavior:
          scaleDown: {stabilizationWindowSeconds: 60}
  router:
    weights: {prefixCache: 2}
  slo: {ttft: 3s, itl: 80ms}
  traffic:
    phases:
      - {name: steady, duration: 1m, rate: 2}
`

func load(t *testing.T, text string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.LoadBytes("blueprint.yaml", []byte(text))
	require.NoError(t, err)
	return sc
}

func TestForResolvesTheScenarioOnce(t *testing.T) {
	bp, err := For(load(t, twoVariants))
	require.NoError(t, err)
	assert.Equal(t, "meta-llama/Llama-3.1-8B-Instruct", bp.Model)
	assert.Equal(t, uint64(3), bp.Seed)
	assert.Equal(t, scenario.DefaultScrapeInterval, bp.ScrapeInterval)

	c := bp.Controller
	assert.Equal(t, 10*time.Second, c.Interval)
	assert.Equal(t, scenario.ActuationHPA, c.Actuation)
	assert.Equal(t, "metrics", c.ControllerFlagActuation())
	assert.False(t, c.ScaleToZero)
	m := c.Config.For("llm-d", bp.Model)
	assert.Equal(t, scenario.AnalyzerWVAv1, m.Analyzer)
	assert.InDelta(t, 0.7, m.KvCacheThreshold, 1e-12, "the scenario's threshold")
	assert.InDelta(t, config.DefaultQueueLengthThreshold, m.QueueLengthThreshold, 1e-12, "WVA's default where the scenario says nothing")
	assert.Equal(t, 20*time.Second, m.ScaleDownStabilizationWindow)
	require.NotNil(t, c.Config.Saturation.Default.SLOITL)
	assert.Equal(t, 80*time.Millisecond, c.Config.Saturation.Default.SLOITL.Duration, "the SLO's ITL sizes the replicas")
	require.NotNil(t, c.Config.Saturation.Default.SLOTTFT)
	assert.Equal(t, 3*time.Second, c.Config.Saturation.Default.SLOTTFT.Duration, "the SLO's TTFT sets the replicas' utilisation")

	require.Len(t, bp.Variants, 2)
	h, l := bp.Variants[0], bp.Variants[1]
	assert.Equal(t, 1, h.Min, "minReplicas defaults to 1 without scale-to-zero")
	assert.Equal(t, 1, h.Initial, "initial defaults to min")
	assert.Equal(t, 4, h.Max)
	assert.Equal(t, 64, h.Engine.MaxNumSeqs, "the model's engine setting")
	assert.True(t, h.Engine.EnablePrefixCaching, "on by default, as in vLLM V1")
	assert.Equal(t, 20*time.Second, h.StartupDelay, "the loading distribution's expectation")
	assert.Equal(t, 1, h.GPUs())
	assert.Equal(t, 2, l.Min)
	assert.Equal(t, 3, l.Initial)
	assert.Equal(t, 32, l.Engine.MaxNumSeqs, "the variant's engine setting wins")
	assert.False(t, l.Engine.EnablePrefixCaching)
	assert.Equal(t, scenario.KnownAccelerators["L40S"].Cost, l.Cost, "the accelerator's list cost when none is given")
	assert.Positive(t, l.Engine.MaxModelLen, "vLLM's defaults applied")

	for _, v := range bp.Variants {
		require.NotNil(t, v.HPA, v.Name)
		assert.Nil(t, v.KEDA, v.Name)
		assert.Equal(t, int32(v.Min), v.HPA.MinReplicas)
		assert.Equal(t, int32(v.Max), v.HPA.MaxReplicas)
		assert.Equal(t, hpa.AverageValue, v.HPA.Target)
		assert.InDelta(t, 1, v.HPA.TargetValue, 0, "one replica per unit of wva_desired_replicas")
		require.NotNil(t, v.HPA.ScaleDown)
		require.NotNil(t, v.HPA.ScaleDown.StabilizationWindow)
		assert.Equal(t, time.Minute, *v.HPA.ScaleDown.StabilizationWindow, "the scenario's window")
		require.NotNil(t, v.HPA.ScaleUp, "charts/saturn's scale-up rules where the scenario gives none")
		require.NotNil(t, v.HPA.ScaleUp.StabilizationWindow)
		assert.Equal(t, time.Duration(scenario.ChartHPAStabilizationSeconds)*time.Second, *v.HPA.ScaleUp.StabilizationWindow)
	}

	assert.Equal(t, scenario.RouterKVQueueScorer, bp.Router.Policy)
	assert.Equal(t, route.Weights{Queue: route.DefaultWeights.Queue, KVCache: route.DefaultWeights.KVCache, PrefixCache: 2}, bp.Router.Weights)
}

func TestForBuildsTheModesActuator(t *testing.T) {
	keda := strings.Replace(twoVariants, "      mode: hpa\n", "      mode: keda\n", 1)
	bp, err := For(load(t, keda))
	require.NoError(t, err)
	for _, v := range bp.Variants {
		assert.Nil(t, v.HPA, v.Name)
		require.NotNil(t, v.KEDA, v.Name)
		assert.Equal(t, int32(v.Max), v.KEDA.MaxReplicaCount)
		assert.Equal(t, scenario.ChartKEDACooldownSeconds*time.Second, v.KEDA.CooldownPeriod, "charts/saturn's cooldown")
	}
	assert.Equal(t, "metrics", bp.Controller.ControllerFlagActuation())

	direct := strings.Replace(twoVariants, "      mode: hpa\n", "      mode: direct\n", 1)
	bp, err = For(load(t, direct))
	require.NoError(t, err)
	for _, v := range bp.Variants {
		assert.Nil(t, v.HPA, v.Name)
		assert.Nil(t, v.KEDA, v.Name)
	}
	assert.Equal(t, "direct", bp.Controller.ControllerFlagActuation())
}

func TestForNamesTheFieldItCannotRun(t *testing.T) {
	tests := map[string]struct {
		mutate func(*scenario.Scenario)
		want   string
	}{
		"accelerator": {func(sc *scenario.Scenario) { sc.Spec.Variants[1].Accelerator = "TPU-v9" }, "spec.variants[1].accelerator"},
		"model":       {func(sc *scenario.Scenario) { sc.Spec.Model.Name = "acme/unknown" }, "spec.model.name"},
		"engine": {func(sc *scenario.Scenario) {
			sc.Spec.Variants[0].Engine.MaxNumSeqs = -1
		}, "spec.variants[0] (h100) engine"},
		"router": {func(sc *scenario.Scenario) { sc.Spec.Router.Policy = "random-walk" }, "spec.router"},
		"hpa": {func(sc *scenario.Scenario) {
			sc.Spec.Autoscaler.Actuation.HPA.Behavior.ScaleUp.Policies = []scenario.HPAPolicy{{Type: "Bananas", Value: 1, PeriodSeconds: 15}}
		}, "spec.autoscaler.actuation (variant h100)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sc := load(t, twoVariants)
			tc.mutate(sc)
			_, err := For(sc)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// Every scenario saturn ships resolves: the library, the held-out set and the Kind suite.
func TestEveryShippedScenarioResolves(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	var n int
	for _, dir := range []string{"scenarios", "scenarios/hard", "scenarios/e2e"} {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.yaml"))
		require.NoError(t, err)
		require.NotEmpty(t, files, dir)
		for _, f := range files {
			sc, err := scenario.Load(f)
			require.NoError(t, err, f)
			bp, err := For(sc)
			require.NoError(t, err, f)
			require.Len(t, bp.Variants, len(sc.Spec.Variants), f)
			for i, v := range bp.Variants {
				assert.Equal(t, *sc.Spec.Variants[i].MinReplicas, v.Min, "%s: %s", f, v.Name)
				assert.Equal(t, sc.Spec.Variants[i].MaxReplicas, v.Max, "%s: %s", f, v.Name)
				assert.Equal(t, *sc.Spec.Variants[i].InitialReplicas, v.Initial, "%s: %s", f, v.Name)
			}
			n++
		}
	}
	t.Logf("%d scenarios resolved", n)
}
