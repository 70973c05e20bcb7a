// Package saturn_test renders the saturn chart with the helm binary and
// checks the objects that matter; it has no non-test code.
package saturn_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/saturn-autoscaler/saturn/controller/config"
)

func chartDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

func helmBinary(t *testing.T) string {
	t.Helper()
	p := filepath.Join(chartDir(), "..", "..", "bin", "helm")
	if env := os.Getenv("SATURN_HELM"); env != "" {
		p = env
	}
	if _, err := os.Stat(p); err != nil {
		msg := "helm not found at " + p + ": run `make test` (it installs bin/helm) or set SATURN_HELM"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

func render(t *testing.T, args ...string) []*unstructured.Unstructured {
	t.Helper()
	helm := helmBinary(t)
	cmd := exec.Command(helm, append([]string{"template", "rel", chartDir(), "--namespace", "saturn-system", "--include-crds"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "helm template: %s", stderr.String())
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLReader(bufioReader(out))
	for {
		doc, err := dec.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		js, err := yaml.YAMLToJSON(doc)
		require.NoError(t, err)
		if string(bytes.TrimSpace(js)) == "null" {
			continue
		}
		u := &unstructured.Unstructured{}
		require.NoError(t, u.UnmarshalJSON(js), "%s", doc)
		objs = append(objs, u)
	}
	return objs
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && (name == "" || o.GetName() == name) {
			return o
		}
	}
	return nil
}

func TestHelmLint(t *testing.T) {
	helm := helmBinary(t)
	out, err := exec.Command(helm, "lint", chartDir(), "--strict").CombinedOutput()
	require.NoError(t, err, "%s", out)
}

func TestDefaultRender(t *testing.T) {
	objs := render(t)
	crd := find(objs, "CustomResourceDefinition", "variantautoscalings.llmd.ai")
	require.NotNil(t, crd, "the CRD ships with the chart")

	d := find(objs, "Deployment", "")
	require.NotNil(t, d)
	replicas, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
	assert.Equal(t, int64(2), replicas)
	pod, _, _ := unstructured.NestedMap(d.Object, "spec", "template", "spec")
	psc := pod["securityContext"].(map[string]any)
	assert.Equal(t, true, psc["runAsNonRoot"])
	assert.Equal(t, "RuntimeDefault", psc["seccompProfile"].(map[string]any)["type"])
	c := pod["containers"].([]any)[0].(map[string]any)
	sc := c["securityContext"].(map[string]any)
	assert.Equal(t, true, sc["readOnlyRootFilesystem"])
	assert.Equal(t, false, sc["allowPrivilegeEscalation"])
	assert.Equal(t, []any{"ALL"}, sc["capabilities"].(map[string]any)["drop"])
	args := strings.Join(toStrings(c["args"].([]any)), " ")
	assert.Contains(t, args, "--leader-elect=true")
	assert.Contains(t, args, "--actuation=metrics")
	assert.Contains(t, args, "--prometheus-url=https://")
	assert.NotContains(t, args, "--prometheus-insecure-skip-verify")

	cm := find(objs, "ConfigMap", "wva-saturation-scaling-config")
	require.NotNil(t, cm)
	def, _, _ := unstructured.NestedString(cm.Object, "data", "default")
	assert.Contains(t, def, "kvCacheThreshold: 0.8")
	assert.Contains(t, def, "queueLengthThreshold: 5")
	require.NotNil(t, find(objs, "ConfigMap", "wva-model-scale-to-zero-config"))

	hpa := find(objs, "HorizontalPodAutoscaler", "")
	require.NotNil(t, hpa)
	metrics, _, _ := unstructured.NestedSlice(hpa.Object, "spec", "metrics")
	name, _, _ := unstructured.NestedString(metrics[0].(map[string]any), "external", "metric", "name")
	assert.Equal(t, "wva_desired_replicas", name)

	// Least privilege: the scale subresource is read-only in metrics mode,
	// and nothing may delete.
	role := find(objs, "ClusterRole", "rel-saturn")
	require.NotNil(t, role)
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	for _, r := range rules {
		rm := r.(map[string]any)
		verbs := toStrings(rm["verbs"].([]any))
		assert.NotContains(t, verbs, "delete")
		assert.NotContains(t, verbs, "*")
		if toStrings(rm["resources"].([]any))[0] == "deployments/scale" {
			assert.Equal(t, []string{"get"}, verbs)
		}
		if toStrings(rm["resources"].([]any))[0] == "configmaps" {
			// Cluster-wide, only the two ConfigMaps' namespace-local copies, by name.
			assert.Equal(t, []string{"get"}, verbs)
			names, _, _ := unstructured.NestedStringSlice(rm, "resourceNames")
			assert.ElementsMatch(t, []string{"wva-saturation-scaling-config", "wva-model-scale-to-zero-config"}, names)
		}
	}
	assert.Nil(t, find(objs, "APIService", ""), "the metrics API is opt-in")
	assert.Nil(t, find(objs, "ServiceMonitor", ""))
}

func TestOptionalObjects(t *testing.T) {
	objs := render(t,
		"--set", "wva.metricsAPI.enabled=true",
		"--set", "wva.serviceMonitor.enabled=true",
		"--set", "wva.prometheus.caCert=-----BEGIN CERTIFICATE-----",
		"--set", "wva.prometheus.monitoringNamespace=openshift-monitoring",
		"--set", "hpa.enabled=false", "--set", "keda.enabled=true",
	)
	api := find(objs, "APIService", "v1beta1.external.metrics.k8s.io")
	require.NotNil(t, api)
	reader := find(objs, "RoleBinding", "rel-saturn-auth-reader")
	require.NotNil(t, reader)
	assert.Equal(t, "kube-system", reader.GetNamespace())
	ref, _, _ := unstructured.NestedString(reader.Object, "roleRef", "name")
	assert.Equal(t, "extension-apiserver-authentication-reader", ref)
	delegator := find(objs, "ClusterRoleBinding", "rel-saturn-auth-delegator")
	require.NotNil(t, delegator)
	ref, _, _ = unstructured.NestedString(delegator.Object, "roleRef", "name")
	assert.Equal(t, "system:auth-delegator", ref)

	ca := find(objs, "ConfigMap", "prometheus-ca")
	require.NotNil(t, ca)
	assert.Equal(t, "openshift-monitoring", ca.GetNamespace())
	require.NotNil(t, find(objs, "ServiceMonitor", ""))
	require.NotNil(t, find(objs, "ScaledObject", ""))
	assert.Nil(t, find(objs, "HorizontalPodAutoscaler", ""))

	d := find(objs, "Deployment", "")
	c, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	args := strings.Join(toStrings(c[0].(map[string]any)["args"].([]any)), " ")
	assert.Contains(t, args, "--metrics-api")
	assert.Contains(t, args, "--prometheus-ca-file=/etc/ssl/certs/prometheus-ca.crt")
	assert.Contains(t, args, "--actuation=metrics")

	// Direct actuation grants write access to the scale subresource.
	objs = render(t, "--set", "wva.actuation=direct", "--set", "hpa.enabled=false")
	role := find(objs, "ClusterRole", "rel-saturn")
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	found := false
	for _, r := range rules {
		rm := r.(map[string]any)
		if toStrings(rm["resources"].([]any))[0] == "deployments/scale" {
			found = true
			assert.Contains(t, toStrings(rm["verbs"].([]any)), "patch")
		}
	}
	assert.True(t, found)
}

func TestMetricsAPIWithCertManager(t *testing.T) {
	objs := render(t, "--set", "wva.metricsAPI.enabled=true",
		"--set", "wva.metricsAPI.certManager.enabled=true", "--set", "wva.metricsAPI.certManager.issuerRef.name=ca-issuer")
	cert := find(objs, "Certificate", "rel-saturn-metrics-api")
	require.NotNil(t, cert)
	dns, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
	assert.Equal(t, []string{"rel-saturn-metrics-api.saturn-system.svc"}, dns)
	api := find(objs, "APIService", "")
	require.NotNil(t, api)
	assert.Equal(t, "saturn-system/rel-saturn-metrics-api", api.GetAnnotations()["cert-manager.io/inject-ca-from"])
	_, found, _ := unstructured.NestedBool(api.Object, "spec", "insecureSkipTLSVerify")
	assert.False(t, found, "no insecureSkipTLSVerify with a cert-manager CA")
	d := find(objs, "Deployment", "")
	c, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	args := strings.Join(toStrings(c[0].(map[string]any)["args"].([]any)), " ")
	assert.Contains(t, args, "--metrics-api-cert-file=/etc/saturn/metrics-api-tls/tls.crt")
	vols, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "volumes")
	names := []string{}
	for _, v := range vols {
		names = append(names, v.(map[string]any)["name"].(string))
	}
	assert.Contains(t, names, "metrics-api-tls")

	helm := helmBinary(t)
	out, err := exec.Command(helm, "template", "rel", chartDir(), "--set", "wva.metricsAPI.enabled=true",
		"--set", "wva.metricsAPI.certManager.enabled=true").CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "issuerRef.name is required")
}

func TestConflictingActuatorsAreRefused(t *testing.T) {
	helm := helmBinary(t)
	tests := []struct {
		set  []string
		want string
	}{
		{[]string{"--set", "keda.enabled=true"}, "exclusive"},
		{[]string{"--set", "wva.actuation=direct"}, "hpa.enabled=false"},
		{[]string{"--set", "wva.actuation=direct", "--set", "hpa.enabled=false", "--set", "keda.enabled=true"}, "keda.enabled=false"},
	}
	for _, tt := range tests {
		out, err := exec.Command(helm, append([]string{"template", "rel", chartDir()}, tt.set...)...).CombinedOutput()
		require.Error(t, err, "%v", tt.set)
		assert.Contains(t, string(out), tt.want)
	}
}

func TestGuideValuesKeys(t *testing.T) {
	// The llm-d guide's values keys are accepted and used.
	objs := render(t,
		"--set", "wva.prometheus.baseURL=https://thanos-querier.openshift-monitoring.svc:9091",
		"--set", "wva.prometheus.tls.insecureSkipVerify=true",
		"--set", "wva.scaleToZero=true",
		"--set", "llmd.namespace=llm-d-sim", "--set", "llmd.modelID=meta-llama/Llama-3.1-8B-Instruct",
		"--set", "va.accelerator=L40S", "--set", "va.variantCost=5.0",
		"--set", "hpa.maxReplicas=8",
	)
	va := find(objs, "VariantAutoscaling", "")
	require.NotNil(t, va)
	assert.Equal(t, "llm-d-sim", va.GetNamespace())
	assert.Equal(t, "L40S", va.GetLabels()["inference.optimization/acceleratorName"])
	model, _, _ := unstructured.NestedString(va.Object, "spec", "modelID")
	assert.Equal(t, "meta-llama/Llama-3.1-8B-Instruct", model)
	cost, _, _ := unstructured.NestedString(va.Object, "spec", "variantCost")
	assert.Equal(t, "5.0", cost)
	hpa := find(objs, "HorizontalPodAutoscaler", "")
	maxR, _, _ := unstructured.NestedInt64(hpa.Object, "spec", "maxReplicas")
	assert.Equal(t, int64(8), maxR)
	d := find(objs, "Deployment", "")
	c, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	args := strings.Join(toStrings(c[0].(map[string]any)["args"].([]any)), " ")
	assert.Contains(t, args, "--prometheus-url=https://thanos-querier.openshift-monitoring.svc:9091")
	assert.Contains(t, args, "--prometheus-insecure-skip-verify")
	assert.Contains(t, args, "--scale-to-zero=true")
	s2z := find(objs, "ConfigMap", "wva-model-scale-to-zero-config")
	def, _, _ := unstructured.NestedString(s2z.Object, "data", "default")
	assert.Contains(t, def, "enable_scale_to_zero: true")
}

func TestChartCRDMatchesGenerated(t *testing.T) {
	chart, err := os.ReadFile(filepath.Join(chartDir(), "crds", "llmd.ai_variantautoscalings.yaml"))
	require.NoError(t, err)
	gen, err := os.ReadFile(filepath.Join(chartDir(), "..", "..", "config", "crd", "llmd.ai_variantautoscalings.yaml"))
	require.NoError(t, err)
	assert.Equal(t, string(gen), string(chart), "charts/saturn/crds is a copy of config/crd: cp config/crd/llmd.ai_variantautoscalings.yaml charts/saturn/crds/")
}

func toStrings(in []any) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i], _ = v.(string)
	}
	return out
}

