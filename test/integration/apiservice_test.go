package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// One server answers external.metrics.k8s.io per cluster. With KEDA's (or Prometheus
// Adapter's) APIService in place, installing the chart with its built-in metrics API is
// refused, naming the server that owns it and what to do; without one it installs.
func TestChartRefusesToTakeOverTheExternalMetricsAPI(t *testing.T) {
	requireEnv(t)
	helm := helmBinary(t)
	kubeconfig := writeKubeconfig(t, "saturn-explain")
	createNamespace(t, "apiservice-test")
	install := func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, helm, "install", "saturn", filepath.Join(repoRoot(), "charts", "saturn"),
			"--kubeconfig", kubeconfig, "--namespace", "apiservice-test", "--dry-run=server",
			"--set", "wva.metricsAPI.enabled=true", "--set", "va.enabled=false", "--set", "hpa.enabled=false")
		cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := install()
	require.NoError(t, err, "no other external metrics server: the chart installs: %s", out)
	assert.Contains(t, out, "v1beta1.external.metrics.k8s.io")

	keda := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": "v1beta1.external.metrics.k8s.io"},
		"spec": map[string]any{
			"group": "external.metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": int64(100), "versionPriority": int64(100),
			"insecureSkipTLSVerify": true,
			"service":               map[string]any{"name": "keda-operator-metrics-apiserver", "namespace": "keda"},
		},
	}}
	require.NoError(t, env.client.Create(context.Background(), keda))
	t.Cleanup(func() { _ = env.client.Delete(context.Background(), keda) })
	out, err = install()
	require.Error(t, err, "KEDA's APIService is not taken over: %s", out)
	assert.Contains(t, out, "already exists and is served by keda/keda-operator-metrics-apiserver")
	assert.Contains(t, out, "Keep wva.metricsAPI.enabled=false")
}
