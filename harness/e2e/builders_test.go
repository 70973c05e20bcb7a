package e2e

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/cluster"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/router"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/test/helmtest"
)

const twoVariants = `apiVersion: saturn.dev/v1alpha1
kind: Scenario
metadata:
  name: builders
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
      startup: {weightsLoading: 10s}
    - name: l40s
      accelerator: L40S
      cost: 32
      maxReplicas: 6
      engine: {maxNumSeqs: 32}
  autoscaler:
    interval: 10s
    stabilization: {scaleDown: 20s}
    actuation:
      mode: hpa
      hpa:
        behavior:
          scaleDown: {stabilizationWindowSeconds: 60}
  traffic:
    phases:
      - {name: steady, duration: 1m, rate: 2}
  assertions:
    - nothingLost: true
`

func loadScenario(t *testing.T, text string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.LoadBytes("builders.yaml", []byte(text))
	require.NoError(t, err)
	return sc
}

func blueprintOf(t *testing.T, sc *scenario.Scenario) *blueprint.Blueprint {
	t.Helper()
	bp, err := blueprint.For(sc)
	require.NoError(t, err)
	return bp
}

func controllerValues(t *testing.T, e *Env, sc *scenario.Scenario) map[string]any {
	t.Helper()
	v, err := e.ControllerValues(blueprintOf(t, sc).Controller)
	require.NoError(t, err)
	return v
}

func TestModelSlug(t *testing.T) {
	tests := map[string]string{
		"meta-llama/Llama-3.1-8B-Instruct": "llama-3-1-8b-instruct",
		"Qwen/Qwen3-0.6B":                  "qwen3-0-6b",
		"///":                              "model",
		"a/" + strings.Repeat("x", 60):     strings.Repeat("x", 40),
	}
	for in, want := range tests {
		assert.Equal(t, want, ModelSlug(in), in)
	}
}

func TestSimulatorValuesFollowTheBlueprint(t *testing.T) {
	sc := loadScenario(t, twoVariants)
	bp := blueprintOf(t, sc)
	vals := SimulatorValues(sc, bp, bp.Variants[1], "saturn.local/saturn-sim", "abc", 2)
	assert.Equal(t, "llama-3-1-8b-instruct-l40s", vals["fullnameOverride"])
	assert.Equal(t, 2, vals["replicas"])
	assert.Equal(t, map[string]any{"repository": "saturn.local/saturn-sim", "tag": "abc", "pullPolicy": "Never"}, vals["image"])
	assert.Equal(t, "L40S", vals["accelerator"])
	eng := vals["engine"].(map[string]any)
	assert.Equal(t, 32, eng["maxNumSeqs"], "the variant's engine setting wins")
	assert.Equal(t, bp.Variants[1].Engine.MaxModelLen, eng["maxModelLen"], "the resolved value, not saturn-sim's default")
	assert.Equal(t, uint64(3), eng["seed"])
	assert.Equal(t, map[string]any{"enabled": false}, vals["service"], "one Service fronts every variant")
	labels := vals["podLabels"].(map[string]any)
	assert.Equal(t, "l40s", labels["saturn.dev/variant"])
	h := SimulatorValues(sc, bp, bp.Variants[0], "r", "t", 1)
	assert.Equal(t, 64, h["engine"].(map[string]any)["maxNumSeqs"])
	assert.Equal(t, "10s", h["startupDelay"])
}

func TestRouterObjectsFrontTheModelService(t *testing.T) {
	sc := loadScenario(t, twoVariants)
	w := 2.5
	sc.Spec.Router.Weights.PrefixCache = &w
	objs := RouterObjects(sc, blueprintOf(t, sc).Router, "llm-d", "saturn.local/saturn:k1")
	require.Len(t, objs, 5)
	role := objs[1].(*rbacv1.Role)
	require.Len(t, role.Rules, 1, "least privilege: one rule")
	assert.Equal(t, []string{"endpointslices"}, role.Rules[0].Resources)
	assert.Equal(t, []string{"get", "list", "watch"}, role.Rules[0].Verbs)
	d := objs[3].(*appsv1.Deployment)
	c := d.Spec.Template.Spec.Containers[0]
	assert.Equal(t, "saturn.local/saturn:k1", c.Image)
	args := strings.Join(c.Args, " ")
	assert.Contains(t, args, "router --service llama-3-1-8b-instruct --namespace llm-d --model meta-llama/Llama-3.1-8B-Instruct")
	assert.Contains(t, args, "--policy kv-queue-scorer", "the scenario's defaulted policy")
	assert.Contains(t, args, "--prefix-weight 2.5")
	assert.Equal(t, RouterName(sc), d.Spec.Template.Spec.ServiceAccountName)
	assert.Equal(t, "true", d.Spec.Template.Annotations["prometheus.io/scrape"], "Prometheus scrapes the flow-control queue gauge")
	assert.True(t, *d.Spec.Template.Spec.SecurityContext.RunAsNonRoot)
	svc := objs[4].(*corev1.Service)
	assert.Equal(t, int32(RouterNodePort), svc.Spec.Ports[0].NodePort)
	assert.Equal(t, "http://llama-3-1-8b-instruct-gateway.llm-d.svc:8000", RouterURL(sc, "llm-d"))

	// The flags the harness passes are the router's own.
	cmd := router.NewCommand(io.Discard, io.Discard)
	require.NoError(t, cmd.ParseFlags(c.Args[1:]))
}