// wva.controllerInstance (WVA's value) reaches the controller, the VA's label, the HPA's
// selector and the KEDA trigger's query: one instance's objects select its own series.
func TestControllerInstance(t *testing.T) {
	objs := render(t, "--set", "wva.controllerInstance=team-a")
	va := find(objs, "VariantAutoscaling", "")
	require.NotNil(t, va)
	assert.Equal(t, "team-a", va.GetLabels()["wva.llmd.ai/controller-instance"])
	hpa := find(objs, "HorizontalPodAutoscaler", "")
	require.NotNil(t, hpa)
	metrics, _, _ := unstructured.NestedSlice(hpa.Object, "spec", "metrics")
	sel, _, _ := unstructured.NestedStringMap(metrics[0].(map[string]any), "external", "metric", "selector", "matchLabels")
	assert.Equal(t, "team-a", sel["controller_instance"])
	assert.NotEmpty(t, sel["variant_name"])

	objs = render(t, "--set", "wva.controllerInstance=team-a", "--set", "hpa.enabled=false", "--set", "keda.enabled=true")
	so := find(objs, "ScaledObject", "")
	require.NotNil(t, so)
	triggers, _, _ := unstructured.NestedSlice(so.Object, "spec", "triggers")
	q, _, _ := unstructured.NestedString(triggers[0].(map[string]any), "metadata", "query")
	assert.Contains(t, q, `controller_instance="team-a"`)

	objs = render(t)
	va = find(objs, "VariantAutoscaling", "")
	assert.NotContains(t, va.GetLabels(), "wva.llmd.ai/controller-instance", "no instance: no label")
}

