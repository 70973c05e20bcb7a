package promclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/promclient"
	"github.com/saturn-autoscaler/saturn/controller/promclient/promtest"
)

// vllmTarget serves a tiny vLLM-like exposition on loopback.
func vllmTarget(t *testing.T, kv float64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE vllm:kv_cache_usage_perc gauge\nvllm:kv_cache_usage_perc{engine=\"0\",model_name=\"Qwen/Qwen3-0.6B\"} %g\n", kv)
		fmt.Fprint(w, "# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{engine=\"0\",model_name=\"Qwen/Qwen3-0.6B\"} 3\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAgainstRealPrometheusOverTLS(t *testing.T) {
	target := vllmTarget(t, 0.42)
	prom := promtest.Start(t, promtest.Options{Targets: []promtest.Target{{
		Address: target.Listener.Addr().String(),
		Labels:  map[string]string{"namespace": "llm-d", "pod": "qwen-7d9f-abcde"},
	}}})
	wrongCA := promtest.NewCA(t, t.TempDir(), "someone-else")
	const query = `max by (namespace, model_name, pod) (max_over_time(vllm:kv_cache_usage_perc{namespace=~"llm-d"}[1m]))`

	t.Run("right CA reads the scraped sample", func(t *testing.T) {
		c, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: prom.CA.CertFile})
		require.NoError(t, err)
		var vec model.Vector
		require.Eventually(t, func() bool {
			vec, err = c.Query(context.Background(), query, time.Now())
			return err == nil && len(vec) == 1
		}, 20*time.Second, 200*time.Millisecond, "no sample; last error %v\n%s", err, prom.Log())
		assert.Equal(t, model.LabelValue("qwen-7d9f-abcde"), vec[0].Metric["pod"])
		assert.Equal(t, model.LabelValue("Qwen/Qwen3-0.6B"), vec[0].Metric["model_name"])
		assert.InDelta(t, 0.42, float64(vec[0].Value), 1e-9)
	})

	t.Run("range query reads what instant queries read", func(t *testing.T) {
		c, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: prom.CA.CertFile})
		require.NoError(t, err)
		var m model.Matrix
		end := time.Now()
		require.Eventually(t, func() bool {
			end = time.Now()
			m, err = c.QueryRange(context.Background(), query, end.Add(-4*time.Second), end, time.Second)
			return err == nil && len(m) == 1 && len(m[0].Values) >= 2
		}, 20*time.Second, 200*time.Millisecond, "no samples; last error %v\n%s", err, prom.Log())
		assert.Equal(t, model.LabelValue("qwen-7d9f-abcde"), m[0].Metric["pod"])
		for _, p := range m[0].Values {
			assert.InDelta(t, 0.42, float64(p.Value), 1e-9)
			vec, err := c.Query(context.Background(), query, p.Timestamp.Time())
			require.NoError(t, err)
			require.Len(t, vec, 1)
			assert.Equal(t, p.Value, vec[0].Value)
		}
		assert.WithinDuration(t, end, m[0].Values[len(m[0].Values)-1].Timestamp.Time(), time.Second, "evaluated up to end")
	})

	t.Run("server name override", func(t *testing.T) {
		c, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: prom.CA.CertFile, ServerName: "prometheus.test"})
		require.NoError(t, err)
		_, err = c.Query(context.Background(), "vector(1)", time.Now())
		require.NoError(t, err)

		c, err = promclient.New(promclient.Config{URL: prom.URL, CAFile: prom.CA.CertFile, ServerName: "other.test"})
		require.NoError(t, err)
		_, err = c.Query(context.Background(), "vector(1)", time.Now())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "other.test")
	})

	t.Run("wrong CA fails clearly", func(t *testing.T) {
		c, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: wrongCA.CertFile})
		require.NoError(t, err)
		_, err = c.Query(context.Background(), query, time.Now())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate signed by unknown authority")
		assert.Contains(t, err.Error(), "vllm:kv_cache_usage_perc", "the error names the query")
		assert.Contains(t, err.Error(), prom.URL, "the error names the server")
	})

	t.Run("insecureSkipVerify only when asked", func(t *testing.T) {
		c, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: wrongCA.CertFile, InsecureSkipVerify: true})
		require.NoError(t, err)
		_, err = c.Query(context.Background(), "vector(1)", time.Now())
		require.NoError(t, err)
	})

	t.Run("plain http to a TLS server is refused before dialing", func(t *testing.T) {
		_, err := promclient.New(promclient.Config{URL: "http://" + prom.Addr})
		require.Error(t, err)
		assert.Contains(t, err.Error(), promclient.FlagAllowHTTP)
	})

	t.Run("stopped server fails", func(t *testing.T) {
		c, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: prom.CA.CertFile, Timeout: 2 * time.Second})
		require.NoError(t, err)
		require.NoError(t, c.Ping(context.Background(), time.Now()))
		prom.Stop()
		_, err = c.Query(context.Background(), query, time.Now())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "vllm:kv_cache_usage_perc")
	})
}

func TestAgainstRealPrometheusMutualTLS(t *testing.T) {
	prom := promtest.Start(t, promtest.Options{RequireClientCert: true})

	c, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: prom.CA.CertFile})
	require.NoError(t, err)
	_, err = c.Query(context.Background(), "vector(1)", time.Now())
	require.Error(t, err, "a server requiring client certificates must refuse us without one")

	c, err = promclient.New(promclient.Config{
		URL: prom.URL, CAFile: prom.CA.CertFile,
		CertFile: prom.Client.CertFile, KeyFile: prom.Client.KeyFile,
	})
	require.NoError(t, err)
	vec, err := c.Query(context.Background(), "vector(7)", time.Now())
	require.NoError(t, err)
	require.Len(t, vec, 1)
	assert.InDelta(t, 7.0, float64(vec[0].Value), 0)
}