func TestChartValues(t *testing.T) {
	sc := loadScenario(t, twoVariants)
	e := &Env{Namespace: "llm-d", Prometheus: cluster.DefaultPrometheusOptions(), TLS: &cluster.TLSBundle{CACert: []byte("PEM")}, ImageTag: "k1"}
	cv := controllerValues(t, e, sc)
	wva := cv["wva"].(map[string]any)
	assert.Equal(t, "metrics", wva["actuation"])
	assert.Equal(t, "10s", wva["reconcileInterval"])
	assert.Equal(t, map[string]any{"repository": ControllerImage, "tag": "k1"}, wva["image"])
	prom := wva["prometheus"].(map[string]any)
	assert.Equal(t, "https://prometheus.monitoring.svc:9090", prom["baseURL"])
	assert.Equal(t, "PEM", prom["caCert"])
	def := wva["capacityScaling"].(map[string]any)["default"].(map[string]any)
	assert.Equal(t, "20s", def["scaleDownStabilizationWindow"])
	assert.Equal(t, "0s", def["scaleUpStabilizationWindow"], "the scenario's defaulted window is passed")
	assert.NotContains(t, prom, "allowHTTP", "plain HTTP is never enabled")
	assert.Equal(t, scenario.AnalyzerCapacity, def["analyzer"], "the scenario's analyzer reaches the controller's ConfigMap")
	require.NotNil(t, sc.Spec.SLO, "the scenario's SLO is defaulted")
	require.Positive(t, sc.Spec.SLO.ITL)
	assert.Equal(t, sc.Spec.SLO.ITL.String(), def["sloITL"], "the scenario's ITL objective sizes the replicas, as in the twin")
	assert.Equal(t, sc.Spec.SLO.TTFT.String(), def["sloTTFT"], "the scenario's TTFT objective sets the replicas' utilisation, as in the twin")
	sc.Spec.Autoscaler.Analyzer = scenario.AnalyzerWVAv1
	assert.Equal(t, scenario.AnalyzerWVAv1, controllerValues(t, e, sc)["wva"].(map[string]any)["capacityScaling"].(map[string]any)["default"].(map[string]any)["analyzer"])
	sc.Spec.Autoscaler.Analyzer = scenario.AnalyzerCapacity

	vv := e.VariantValues(sc, blueprintOf(t, sc).Variants[1])
	assert.Equal(t, "32", vv["va"].(map[string]any)["variantCost"])
	hpa := vv["hpa"].(map[string]any)
	assert.Equal(t, true, hpa["enabled"])
	assert.Equal(t, 6, hpa["maxReplicas"])
	down := hpa["behavior"].(map[string]any)["scaleDown"].(map[string]any)
	assert.Equal(t, int32(60), down["stabilizationWindowSeconds"])
	assert.Equal(t, "Max", down["selectPolicy"], "the scenario's defaulted behavior is passed whole")

	sc.Spec.Autoscaler.Actuation.Mode = scenario.ActuationDirect
	assert.Equal(t, "direct", controllerValues(t, e, sc)["wva"].(map[string]any)["actuation"])
	assert.Equal(t, false, e.VariantValues(sc, blueprintOf(t, sc).Variants[0])["hpa"].(map[string]any)["enabled"])
}

// helmTemplate renders charts/<chart> with values through the real helm binary
// (SATURN_HELM, set by `make test`).
func helmTemplate(t *testing.T, chart string, values map[string]any) string {
	t.Helper()
	helm := helmtest.Binary(t, "the chart check renders the harness's values with the helm binary")
	_, file, _, _ := runtime.Caller(0)
	return helmtest.Template(t, helm, filepath.Join(filepath.Dir(file), "..", "..", "charts", chart), "llm-d", values)
}