// values.schema.json refuses a misspelt key, naming it, where it would have vanished; it
// accepts every key of WVA v0.5.1's own values.yaml (testdata, byte for byte).
func TestValuesSchema(t *testing.T) {
	helm := helmBinary(t)
	for _, bad := range []struct{ set, want string }{
		{"wva.kvCacheTreshold=0.7", "additional properties 'kvCacheTreshold' not allowed"},
		{"wva.prometheus.baseUrl=https://p:9090", "additional properties 'baseUrl' not allowed"},
		{"hpa.maxReplica=3", "additional properties 'maxReplica' not allowed"},
		{"wva.actuation=hpa", "wva/actuation"},
	} {
		out, err := exec.Command(helm, "template", "rel", chartDir(), "--set", bad.set).CombinedOutput()
		require.Error(t, err, bad.set)
		assert.Contains(t, string(out), bad.want, bad.set)
	}

	objs := render(t, "--values", filepath.Join(chartDir(), "testdata", "wva-v0.5.1-values.yaml"))
	va := find(objs, "VariantAutoscaling", "")
	require.NotNil(t, va)
	model, _, _ := unstructured.NestedString(va.Object, "spec", "modelID")
	assert.Equal(t, "Qwen/Qwen3-0.6B", model, "WVA's values render saturn's objects")

	// The guide's llmd.deploymentName names the scale target.
	objs = render(t, "--set", "llmd.deploymentName=my-decode")
	target, _, _ := unstructured.NestedString(find(objs, "VariantAutoscaling", "").Object, "spec", "scaleTargetRef", "name")
	assert.Equal(t, "my-decode", target)
	target, _, _ = unstructured.NestedString(find(objs, "HorizontalPodAutoscaler", "").Object, "spec", "scaleTargetRef", "name")
	assert.Equal(t, "my-decode", target)
}

