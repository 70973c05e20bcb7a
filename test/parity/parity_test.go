package parity

import (
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/cluster"
	"github.com/saturn-autoscaler/saturn/harness/e2e"
	"github.com/saturn-autoscaler/saturn/harness/hpa"
	"github.com/saturn-autoscaler/saturn/harness/route"
	"github.com/saturn-autoscaler/saturn/harness/router"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	simapp "github.com/saturn-autoscaler/saturn/simulator/app"
	"github.com/saturn-autoscaler/saturn/test/helmtest"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func helmBinary(t *testing.T) string {
	t.Helper()
	return helmtest.Binary(t, "the parity check renders the charts with the helm binary")
}

// scenarioFiles lists every scenario of the library, the held-out set and the Kind suite.
func scenarioFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"scenarios", "scenarios/hard", "scenarios/e2e"} {
		m, err := filepath.Glob(filepath.Join(root, dir, "*.yaml"))
		require.NoError(t, err)
		require.NotEmpty(t, m, dir)
		files = append(files, m...)
	}
	return files
}

// rendered is a chart's output split by kind.
type rendered struct {
	configMaps  map[string]map[string]string
	deployments []appsv1.Deployment
	vas         []v1alpha1.VariantAutoscaling
	hpas        []autoscalingv2.HorizontalPodAutoscaler
	kinds       []string
}

