package scenario

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sigsyaml "sigs.k8s.io/yaml"
)

func TestLoadValidTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/valid-*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := Load(f)
			require.NoError(t, err)
			require.NoError(t, s.Validate(), "a loaded scenario stays valid")
			assert.Equal(t, f, s.Source)
		})
	}
}

// wantComment reads the "# want: <substring>" first line of an invalid test file.
func wantComment(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	require.True(t, sc.Scan(), "%s is empty; it needs a '# want:' first line", path)
	want, ok := strings.CutPrefix(sc.Text(), "# want: ")
	require.True(t, ok, "%s: first line must be '# want: <error substring>'", path)
	return want
}

func TestLoadInvalidTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 40)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := wantComment(t, f)
			_, err := Load(f)
			require.Error(t, err)
			assert.Contains(t, err.Error(), want)
			var list ErrorList
			require.ErrorAs(t, err, &list)
			for _, fe := range list {
				assert.Equal(t, f, fe.File)
			}
		})
	}
}

func TestErrorsAreLocated(t *testing.T) {
	cases := []struct {
		file         string
		line, column int
		field        string
	}{
		// The key of an unknown field.
		{"invalid-unknown-field.yaml", 16, 9, "spec.traffic.phases[0].rat"},
		// The value of a wrong type.
		{"invalid-wrong-type-rate.yaml", 16, 15, "spec.traffic.phases[0].rate"},
		// A validation error is located at the field it names.
		{"invalid-min-max.yaml", 12, 7, "spec.variants[0].minReplicas"},
		{"invalid-assertion-phase.yaml", 18, 7, "spec.assertions[0].phase"},
		// A cross-field error on a field that is absent points at its closest parent.
		{"invalid-shares.yaml", 17, 5, "spec.traffic.classes"},
		{"invalid-duplicate-key.yaml", 9, 5, "spec.model.name"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			_, err := Load("testdata/" + c.file)
			var list ErrorList
			require.ErrorAs(t, err, &list)
			require.NotEmpty(t, list)
			fe := list[0]
			assert.Equal(t, c.field, fe.Field)
			assert.Equal(t, c.line, fe.Line, "line")
			assert.Equal(t, c.column, fe.Column, "column")
			assert.True(t, strings.HasPrefix(fe.Error(), "testdata/"+c.file+":"), fe.Error())
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	data := []byte(`apiVersion: saturn.dev/v1alpha1
kind: Scenario
metadata: {name: many}
spec:
  sed: 1
  model: {name: meta-llama/Llama-3.1-8B-Instruct, engin: {}}
  variants: [{name: a, accelerator: H100, maxReplicas: x}]
`)
	_, err := LoadBytes("many.yaml", data)
	var list ErrorList
	require.ErrorAs(t, err, &list)
	require.Len(t, list, 3)
	assert.Equal(t, "many.yaml:5:3: spec.sed: unknown field \"sed\"; allowed here: assertions, autoscaler, duration, faults, model, prometheus, router, seed, slo, traffic, variants (did you mean \"seed\"?)", list[0].Error())
	assert.Equal(t, "spec.model.engin", list[1].Field)
	assert.Equal(t, "spec.variants[0].maxReplicas", list[2].Field)
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	require.ErrorIs(t, err, os.ErrNotExist)
	var list ErrorList
	assert.False(t, errors.As(err, &list))
}

func TestDefaults(t *testing.T) {
	s, err := Load("testdata/valid-minimal.yaml")
	require.NoError(t, err)
	sp := s.Spec
	assert.Equal(t, uint64(DefaultSeed), sp.Seed)
	assert.Equal(t, 2*time.Minute, sp.Duration, "duration defaults to the sum of phases")
	v := sp.Variants[0]
	assert.Equal(t, 40.0, v.Cost, "A100 list cost")
	assert.Equal(t, 1, *v.MinReplicas)
	assert.Equal(t, 1, *v.InitialReplicas)
	assert.Equal(t, DefaultMaxReplicas, v.MaxReplicas)
	assert.Equal(t, DurationDist{Type: DistConstant, Value: DefaultScheduling}, v.Startup.Scheduling)
	assert.Equal(t, DurationDist{Type: DistConstant, Value: DefaultWeightsLoading}, v.Startup.WeightsLoading)
	a := sp.Autoscaler
	assert.Equal(t, AnalyzerCapacity, a.Analyzer)
	assert.Equal(t, 0.8, *a.Thresholds.KVCacheThreshold)
	assert.Equal(t, 5.0, *a.Thresholds.QueueLengthThreshold)
	assert.Equal(t, 0.1, *a.Thresholds.KVSpareTrigger)
	assert.Equal(t, 3.0, *a.Thresholds.QueueSpareTrigger)
	assert.Equal(t, ActuationHPA, a.Actuation.Mode)
	assert.Equal(t, int32(0), *a.Actuation.HPA.Behavior.ScaleDown.StabilizationWindowSeconds, "the controller stabilizes, the HPA does not")
	assert.Equal(t, int32(0), *a.Actuation.HPA.Behavior.ScaleUp.StabilizationWindowSeconds)
	assert.Equal(t, 5*time.Minute, *a.Stabilization.ScaleDown)
	assert.Len(t, a.Actuation.HPA.Behavior.ScaleUp.Policies, 1)
	assert.Equal(t, DefaultScrapeInterval, sp.Prometheus.ScrapeInterval)
	assert.Equal(t, RouterKVQueueScorer, sp.Router.Policy)
	require.Len(t, sp.Traffic.Classes, 1)
	c := sp.Traffic.Classes[0]
	assert.Equal(t, DefaultClass, c.Name)
	assert.Equal(t, 1.0, c.Share)
	assert.Equal(t, LengthDist{Type: DistConstant, Value: DefaultPromptTokens}, c.Prompt)
	assert.Equal(t, ProcessPoisson, sp.Traffic.Phases[0].Arrivals.Process)
	assert.True(t, *sp.Model.Engine.EnablePrefixCaching)
	assert.Equal(t, 40960, sp.MaxModelLen())

	// Defaulting twice changes nothing.
	again := *s
	again.Default()
	assert.Equal(t, s.Spec.Autoscaler, again.Spec.Autoscaler)
}

func TestFullScenarioFields(t *testing.T) {
	s, err := Load("testdata/valid-full.yaml")
	require.NoError(t, err)
	sp := s.Spec
	l40s, ok := sp.Variant("l40s")
	require.True(t, ok)
	e := sp.EngineFor(l40s)
	assert.Equal(t, 2, e.TensorParallelSize, "variant override")
	assert.Equal(t, 64, e.MaxNumSeqs, "variant override")
	assert.Equal(t, 4096, e.MaxNumBatchedTokens, "model setting")
	assert.False(t, *e.EnablePrefixCaching)
	assert.Equal(t, 16384, sp.MaxModelLen())
	assert.Equal(t, 0, *l40s.InitialReplicas)
	assert.Equal(t, 90*time.Second, l40s.Startup.WeightsLoading.Value)
	assert.Equal(t, DistConstant, l40s.Startup.Scheduling.Type)
	assert.Equal(t, 3*time.Second, l40s.Startup.Scheduling.Value)
	_, start, ok := sp.Phase("day")
	require.True(t, ok)
	assert.Equal(t, 15*time.Minute, start)
	code := sp.Traffic.Classes[2]
	assert.Equal(t, DistEmpirical, code.Prompt.Type)
	assert.Equal(t, 1.0, code.Prompt.Values[2].Weight, "weights default to 1")
	assert.Equal(t, "ramp keeps up", sp.Assertions[1].Name)
	assert.Equal(t, "scale down h100 within 10m0s in day", sp.Assertions[2].Name)
	assert.Equal(t, 100.0, *sp.Traffic.Spikes[1].Rate)
	assert.Equal(t, 20*time.Minute, *sp.Traffic.Diurnal.PeakAt)
	require.Len(t, sp.Faults, 6)
	assert.Equal(t, 2*time.Minute, sp.Faults[4].UnresponsiveReplica.Duration)
	assert.Equal(t, DefaultRestartDowntime, sp.Faults[5].ControllerRestart.Downtime, "downtime defaults to a pod replacement")
	assert.Equal(t, "test", s.Metadata.Labels["tier"])
}

func TestAnchorsAreExpanded(t *testing.T) {
	s, err := Load("testdata/valid-diurnal-anchors.yaml")
	require.NoError(t, err)
	a100, _ := s.Spec.Variant("a100")
	assert.Equal(t, 4, s.Spec.EngineFor(a100).TensorParallelSize)
	c := s.Spec.Traffic.Classes[0]
	assert.Equal(t, c.Prompt, c.Output)
	assert.Equal(t, 8.0, s.Spec.Traffic.Diurnal.Amplitude, "amplitude from peak - base")
}

func TestAliasBombIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: saturn.dev/v1alpha1\nkind: Scenario\nmetadata:\n  labels:\n    a0: &a0 x\n")
	b.WriteString("spec:\n  x0: &l0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("  x" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	start := time.Now()
	_, err := LoadBytes("bomb.yaml", []byte(b.String()))
	require.Error(t, err)
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestValidateWithoutPositions(t *testing.T) {
	s := &Scenario{APIVersion: APIVersion, Kind: Kind, Metadata: Metadata{Name: "built"}}
	s.Spec.Model.Name = "Qwen/Qwen3-0.6B"
	s.Spec.Variants = []Variant{{Name: "h100", Accelerator: "H100"}}
	s.Spec.Traffic.Phases = []Phase{{Name: "p", Duration: time.Minute, Rate: &Rate{Constant: ptr(1.0)}}}
	require.NoError(t, s.Validate())
	s.Spec.Variants[0].Accelerator = "TPU"
	err := s.Validate()
	require.ErrorContains(t, err, "spec.variants[0].accelerator: unknown accelerator \"TPU\"")
}

func TestSLODefaults(t *testing.T) {
	base := variantsYAML + `
  traffic: {phases: [{name: a, duration: 1m, rate: 1}]}
`
	cases := []struct {
		name      string
		extra     string
		ttft, itl time.Duration
	}{
		{"nothing", "", DefaultSLOTTFT, DefaultSLOITL},
		{"explicit", "  slo: {ttft: 500ms, itl: 40ms}\n", 500 * time.Millisecond, 40 * time.Millisecond},
		{"from sloAttainment", "  assertions: [{sloAttainment: {ttft: 1s, minShare: 0.9}}, {latency: {metric: itl, percentile: p99, max: 70ms}}]\n", time.Second, 70 * time.Millisecond},
		{"from latency", "  assertions: [{latency: {metric: ttft, percentile: p99, max: 3s}}]\n", 3 * time.Second, DefaultSLOITL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := load(t, base+c.extra)
			assert.Equal(t, SLO{TTFT: c.ttft, ITL: c.itl}, *s.Spec.SLO)
		})
	}
	s := load(t, base+"  slo: {ttft: 800ms, itl: 50ms}\n  assertions: [{sloAttainment: {minShare: 0.95}}]\n")
	assert.Equal(t, 800*time.Millisecond, s.Spec.Assertions[0].SLOAttainment.TTFT, "an sloAttainment without targets uses spec.slo")
	assert.Equal(t, 50*time.Millisecond, s.Spec.Assertions[0].SLOAttainment.ITL)
}

// The twin and the Kind driver deploy what a scenario's defaults say; a scenario that states
// no HPA behavior or KEDA timing must get what charts/saturn installs, not Kubernetes' or
// KEDA's own defaults (a second, 300 s scale-down window or cooldown on top of the
// controller's).
func TestActuationDefaultsAreTheCharts(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "charts", "saturn", "values.yaml"))
	require.NoError(t, err)
	type rules struct {
		StabilizationWindowSeconds *int32      `json:"stabilizationWindowSeconds"`
		SelectPolicy               string      `json:"selectPolicy"`
		Policies                   []HPAPolicy `json:"policies"`
	}
	var values struct {
		HPA struct {
			Behavior struct {
				ScaleUp, ScaleDown rules
			} `json:"behavior"`
		} `json:"hpa"`
		KEDA struct {
			PollingInterval *int `json:"pollingInterval"`
			CooldownPeriod  *int `json:"cooldownPeriod"`
		} `json:"keda"`
	}
	require.NoError(t, sigsyaml.Unmarshal(data, &values))
	s, err := Load("testdata/valid-minimal.yaml")
	require.NoError(t, err)
	got := s.Spec.Autoscaler.Actuation.HPA.Behavior
	for _, d := range []struct {
		name  string
		chart rules
		got   *HPAScalingRules
	}{{"scaleUp", values.HPA.Behavior.ScaleUp, got.ScaleUp}, {"scaleDown", values.HPA.Behavior.ScaleDown, got.ScaleDown}} {
		require.NotNil(t, d.chart.StabilizationWindowSeconds, "charts/saturn/values.yaml hpa.behavior.%s states its window", d.name)
		assert.Equal(t, *d.chart.StabilizationWindowSeconds, *d.got.StabilizationWindowSeconds, d.name)
		assert.Equal(t, d.chart.Policies, d.got.Policies, d.name)
		if d.chart.SelectPolicy != "" {
			assert.Equal(t, d.chart.SelectPolicy, d.got.SelectPolicy, d.name)
		}
	}
	keda := s.Spec.Autoscaler.Actuation.KEDA
	require.NotNil(t, values.KEDA.PollingInterval, "charts/saturn/values.yaml keda.pollingInterval")
	require.NotNil(t, values.KEDA.CooldownPeriod, "charts/saturn/values.yaml keda.cooldownPeriod")
	assert.Equal(t, time.Duration(*values.KEDA.PollingInterval)*time.Second, keda.PollingInterval)
	assert.Equal(t, time.Duration(*values.KEDA.CooldownPeriod)*time.Second, keda.CooldownPeriod)
}
