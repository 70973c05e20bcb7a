package e2e

import (
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// SimulatorPort is the port saturn-sim serves the OpenAI API and /metrics on.
const SimulatorPort = 8000

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// ModelSlug turns a model name into a DNS label ("meta-llama/Llama-3.1-8B-Instruct" ->
// "llama-3-1-8b-instruct").
func ModelSlug(model string) string {
	if i := strings.LastIndex(model, "/"); i >= 0 {
		model = model[i+1:]
	}
	s := strings.Trim(nonName.ReplaceAllString(strings.ToLower(model), "-"), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if s == "" {
		s = "model"
	}
	return s
}

// simulatorName is the name charts/saturn-sim gives variant's objects (its
// fullnameOverride): the model's slug and the variant's name.
func simulatorName(sc *scenario.Scenario, variant string) string {
	return ModelSlug(sc.Spec.Model.Name) + "-" + variant
}

// DeploymentName is the Deployment charts/saturn-sim creates for the named variant of a
// scenario (llm-d's model service names it <name>-decode too).
func DeploymentName(sc *scenario.Scenario, variant string) string {
	return simulatorName(sc, variant) + "-decode"
}

// SimulatorRelease is the Helm release of charts/saturn-sim serving the named variant.
func SimulatorRelease(variant string) string { return "sim-" + variant }

// ServiceName is the Service in front of every variant of the scenario's model: the
// router the load Job targets (kube-proxy spreads connections over ready pods).
func ServiceName(sc *scenario.Scenario) string { return ModelSlug(sc.Spec.Model.Name) }

// SimulatorValues are charts/saturn-sim values deploying variant v of the blueprint with
// replicas pods of image (repository:tag): every engine setting the blueprint resolved is
// given explicitly, so saturn-sim's own defaults cannot differ from the twin's. The pods
// carry the labels the model's Service selects; the chart's own Service is off (one
// Service fronts every variant of the model).
func SimulatorValues(sc *scenario.Scenario, bp *blueprint.Blueprint, v blueprint.Variant, repository, tag string, replicas int) map[string]any {
	eng := v.Engine
	return map[string]any{
		"fullnameOverride": simulatorName(sc, v.Name),
		"replicas":         replicas,
		"image":            map[string]any{"repository": repository, "tag": tag, "pullPolicy": "Never"},
		"model":            map[string]any{"name": bp.Model, "label": ServiceName(sc)},
		"accelerator":      v.Accelerator,
		"engine": map[string]any{
			"tensorParallelSize":   eng.TensorParallelSize,
			"gpuMemoryUtilization": eng.GPUMemoryUtilization,
			"blockSize":            eng.BlockSize,
			"maxNumSeqs":           eng.MaxNumSeqs,
			"maxNumBatchedTokens":  eng.MaxNumBatchedTokens,
			"maxModelLen":          eng.MaxModelLen,
			"enablePrefixCaching":  eng.EnablePrefixCaching,
			"seed":                 bp.Seed,
		},
		"startupDelay": v.StartupDelay.String(),
		"port":         SimulatorPort,
		"service":      map[string]any{"enabled": false},
		"podLabels":    map[string]any{"saturn.dev/model": ServiceName(sc), "saturn.dev/variant": v.Name},
		// The Kind node has two cores for every pod of a scenario: request little, and
		// leave memory unbounded as before the chart deployed them.
		"resources": map[string]any{"requests": map[string]any{"cpu": "20m", "memory": "32Mi"}, "limits": nil},
	}
}

// ServiceObject is the Service in front of every variant of the scenario's model.
func ServiceObject(sc *scenario.Scenario, ns string) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: ServiceName(sc), Namespace: ns},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app.kubernetes.io/name": "saturn-sim", "saturn.dev/model": ServiceName(sc)},
			Ports:    []corev1.ServicePort{{Name: "http", Port: SimulatorPort, TargetPort: intstr.FromString("http")}},
		},
	}
}
