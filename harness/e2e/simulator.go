package e2e

import (
	"regexp"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/cluster"
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

// DeploymentName is the Deployment serving the named variant of a scenario.
func DeploymentName(sc *scenario.Scenario, variant string) string {
	return ModelSlug(sc.Spec.Model.Name) + "-" + variant
}

// ServiceName is the Service in front of every variant of the scenario's model: the
// router the load Job targets (kube-proxy spreads connections over ready pods).
func ServiceName(sc *scenario.Scenario) string { return ModelSlug(sc.Spec.Model.Name) }

// simArgs are saturn-sim's flags for variant v: its blueprint's engine, every setting
// given explicitly (resolved once, in the blueprint), so saturn-sim's own defaults
// cannot differ from the twin's.
func simArgs(bp *blueprint.Blueprint, v blueprint.Variant) []string {
	eng := v.Engine
	args := []string{
		"--model", bp.Model,
		"--accelerator", v.Accelerator,
		"--port", strconv.Itoa(SimulatorPort),
		"--seed", strconv.FormatUint(bp.Seed, 10),
		"--max-num-seqs", strconv.Itoa(eng.MaxNumSeqs),
		"--max-num-batched-tokens", strconv.Itoa(eng.MaxNumBatchedTokens),
		"--tensor-parallel-size", strconv.Itoa(eng.TensorParallelSize),
		"--block-size", strconv.Itoa(eng.BlockSize),
		"--max-model-len", strconv.Itoa(eng.MaxModelLen),
		"--gpu-memory-utilization", strconv.FormatFloat(eng.GPUMemoryUtilization, 'g', -1, 64),
	}
	if eng.EnablePrefixCaching {
		args = append(args, "--enable-prefix-caching")
	} else {
		args = append(args, "--no-enable-prefix-caching")
	}
	if v.StartupDelay > 0 {
		args = append(args, "--startup-delay", v.StartupDelay.String())
	}
	return args
}

// SimulatorObjects returns the Deployment of variant v with initial replicas, running
// image. Pods carry the labels and annotations the e2e Prometheus discovers and the
// Service selects.
func SimulatorObjects(sc *scenario.Scenario, bp *blueprint.Blueprint, v blueprint.Variant, ns, image string, replicas int32) *appsv1.Deployment {
	name := DeploymentName(sc, v.Name)
	selector := map[string]string{"app.kubernetes.io/name": "saturn-sim", "app.kubernetes.io/instance": name}
	podLabels := map[string]string{
		"app.kubernetes.io/name": "saturn-sim", "app.kubernetes.io/instance": name,
		"saturn.dev/model": ServiceName(sc), "saturn.dev/variant": v.Name,
		"inference.optimization/acceleratorName": v.Accelerator,
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: podLabels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: map[string]string{
					"prometheus.io/scrape": "true", "prometheus.io/port": strconv.Itoa(SimulatorPort), "prometheus.io/path": "/metrics",
				}},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					SecurityContext:               cluster.RestrictedPod(),
					Containers: []corev1.Container{{
						Name:            "vllm",
						Image:           image,
						ImagePullPolicy: corev1.PullNever,
						Args:            simArgs(bp, v),
						Env: []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{
							FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"},
						}}},
						Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: SimulatorPort}},
						ReadinessProbe:  cluster.HTTPReadiness("/health", "http"),
						Resources:       cluster.Requests("20m", "32Mi"),
						SecurityContext: cluster.RestrictedContainer(),
					}},
				},
			},
		},
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
