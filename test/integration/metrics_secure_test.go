package integration

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/saturn-autoscaler/saturn/controller/promclient/promtest"
)

// TestControllerServesMetricsToAuthorizedTokens runs the saturn-controller binary with
// --metrics-secure (as WVA's chart runs its controller) against the envtest API server:
// /metrics answers HTTPS only, and only a bearer token the API server authenticates
// (TokenReview) and authorizes for GET /metrics (SubjectAccessReview, RBAC on the
// non-resource URL).
func TestControllerServesMetricsToAuthorizedTokens(t *testing.T) {
	requireEnv(t)
	promtest.Binary(t)
	dir := t.TempDir()
	ctrlBin := goBuild(t, dir, "./controller/cmd/saturn-controller", "saturn-controller")
	prom := promtest.Start(t, promtest.Options{})
	const ns = "metrics-auth"
	createNamespace(t, ns)

	kubeconfig := writeKubeconfig(t, "saturn-controller")

	metricsPort, probePort := freePort(t), freePort(t)
	process(t, ctrlBin, "run",
		"--kubeconfig", kubeconfig,
		"--prometheus-url", prom.URL,
		"--prometheus-ca-file", prom.CA.CertFile,
		"--interval", "1h",
		"--config-namespace", ns,
		"--metrics-secure",
		"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", metricsPort),
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", probePort),
	)
	require.Eventually(t, func() bool {
		code, _, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort))
		return err == nil && code == http.StatusOK
	}, 60*time.Second, 200*time.Millisecond, "controller never became ready")

	// A scraper allowed to GET /metrics, and a service account that is not.
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(env.cfg)
	require.NoError(t, err)
	for _, sa := range []string{"scraper", "stranger"} {
		_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	_, err = cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "saturn-test-metrics-reader"},
		Rules:      []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "saturn-test-metrics-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "saturn-test-metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "scraper", Namespace: ns}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	token := func(sa string) string {
		exp := int64(600)
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
		require.NoError(t, err)
		return tr.Status.Token
	}

	// The certificate is self-signed, as with WVA's chart: the client skips verification
	// (the chart's ServiceMonitor does the same); the token is what is checked.
	https := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // self-signed test endpoint
	}}
	try := func(bearer string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("https://127.0.0.1:%d/metrics", metricsPort), nil)
		if err != nil {
			return 0, "", err
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := https.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	get := func(bearer string) (int, string) {
		code, body, err := try(bearer)
		require.NoError(t, err)
		return code, body
	}
	// The secure server starts after /readyz answers (it makes its certificate first).
	var code int
	require.Eventually(t, func() bool {
		c, _, err := try("")
		code = c
		return err == nil
	}, 30*time.Second, 200*time.Millisecond, "/metrics never answered over HTTPS")
	assert.Equal(t, http.StatusUnauthorized, code, "no token")
	// controller-runtime's filter answers 500 when the TokenReview itself reports an error
	// (a token that is not a JWT): refused either way, and nothing served.
	code, body := get("not-a-token")
	assert.Contains(t, []int{http.StatusUnauthorized, http.StatusInternalServerError}, code, "a token the API server does not know")
	assert.NotContains(t, body, "controller_runtime_")
	code, _ = get(token("stranger"))
	assert.Equal(t, http.StatusForbidden, code, "a service account without GET /metrics")
	// RBAC reaches the authorizer's cache within seconds.
	require.Eventually(t, func() bool {
		code, body = get(token("scraper"))
		return code == http.StatusOK
	}, 30*time.Second, 500*time.Millisecond, "the scraper's token never read /metrics (last %d)", code)
	assert.True(t, strings.Contains(body, "controller_runtime_"), "the controller's registry:\n%s", tail(body, 20))

	// Plain HTTP gets nothing from the HTTPS port.
	code, _, err = httpGet(fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort))
	if err == nil {
		assert.Equal(t, http.StatusBadRequest, code, "plain HTTP to the TLS port")
	}
}