func helmTemplate(t *testing.T, helm, chart string, values map[string]any) rendered {
	t.Helper()
	out := helmtest.Template(t, helm, chart, "llm-d", values)
	r := rendered{configMaps: map[string]map[string]string{}}
	for _, doc := range strings.Split(out, "\n---") {
		var meta struct {
			Kind string `json:"kind"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &meta))
		r.kinds = append(r.kinds, meta.Kind)
		switch meta.Kind {
		case "ConfigMap":
			var cm corev1.ConfigMap
			require.NoError(t, yaml.Unmarshal([]byte(doc), &cm))
			r.configMaps[cm.Name] = cm.Data
		case "Deployment":
			var d appsv1.Deployment
			require.NoError(t, yaml.Unmarshal([]byte(doc), &d))
			r.deployments = append(r.deployments, d)
		case "VariantAutoscaling":
			var va v1alpha1.VariantAutoscaling
			require.NoError(t, yaml.UnmarshalStrict([]byte(doc), &va), doc)
			r.vas = append(r.vas, va)
		case "HorizontalPodAutoscaler":
			var h autoscalingv2.HorizontalPodAutoscaler
			require.NoError(t, yaml.UnmarshalStrict([]byte(doc), &h), doc)
			r.hpas = append(r.hpas, h)
		}
	}
	return r
}

// flagValue returns --name=VALUE from a container's arguments.
func flagValue(t *testing.T, args []string, name string) string {
	t.Helper()
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	t.Fatalf("no --%s in %q", name, args)
	return ""
}

func TestKindRendersWhatTheTwinRuns(t *testing.T) {
	helm := helmBinary(t)
	root := repoRoot(t)
	chart := filepath.Join(root, "charts", "saturn")
	simChart := filepath.Join(root, "charts", "saturn-sim")
	env := &e2e.Env{Namespace: "llm-d", Prometheus: cluster.DefaultPrometheusOptions(),
		TLS: &cluster.TLSBundle{CACert: []byte("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----")}}
	var ran, refused int
	for _, file := range scenarioFiles(t, root) {
		rel, _ := filepath.Rel(root, file)
		t.Run(rel, func(t *testing.T) {
			sc, err := scenario.Load(file)
			require.NoError(t, err)
			if err := e2e.Supports(sc); err != nil {
				refused++
				assert.Contains(t, err.Error(), "spec.", "the refusal names the setting: %v", err)
				assert.Contains(t, err.Error(), "run this scenario in the twin")
				return
			}
			ran++
			spec := &sc.Spec
			// What the twin runs: the scenario resolved once. The twin builds its
			// components from it in process; here the Kind driver's rendering of it is
			// read back as the cluster reads it and held equal, field by field.
			bp, err := blueprint.For(sc)
			require.NoError(t, err)

			// The controller: its two ConfigMaps read by the controller's own parsers, and
			// its flags, against the configuration the twin's planner runs with.
			values, err := env.ControllerValues(bp.Controller)
			require.NoError(t, err)
			ctl := helmTemplate(t, helm, chart, values)
			require.Len(t, ctl.deployments, 1, "the controller's Deployment: %v", ctl.kinds)
			args := ctl.deployments[0].Spec.Template.Spec.Containers[0].Args
			sat, err := config.ParseSaturation(ctl.configMaps[config.SaturationConfigMapName])
			require.NoError(t, err)
			assert.Empty(t, sat.Notices, "every key rendered is one the controller acts on")
			stzFlag, err := strconv.ParseBool(flagValue(t, args, "scale-to-zero"))
			require.NoError(t, err)
			assert.Equal(t, bp.Controller.ScaleToZero, stzFlag, "--scale-to-zero")
			stz, err := config.ParseScaleToZero(ctl.configMaps[config.ScaleToZeroConfigMapName], stzFlag)
			require.NoError(t, err)
			kind := config.Config{Saturation: sat, ScaleToZero: stz}.For(env.Namespace, spec.Model.Name)
			want := bp.Controller.Config.For(env.Namespace, spec.Model.Name)
			kind.Source, want.Source = "", ""
			assert.Equal(t, want, kind, "the controller's configuration")
			assert.Equal(t, spec.Autoscaler.Analyzer, want.Analyzer, "the scenario's analyzer is the one that runs")
			interval, err := time.ParseDuration(flagValue(t, args, "interval"))
			require.NoError(t, err)
			assert.Equal(t, bp.Controller.Interval, interval, "the reconcile interval")
			assert.Equal(t, spec.Autoscaler.Interval, interval, "the scenario's interval")
			assert.Equal(t, bp.Controller.ControllerFlagActuation(), flagValue(t, args, "actuation"))

			// The router: its command line, parsed as `saturn router` parses it.
			var routerArgs []string
			for _, o := range e2e.RouterObjects(sc, bp.Router, env.Namespace, "saturn:dev") {
				if d, ok := o.(*appsv1.Deployment); ok {
					routerArgs = d.Spec.Template.Spec.Containers[0].Args
				}
			}
			require.NotEmpty(t, routerArgs, "the router's Deployment")
			ro := router.DefaultOptions()
			fs := pflag.NewFlagSet("router", pflag.ContinueOnError)
			ro.AddFlags(fs)
			require.NoError(t, fs.Parse(routerArgs[1:]), "router flags %q", routerArgs)
			assert.Equal(t, bp.Router.Policy, ro.Policy, "the router's policy")
			assert.Equal(t, bp.Router.Weights, route.Weights{Queue: ro.QueueWeight, KVCache: ro.KVCacheWeight, PrefixCache: ro.PrefixWeight}, "the router's weights")

			require.Len(t, bp.Variants, len(spec.Variants))
			for i, v := range bp.Variants {
				sv := spec.Variants[i]
				// The engine: charts/saturn-sim's command line, parsed as saturn-sim parses it.
				sim := helmTemplate(t, helm, simChart, e2e.SimulatorValues(sc, bp, v, e2e.SimulatorImage, "dev", v.Initial))
				require.Len(t, sim.deployments, 1, "variant %s: %v", v.Name, sim.kinds)
				d := sim.deployments[0]
				assert.Equal(t, e2e.DeploymentName(sc, v.Name), d.Name, "variant %s: the Deployment its VA scales", v.Name)
				gotEng, err := simapp.EngineConfigFor(d.Spec.Template.Spec.Containers[0].Args)
				require.NoError(t, err, "variant %s", v.Name)
				gotEng.TokenEvents = v.Engine.TokenEvents // a server's streaming hook, not a setting
				assert.Equal(t, v.Engine, gotEng, "variant %s: the engine", v.Name)
				assert.Equal(t, int32(v.Initial), *d.Spec.Replicas, "variant %s: initial replicas", v.Name)
				if sv.InitialReplicas != nil {
					assert.Equal(t, *sv.InitialReplicas, v.Initial, "variant %s: the scenario's initial replicas", v.Name)
				}

				// The variant: its VariantAutoscaling and HPA as the chart renders them.
				vr := helmTemplate(t, helm, chart, env.VariantValues(sc, v))
				require.Len(t, vr.vas, 1, "variant %s: %v", v.Name, vr.kinds)
				va := vr.vas[0]
				assert.Equal(t, spec.Model.Name, va.Spec.ModelID)
				assert.Equal(t, d.Name, va.Spec.ScaleTargetRef.Name, "variant %s: the VA scales the simulator's Deployment", v.Name)
				assert.Equal(t, v.Accelerator, va.Labels["inference.optimization/acceleratorName"])
				cost, err := strconv.ParseFloat(va.Spec.VariantCost, 64)
				require.NoError(t, err)
				assert.Equal(t, v.Cost, cost, "variant %s: cost", v.Name)
				require.NotNil(t, va.Spec.MinReplicas)
				require.NotNil(t, va.Spec.MaxReplicas)
				assert.Equal(t, int32(v.Min), *va.Spec.MinReplicas, "variant %s: minReplicas", v.Name)
				assert.Equal(t, int32(v.Max), *va.Spec.MaxReplicas, "variant %s: maxReplicas", v.Name)
				require.NotNil(t, sv.MinReplicas, "the scenario's defaults fill minReplicas")
				assert.Equal(t, *sv.MinReplicas, v.Min, "variant %s: the scenario's minReplicas", v.Name)
				if v.HPA == nil {
					assert.Empty(t, vr.hpas, "variant %s: no HPA outside hpa mode", v.Name)
					continue
				}
				require.Len(t, vr.hpas, 1, "variant %s: %v", v.Name, vr.kinds)
				h := vr.hpas[0].Spec
				require.NotNil(t, h.MinReplicas)
				assert.Equal(t, v.HPA.MinReplicas, *h.MinReplicas, "variant %s: HPA minReplicas", v.Name)
				assert.Equal(t, v.HPA.MaxReplicas, h.MaxReplicas, "variant %s: HPA maxReplicas", v.Name)
				require.NotNil(t, h.Behavior)
				assertRules(t, v.HPA.ScaleUp, h.Behavior.ScaleUp, v.Name+" scaleUp")
				assertRules(t, v.HPA.ScaleDown, h.Behavior.ScaleDown, v.Name+" scaleDown")
			}
		})
	}
	t.Logf("%d scenarios rendered by both drivers, %d refused by the Kind driver", ran, refused)
	assert.Positive(t, ran)
}

// assertRules compares the HPA rules the twin's HPA model runs with the rendered
// autoscaling/v2 rules.
func assertRules(t *testing.T, want *hpa.Rules, got *autoscalingv2.HPAScalingRules, what string) {
	t.Helper()
	require.NotNil(t, want, "%s: the scenario's defaults fill the rules", what)
	require.NotNil(t, got, "%s: rendered", what)
	require.NotNil(t, want.StabilizationWindow, "%s: the scenario's defaults fill the window", what)
	require.NotNil(t, got.StabilizationWindowSeconds, "%s: rendered window", what)
	assert.Equal(t, *want.StabilizationWindow, time.Duration(*got.StabilizationWindowSeconds)*time.Second, "%s: stabilization window", what)
	if want.Select != "" {
		require.NotNil(t, got.SelectPolicy, what)
		assert.Equal(t, string(want.Select), string(*got.SelectPolicy), "%s: select policy", what)
	}
	require.Len(t, got.Policies, len(want.Policies), what)
	for i, p := range want.Policies {
		assert.Equal(t, string(p.Type), string(got.Policies[i].Type), "%s: policy %d type", what, i)
		assert.Equal(t, p.Value, got.Policies[i].Value, "%s: policy %d value", what, i)
		assert.Equal(t, p.Period, time.Duration(got.Policies[i].PeriodSeconds)*time.Second, "%s: policy %d period", what, i)
	}
}
