package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/simulator/realtime"
	"github.com/saturn-autoscaler/saturn/simulator/realtime/realtimetest"
	"github.com/saturn-autoscaler/saturn/simulator/vllmmetrics"
)

const testModel = "Qwen/Qwen3-0.6B"

type testServer struct {
	*httptest.Server
	srv *Server
	reg *prometheus.Registry
}

// newInstantServer serves with the instant backend (--no-latency).
func newInstantServer(t testing.TB, mutate ...func(*Config)) *testServer {
	t.Helper()
	return newServer(t, realtime.NewInstant(clock.RealClock{}), true, mutate...)
}

// newPacedServer serves with a real-time driver around a fixed-step engine.
func newPacedServer(t testing.TB, step time.Duration, maxRunning int, mutate ...func(*Config)) *testServer {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := vllmmetrics.Register(reg, testModel, 4096, vllmmetrics.CacheConfig{BlockSize: 16, NumGPUBlocks: 100})
	require.NoError(t, err)
	drv := realtime.New(&realtimetest.FixedStep{Step: step, MaxRunning: maxRunning}, realtime.Options{OnStats: m.SetFromStats})
	runDriver(t, drv)
	return newServerWith(t, drv, false, reg, m, mutate...)
}

// runDriver runs drv until the test ends.
func runDriver(t testing.TB, drv *realtime.Driver) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = drv.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func newServer(t testing.TB, b Backend, count bool, mutate ...func(*Config)) *testServer {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := vllmmetrics.Register(reg, testModel, 4096, vllmmetrics.CacheConfig{BlockSize: 16, NumGPUBlocks: 100})
	require.NoError(t, err)
	return newServerWith(t, b, count, reg, m, mutate...)
}

func newServerWith(t testing.TB, b Backend, count bool, reg *prometheus.Registry, m *vllmmetrics.Metrics, mutate ...func(*Config)) *testServer {
	t.Helper()
	cfg := Config{
		ServedModelNames:    []string{testModel, "alias"},
		MaxModelLen:         4096,
		Seed:                1,
		MaxRequestBodyBytes: 64 << 10,
		Backend:             b,
		CountTokens:         count,
		Metrics:             m,
		Gatherer:            reg,
	}
	for _, f := range mutate {
		f(&cfg)
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, srv: srv, reg: reg}
}

func (ts *testServer) post(t testing.TB, path, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

// sseEvents splits an SSE body into its data payloads.
func sseEvents(t testing.TB, body []byte) []string {
	t.Helper()
	var events []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		require.True(t, strings.HasPrefix(line, "data: "), "SSE line %q", line)
		events = append(events, strings.TrimPrefix(line, "data: "))
	}
	require.NoError(t, sc.Err())
	return events
}

type wireUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type wireCompletion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int     `json:"index"`
		Text         string  `json:"text"`
		FinishReason *string `json:"finish_reason"`
		Message      *struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Delta *struct {
			Role    *string `json:"role"`
			Content *string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
}

func decodeCompletion(t testing.TB, b []byte) wireCompletion {
	t.Helper()
	var c wireCompletion
	require.NoError(t, json.Unmarshal(b, &c), "body %s", b)
	return c
}
