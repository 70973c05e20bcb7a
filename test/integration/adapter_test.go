package integration

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/saturn-autoscaler/saturn/controller/actuation"
	"github.com/saturn-autoscaler/saturn/controller/promclient"
	"github.com/saturn-autoscaler/saturn/controller/promclient/promtest"
)

// adapterBinary is Prometheus Adapter (sigs.k8s.io/prometheus-adapter's cmd/adapter), built
// by `make test-deps` into bin/prometheus-adapter.
func adapterBinary(t *testing.T) string {
	t.Helper()
	return binaryFromEnv(t, "SATURN_PROMETHEUS_ADAPTER", "Prometheus Adapter")
}

// An HPA written for WVA reads saturn's decision through Prometheus Adapter configured with
// WVA's own adapter values (config/samples/prometheus-adapter-values.yaml, its rules as
// they are): the controller's wva_desired_replicas, scraped by a real Prometheus over TLS
// (which renames the series' namespace to exported_namespace), answers the selector of
// WVA's chart HPA, {variant_name, exported_namespace}, with the decision.
func TestPrometheusAdapterWithWVAsValuesServesTheDecision(t *testing.T) {
	adapter := adapterBinary(t)
	f := newFixture(t, "adapter", 0.93, 9)
	ctx := context.Background()
	createVA(t, f.ns, "qwen-l40s", "qwen-l40s", model, "L40S")
	c, reg, _, _ := newController(t, f.ns, f.query, actuation.ModeMetrics)
	res, err := c.RunCycle(ctx)
	require.NoError(t, err)
	require.Len(t, res.Decisions, 1)
	desired := res.Decisions[0].Desired
	require.Greater(t, desired, 2, "saturated pods: a scale-up (%s)", res.Decisions[0].Reason)

	// The controller's /metrics, scraped as a ServiceMonitor would: the target's own
	// namespace label wins, the series' namespace becomes exported_namespace.
	ms := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(ms.Close)
	prom := promtest.Start(t, promtest.Options{Targets: []promtest.Target{{
		Address: ms.Listener.Addr().String(),
		Labels:  map[string]string{"namespace": "workload-variant-autoscaler-system", "pod": "saturn-controller-0"},
	}}})
	q, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: prom.CA.CertFile})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		v, err := q.Query(ctx, fmt.Sprintf(`wva_desired_replicas{exported_namespace=%q,variant_name="qwen-l40s"}`, f.ns), time.Now())
		return err == nil && len(v) == 1
	}, 30*time.Second, 200*time.Millisecond, "Prometheus never scraped the controller:\n%s", prom.Log())

	// WVA's adapter values: its external rules become the adapter's configuration, as the
	// prometheus-adapter chart renders them; its CA file argument points at this
	// Prometheus's CA.
	raw, err := os.ReadFile(filepath.Join("testdata", "wva-prometheus-adapter-values.yaml"))
	require.NoError(t, err)
	var values struct {
		Rules struct {
			External []map[string]any `json:"external"`
		} `json:"rules"`
		ExtraArguments []string `json:"extraArguments"`
	}
	require.NoError(t, sigsyaml.Unmarshal(raw, &values))
	require.Len(t, values.Rules.External, 1, "WVA's values hold one external rule")
	require.Contains(t, values.ExtraArguments, "--prometheus-ca-file=/etc/prometheus-ca/ca.crt")
	cfg, err := sigsyaml.Marshal(map[string]any{"externalRules": values.Rules.External})
	require.NoError(t, err)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, cfg, 0o600))

	kubeconfig := writeKubeconfig(t, "prometheus-adapter")
	port := freePort(t)
	process(t, adapter,
		"--secure-port="+fmt.Sprint(port), "--cert-dir="+filepath.Join(dir, "certs"),
		"--lister-kubeconfig="+kubeconfig, "--authentication-kubeconfig="+kubeconfig, "--authorization-kubeconfig="+kubeconfig,
		"--prometheus-url="+prom.URL, "--prometheus-ca-file="+prom.CA.CertFile,
		"--config="+cfgPath, "--metrics-relist-interval=1s", "--v=2")

	// The caller plays the HPA controller.
	hpa, err := env.testEnv.AddUser(envtest.User{Name: "hpa-adapter", Groups: []string{"system:masters"}}, nil)
	require.NoError(t, err)
	cert, err := tls.X509KeyPair(hpa.Config().CertData, hpa.Config().KeyData)
	require.NoError(t, err)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		Certificates: []tls.Certificate{cert},
		// The adapter serves a self-signed certificate, as behind its APIService.
		InsecureSkipVerify: true, //nolint:gosec // test of a self-signed aggregated API server
	}}}
	selector := url.QueryEscape("variant_name=qwen-l40s,exported_namespace=" + f.ns)
	u := fmt.Sprintf("https://127.0.0.1:%d/apis/external.metrics.k8s.io/v1beta1/namespaces/%s/wva_desired_replicas?labelSelector=%s", port, f.ns, selector)
	var list struct {
		Items []struct {
			MetricLabels map[string]string `json:"metricLabels"`
			Value        string            `json:"value"`
		} `json:"items"`
	}
	var code int
	var body []byte
	require.Eventually(t, func() bool {
		resp, err := hc.Get(u) //nolint:noctx // loopback test
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		code = resp.StatusCode
		body, _ = io.ReadAll(resp.Body)
		return code == http.StatusOK && json.Unmarshal(body, &list) == nil && len(list.Items) == 1
	}, 60*time.Second, 500*time.Millisecond, "the adapter never answered WVA's HPA selector: last %d %s", code, body)
	assert.Equal(t, fmt.Sprint(desired), list.Items[0].Value, "the HPA reads saturn's decision")
	assert.Equal(t, f.ns, list.Items[0].MetricLabels["exported_namespace"])
	assert.Equal(t, "qwen-l40s", list.Items[0].MetricLabels["variant_name"])
}