// TestChartRendersVariantValues renders charts/saturn and charts/saturn-sim with the
// harness's values.
func TestChartRendersVariantValues(t *testing.T) {
	sc := loadScenario(t, twoVariants)
	bp := blueprintOf(t, sc)
	e := &Env{Namespace: "llm-d", Prometheus: cluster.DefaultPrometheusOptions(), TLS: &cluster.TLSBundle{CACert: []byte("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----")}}
	t.Run("controller", func(t *testing.T) {
		out := helmTemplate(t, "saturn", controllerValues(t, e, sc))
		assert.Contains(t, out, "https://prometheus.monitoring.svc:9090")
		assert.Contains(t, out, "analyzer: capacity", "the saturation ConfigMap names the scenario's analyzer")
	})
	t.Run("variant", func(t *testing.T) {
		out := helmTemplate(t, "saturn", e.VariantValues(sc, bp.Variants[0]))
		assert.Contains(t, out, "name: llama-3-1-8b-instruct-h100-decode-hpa")
		assert.Contains(t, out, "kind: VariantAutoscaling")
		assert.Contains(t, out, "name: "+DeploymentName(sc, "h100"), "the VA and HPA target the simulator's Deployment")
	})
	t.Run("simulator", func(t *testing.T) {
		out := helmTemplate(t, "saturn-sim", SimulatorValues(sc, bp, bp.Variants[1], SimulatorImage, "k1", 2))
		var d *appsv1.Deployment
		for _, doc := range strings.Split(out, "\n---") {
			var probe struct{ Kind string }
			require.NoError(t, yaml.Unmarshal([]byte(doc), &probe))
			assert.NotEqual(t, "Service", probe.Kind, "the chart's own Service is off")
			if probe.Kind == "Deployment" {
				d = &appsv1.Deployment{}
				require.NoError(t, yaml.Unmarshal([]byte(doc), d))
			}
		}
		require.NotNil(t, d, out)
		assert.Equal(t, DeploymentName(sc, "l40s"), d.Name)
		assert.Equal(t, int32(2), *d.Spec.Replicas)
		c := d.Spec.Template.Spec.Containers[0]
		assert.Equal(t, SimulatorImage+":k1", c.Image)
		assert.Equal(t, corev1.PullNever, c.ImagePullPolicy)
		assert.Empty(t, c.Resources.Limits, "memory left unbounded on the Kind node")
		assert.Equal(t, "true", d.Spec.Template.Annotations["prometheus.io/scrape"])
		for k, v := range ServiceObject(sc, "llm-d").Spec.Selector {
			assert.Equal(t, v, d.Spec.Template.Labels[k], "the model's Service selects the variant's pods (%s)", k)
		}
		assert.Equal(t, "L40S", d.Spec.Template.Labels["inference.optimization/acceleratorName"], "WVA's accelerator label")
	})
}

func TestLoadJobRunsSaturnLoadOnTheScenario(t *testing.T) {
	cm, job := LoadJobObjects(LoadJob{Name: "saturn-load-x", Scenario: []byte("spec: {}"), Target: "http://m.llm-d.svc:8000", Drain: time.Minute, Image: "img"}, "llm-d")
	assert.Equal(t, "spec: {}", cm.Data["scenario.yaml"])
	c := job.Spec.Template.Spec.Containers[0]
	assert.Equal(t, []string{"load", "--target", "http://m.llm-d.svc:8000", "--drain", "1m0s", "/scenario/scenario.yaml"}, c.Args)
	assert.Equal(t, int32(0), *job.Spec.BackoffLimit)
	assert.Equal(t, "img", c.Image)
}

func TestComparison(t *testing.T) {
	rec := &record.Record{Scales: []record.ScaleEvent{{Time: 5 * time.Second, From: 2, To: 1}, {Time: 40 * time.Second, From: 1, To: 3}}}
	sum := &record.Summary{TTFT: record.Percentiles{P99: 0.8}, Variants: []record.VariantSummary{{ReplicasMax: 3}, {ReplicasMax: 5}}, GPUHours: 0.25}
	sum.Requests.SLOAttainment = 0.95
	f := FiguresOf(rec, sum)
	assert.Equal(t, Figures{MaxReplicas: 5, TimeToScaleUp: 40 * time.Second, P99TTFT: 0.8, Attainment: 0.95, GPUHours: 0.25}, f)
	var b bytes.Buffer
	require.NoError(t, WriteComparison(&b, Figures{MaxReplicas: 4, TimeToScaleUp: 30 * time.Second, P99TTFT: 0.5, Attainment: 0.97, GPUHours: 0.2}, f))
	assert.Contains(t, b.String(), "+10s")
	assert.Contains(t, b.String(), "+1")
	assert.Contains(t, b.String(), "+0.300s")
	assert.Contains(t, b.String(), "97.00%  95.00%  -2.00 pts")
	assert.Contains(t, b.String(), "0.2000  0.2500  +0.0500")
	b.Reset()
	require.NoError(t, WriteComparison(&b, Figures{TimeToScaleUp: -1}, f))
	assert.Contains(t, b.String(), "never")
	assert.Contains(t, b.String(), "n/a")
}

func TestHostPrometheusUsesTheGeneratedCA(t *testing.T) {
	e := &Env{PrometheusHostURL: "https://127.0.0.1:39090"}
	_, err := e.HostPrometheus(t.TempDir())
	require.ErrorContains(t, err, "SetupPrometheus has not run")

	bundle, err := cluster.NewTLSBundle(rand.Reader, time.Now(), time.Hour, []string{"localhost"}, nil)
	require.NoError(t, err)
	e.TLS = bundle
	dir := t.TempDir()
	_, err = e.HostPrometheus(dir)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dir, "prometheus-ca.crt"))
	require.NoError(t, err)
	assert.Equal(t, bundle.CACert, got)

	e.PrometheusHostURL = "http://127.0.0.1:39090"
	_, err = e.HostPrometheus(t.TempDir())
	require.ErrorContains(t, err, "plain http", "the harness never talks plain HTTP to Prometheus")
}
