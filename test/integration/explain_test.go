package integration

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/app"
)

// writeKubeconfig writes a kubeconfig for a cluster-admin user of that name on the test
// API server and returns its path.
func writeKubeconfig(t *testing.T, name string) string {
	t.Helper()
	return kubeconfigFor(t, envtest.User{Name: name, Groups: []string{"system:masters"}})
}

// kubeconfigFor writes a kubeconfig authenticating as u on the test API server and
// returns its path.
func kubeconfigFor(t *testing.T, u envtest.User) string {
	t.Helper()
	user, err := env.testEnv.AddUser(u, nil)
	require.NoError(t, err)
	kc, err := user.KubeConfig()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, kc, 0o600))
	return path
}

// TestExplainCommand runs `saturn-controller explain` in process against the
// API server and a real Prometheus over TLS.
func TestExplainCommand(t *testing.T) {
	f := newFixture(t, "explain", 0.93, 9)
	va := createVA(t, f.ns, "qwen-l40s", "qwen-l40s", model, "L40S")
	// The running controller's last decision, as the reconciler writes it.
	va.Status.DesiredOptimizedAlloc = v1alpha1.OptimizedAlloc{
		LastRunTime: metav1.Now(), Accelerator: "L40S", NumReplicas: 3, Analyzer: "capacity",
		Reason: "scale up 2 -> 3 by the fitted ITL line",
	}
	require.NoError(t, env.client.Status().Update(context.Background(), va))
	var out, errOut bytes.Buffer
	err := app.Run(context.Background(), []string{"explain",
		"--kubeconfig", writeKubeconfig(t, "saturn-explain"),
		"--prometheus-url", f.prom.URL, "--prometheus-ca-file", f.prom.CA.CertFile,
		"--namespace", f.ns, "--model", model,
	}, &out, &errOut)
	require.NoError(t, err, errOut.String())
	s := out.String()
	for _, want := range []string{
		"Model " + model + " in namespace explain",
		"qwen-l40s-6b7f9c-aaaaa", "qwen-l40s-6b7f9c-bbbbb", "93.0%", "saturated",
		"kvCacheThreshold 0.80",
		"1 VariantAutoscaling(s) for this model",
		"qwen-l40s (L40S): 2 -> ",
		"scale-up",
		"why: ",
		"The running controller's last decision (VariantAutoscaling status)",
		"qwen-l40s: 3 replicas [capacity] at ",
		"why: scale up 2 -> 3 by the fitted ITL line",
	} {
		assert.Contains(t, s, want)
	}

	// Without the cluster: metrics and thresholds only.
	out.Reset()
	err = app.Run(context.Background(), []string{"explain", "--no-cluster",
		"--prometheus-url", f.prom.URL, "--prometheus-ca-file", f.prom.CA.CertFile,
		"--namespace", f.ns, "--model", model,
	}, &out, &errOut)
	require.NoError(t, err)
	assert.Contains(t, out.String(), "93.0%")
	assert.Contains(t, out.String(), "no cluster access")
}