// The guide sets wva.prometheus.tls.caCertPath to ""; with a CA given, the CA is still
// mounted and passed at the default path (as WVA's chart replaces "").
func TestEmptyCACertPathKeepsTheDefault(t *testing.T) {
	objs := render(t, "--set", "wva.prometheus.caCert=-----BEGIN CERTIFICATE-----", "--set", "wva.prometheus.tls.caCertPath=")
	d := find(objs, "Deployment", "")
	require.NotNil(t, d)
	c, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	args := strings.Join(toStrings(c[0].(map[string]any)["args"].([]any)), " ")
	assert.Contains(t, args, "--prometheus-ca-file=/etc/ssl/certs/prometheus-ca.crt")
	mounts, _, _ := unstructured.NestedSlice(c[0].(map[string]any), "volumeMounts")
	found := false
	for _, m := range mounts {
		if m.(map[string]any)["mountPath"] == "/etc/ssl/certs/prometheus-ca.crt" {
			found = true
		}
	}
	assert.True(t, found, "%v", mounts)
}

// The llm-d guide checks the install with
// `kubectl get pods -l app.kubernetes.io/name=workload-variant-autoscaler`: saturn's pods
// answer it (and carry WVA's control-plane label); nameOverride changes it as in WVA.
func TestPodsAnswerTheGuidesCheck(t *testing.T) {
	d := find(render(t), "Deployment", "")
	require.NotNil(t, d)
	labels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
	assert.Equal(t, "workload-variant-autoscaler", labels["app.kubernetes.io/name"])
	assert.Equal(t, "controller-manager", labels["control-plane"])
	sel, _, _ := unstructured.NestedStringMap(d.Object, "spec", "selector", "matchLabels")
	assert.Equal(t, "workload-variant-autoscaler", sel["app.kubernetes.io/name"])

	d = find(render(t, "--set", "nameOverride=wva"), "Deployment", "")
	labels, _, _ = unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
	assert.Equal(t, "wva", labels["app.kubernetes.io/name"])
}

