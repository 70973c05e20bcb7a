package router

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"
	"k8s.io/utils/clock"
)

const testModel = "meta-llama/Llama-3.1-8B-Instruct"

// backend is a stand-in model server: it answers completions with its name
// and serves the two vLLM gauges the scorer reads.
type backend struct {
	name    string
	waiting atomic.Int64
	hits    atomic.Int64
	srv     *httptest.Server
}

func newBackend(t testing.TB, name string) *backend {
	t.Helper()
	b := &backend{name: name}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = io.WriteString(w, "# TYPE vllm:num_requests_waiting gauge\n"+
			`vllm:num_requests_waiting{model_name="m",engine="0"} `+itoa(b.waiting.Load())+"\n"+
			"# TYPE vllm:kv_cache_usage_perc gauge\n"+`vllm:kv_cache_usage_perc{model_name="m",engine="0"} 0.25`+"\n")
	})
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		b.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"served_by":"`+b.name+`"}`)
	})
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) addr() string { return strings.TrimPrefix(b.srv.URL, "http://") }

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// testRouter starts a router (no discovery: tests set the endpoints) behind an
// HTTP server and returns both.
func testRouter(t testing.TB, mutate func(*Options)) (*Router, *httptest.Server, *prometheus.Registry) {
	t.Helper()
	o := DefaultOptions()
	o.Service, o.Models = "sim", []string{testModel}
	if mutate != nil {
		mutate(&o)
	}
	reg := prometheus.NewRegistry()
	r, err := New(o, reg, slog.New(slog.DiscardHandler), clock.RealClock{})
	require.NoError(t, err)
	srv := httptest.NewServer(r.Handler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	t.Cleanup(srv.Close)
	return r, srv, reg
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url+"/v1/completions", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func completion(model string) string {
	return `{"model":"` + model + `","prompt":"hello there","max_tokens":4}`
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}
