package integration

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/saturn-autoscaler/saturn/controller/metricsapi"
)

// TestExternalMetricsAPIServer runs the built-in external metrics API with
// authentication and authorization delegated to the real kube-apiserver, and
// queries it as the HPA would (client certificate of a system:masters user).
func TestExternalMetricsAPIServer(t *testing.T) {
	requireEnv(t)
	// The server runs as a user holding only what the chart grants it:
	// system:auth-delegator and extension-apiserver-authentication-reader.
	server, err := env.testEnv.AddUser(envtest.User{Name: "saturn-metrics-api"}, nil)
	require.NoError(t, err)
	ctx0 := context.Background()
	require.NoError(t, env.client.Create(ctx0, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "saturn-metrics-api-auth-delegator"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "system:auth-delegator"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "saturn-metrics-api"}},
	}))
	require.NoError(t, env.client.Create(ctx0, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "saturn-metrics-api-auth-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "extension-apiserver-authentication-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "saturn-metrics-api"}},
	}))
	// The caller plays the HPA controller (here: a cluster admin).
	user, err := env.testEnv.AddUser(envtest.User{Name: "hpa", Groups: []string{"system:masters"}}, nil)
	require.NoError(t, err)
	kc, err := server.KubeConfig()
	require.NoError(t, err)
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, kc, 0o600))

	store := metricsapi.NewStore()
	store.Set(metricsapi.Entry{Variant: "qwen-l40s", Namespace: "llm-d", Accelerator: "L40S", ModelID: model, Desired: 4, Time: time.Now()})
	store.Set(metricsapi.Entry{Variant: "qwen-h100", Namespace: "llm-d", Accelerator: "H100", ModelID: model, Desired: 1, Time: time.Now()})
	port := freePort(t)
	srv, err := metricsapi.NewServer(store, metricsapi.ServerOptions{Port: port, CertDir: filepath.Join(dir, "certs"), Kubeconfig: kubeconfig})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})

	cert, err := tls.X509KeyPair(user.Config().CertData, user.Config().KeyData)
	require.NoError(t, err)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		Certificates: []tls.Certificate{cert},
		// The serving certificate is self-signed, as behind an APIService with insecureSkipTLSVerify.
		InsecureSkipVerify: true, //nolint:gosec // test of a self-signed aggregated API server
	}}}
	base := fmt.Sprintf("https://127.0.0.1:%d/apis/external.metrics.k8s.io/v1beta1/namespaces/llm-d/", port)
	get := func(path string) (int, []byte) {
		resp, err := hc.Get(base + path) //nolint:noctx // loopback test
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	var code int
	var body []byte
	require.Eventually(t, func() bool {
		select {
		case err := <-done:
			t.Fatalf("metrics API server stopped: %v", err)
		default:
		}
		code, body = get("wva_desired_replicas?labelSelector=variant_name%3Dqwen-l40s")
		return code == http.StatusOK
	}, 30*time.Second, 200*time.Millisecond, "last answer %d %s", code, body)

	var list struct {
		Kind  string `json:"kind"`
		Items []struct {
			MetricName   string            `json:"metricName"`
			MetricLabels map[string]string `json:"metricLabels"`
			Value        string            `json:"value"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &list), "%s", body)
	assert.Equal(t, "ExternalMetricValueList", list.Kind)
	require.Len(t, list.Items, 1)
	assert.Equal(t, "4", list.Items[0].Value)
	assert.Equal(t, "L40S", list.Items[0].MetricLabels["accelerator_type"])

	// The selector of WVA v0.5.1's chart HPA (templates/hpa.yaml): variant_name and
	// exported_namespace, as WVA's series carry after Prometheus renames namespace.
	code, body = get("wva_desired_replicas?labelSelector=variant_name%3Dqwen-l40s%2Cexported_namespace%3Dllm-d")
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.NoError(t, json.Unmarshal(body, &list), "%s", body)
	require.Len(t, list.Items, 1, "an HPA written for WVA matches")
	assert.Equal(t, "llm-d", list.Items[0].MetricLabels["exported_namespace"])

	// The alias the llm-d guide's verification step queries.
	code, body = get("inferno_desired_replicas")
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.NoError(t, json.Unmarshal(body, &list))
	assert.Len(t, list.Items, 2)

	// Anonymous requests are refused.
	anonTLS := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // test of a self-signed server
	anon := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: anonTLS}}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, base+"wva_desired_replicas", nil)
	require.NoError(t, err)
	resp, err := anon.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, resp.StatusCode)
}