// wva.prometheus.serviceAccountName (the guide's OpenShift values, for the Thanos querier):
// the controller sends its service account token and, as WVA's chart, gets
// cluster-monitoring-view; without it neither happens.
func TestPrometheusServiceAccountName(t *testing.T) {
	args := func(objs []*unstructured.Unstructured) string {
		d := find(objs, "Deployment", "")
		require.NotNil(t, d)
		c, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		return strings.Join(toStrings(c[0].(map[string]any)["args"].([]any)), " ")
	}
	objs := render(t, "--set", "wva.prometheus.serviceAccountName=prometheus-k8s")
	assert.Contains(t, args(objs), "--prometheus-token-file=/var/run/secrets/kubernetes.io/serviceaccount/token")
	crb := find(objs, "ClusterRoleBinding", "rel-saturn-monitoring-view")
	require.NotNil(t, crb)
	role, _, _ := unstructured.NestedString(crb.Object, "roleRef", "name")
	assert.Equal(t, "cluster-monitoring-view", role)

	objs = render(t)
	assert.NotContains(t, args(objs), "--prometheus-token-file")
	assert.Nil(t, find(objs, "ClusterRoleBinding", "rel-saturn-monitoring-view"))
}

// containerArgs returns the controller container's args, joined by spaces.
func containerArgs(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	d := find(objs, "Deployment", "")
	require.NotNil(t, d)
	c, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	return strings.Join(toStrings(c[0].(map[string]any)["args"].([]any)), " ")
}

// wva.metrics as WVA's chart: secure (the default, as WVA's) serves /metrics over HTTPS
// to tokens allowed GET /metrics, with the RBAC the controller needs to check them and a
// reader the ServiceMonitor scrapes as; secure=false plain HTTP and none of it;
// enabled=false no /metrics at all.
func TestMetricsSecure(t *testing.T) {
	objs := render(t, "--set", "wva.serviceMonitor.enabled=true")
	assert.Contains(t, containerArgs(t, objs), "--metrics-bind-address=:8080 --metrics-secure")
	require.NotNil(t, find(objs, "Service", "rel-saturn-metrics"))

	auth := find(objs, "ClusterRole", "rel-saturn-metrics-auth")
	require.NotNil(t, auth)
	rules, _, _ := unstructured.NestedSlice(auth.Object, "rules")
	var granted []string
	for _, r := range rules {
		rm := r.(map[string]any)
		for _, res := range toStrings(rm["resources"].([]any)) {
			granted = append(granted, res+":"+strings.Join(toStrings(rm["verbs"].([]any)), ","))
		}
	}
	assert.ElementsMatch(t, []string{"tokenreviews:create", "subjectaccessreviews:create"}, granted)
	binding := find(objs, "ClusterRoleBinding", "rel-saturn-metrics-auth")
	require.NotNil(t, binding)
	subject, _, _ := unstructured.NestedSlice(binding.Object, "subjects")
	assert.Equal(t, "rel-saturn", subject[0].(map[string]any)["name"], "the controller's own service account")

	reader := find(objs, "ClusterRole", "rel-saturn-metrics-reader")
	require.NotNil(t, reader)
	rules, _, _ = unstructured.NestedSlice(reader.Object, "rules")
	require.Len(t, rules, 1)
	assert.Equal(t, []string{"/metrics"}, toStrings(rules[0].(map[string]any)["nonResourceURLs"].([]any)))
	assert.Equal(t, []string{"get"}, toStrings(rules[0].(map[string]any)["verbs"].([]any)))
	readerBinding := find(objs, "ClusterRoleBinding", "rel-saturn-metrics-reader")
	require.NotNil(t, readerBinding)
	subject, _, _ = unstructured.NestedSlice(readerBinding.Object, "subjects")
	readerSA := subject[0].(map[string]any)["name"]
	require.NotNil(t, find(objs, "ServiceAccount", readerSA.(string)))
	token := find(objs, "Secret", "rel-saturn-metrics-reader-token")
	require.NotNil(t, token)
	assert.Equal(t, readerSA, token.GetAnnotations()["kubernetes.io/service-account.name"], "the token is the reader's")

	sm := find(objs, "ServiceMonitor", "")
	require.NotNil(t, sm)
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	ep := eps[0].(map[string]any)
	assert.Equal(t, "https", ep["scheme"])
	secret, _, _ := unstructured.NestedString(ep, "bearerTokenSecret", "name")
	assert.Equal(t, token.GetName(), secret)

	// Plain HTTP: no --metrics-secure, no authn RBAC, a plain ServiceMonitor.
	objs = render(t, "--set", "wva.serviceMonitor.enabled=true", "--set", "wva.metrics.secure=false")
	assert.NotContains(t, containerArgs(t, objs), "--metrics-secure")
	assert.Nil(t, find(objs, "ClusterRole", "rel-saturn-metrics-auth"))
	assert.Nil(t, find(objs, "Secret", "rel-saturn-metrics-reader-token"))
	eps, _, _ = unstructured.NestedSlice(find(objs, "ServiceMonitor", "").Object, "spec", "endpoints")
	assert.NotContains(t, eps[0].(map[string]any), "scheme")

	// Off: nothing listens, nothing scrapes.
	objs = render(t, "--set", "wva.serviceMonitor.enabled=true", "--set", "wva.metrics.enabled=false")
	assert.Contains(t, containerArgs(t, objs), "--metrics-bind-address=0")
	assert.Nil(t, find(objs, "ServiceMonitor", ""))
	assert.Nil(t, find(objs, "Service", "rel-saturn-metrics"))
	assert.Nil(t, find(objs, "ClusterRole", "rel-saturn-metrics-auth"))
}

// WVA's values.yaml documents a per-model override with modelID (its chart writes it as the
// ConfigMap's model_id). The same values reach saturn's controller as an override it
// applies; model_id and a different modelID together are refused by name.
func TestCapacityScalingOverrideWithWVAsModelID(t *testing.T) {
	// WVA's values.yaml example, uncommented.
	values := filepath.Join(t.TempDir(), "values.yaml")
	require.NoError(t, os.WriteFile(values, []byte(`wva:
  capacityScaling:
    overrides:
      llm-d:
        modelID: "Qwen/Qwen3-0.6B"
        namespace: "llm-d-autoscaler"
        kvCacheThreshold: 0.70
        kvSpareTrigger: 0.35
`), 0o600))
	objs := render(t, "--values", values)
	cm := find(objs, "ConfigMap", config.SaturationConfigMapName)
	require.NotNil(t, cm)
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	assert.NotContains(t, data["llm-d"], "modelID", "the ConfigMap key is model_id, as WVA's chart writes it")
	sat, err := config.ParseSaturation(data)
	require.NoError(t, err)
	assert.Empty(t, sat.Notices)
	m := config.Config{Saturation: sat, ScaleToZero: config.DefaultScaleToZeroSettings(false)}.For("llm-d-autoscaler", "Qwen/Qwen3-0.6B")
	assert.InDelta(t, 0.70, m.KvCacheThreshold, 1e-12, "the override applies to its model")
	assert.InDelta(t, 0.35, m.KvSpareTrigger, 1e-12)
	other := config.Config{Saturation: sat, ScaleToZero: config.DefaultScaleToZeroSettings(false)}.For("llm-d-autoscaler", "other/model")
	assert.InDelta(t, config.DefaultKvCacheThreshold, other.KvCacheThreshold, 1e-12, "and to no other")

	helm := helmBinary(t)
	out, err := exec.Command(helm, "template", "rel", chartDir(),
		"--set", "wva.capacityScaling.overrides.x.modelID=a", "--set", "wva.capacityScaling.overrides.x.model_id=b",
		"--set", "wva.capacityScaling.overrides.x.namespace=n").CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), `wva.capacityScaling.overrides.x: modelID "a" and model_id "b" differ`)
}
