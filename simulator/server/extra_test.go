package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/realtime"
	"github.com/saturn-autoscaler/saturn/simulator/realtime/realtimetest"
	"github.com/saturn-autoscaler/saturn/simulator/vllmmetrics"
)

func TestContinuousUsageStats(t *testing.T) {
	ts := newPacedServer(t, time.Millisecond, 8)
	resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(
		`{"prompt":[1,2,3],"max_tokens":4,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true,"continuous_usage_stats":true}}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	events := sseEvents(t, readAll(t, resp))
	require.Equal(t, "[DONE]", events[len(events)-1])
	prev := 0
	for _, e := range events[:len(events)-2] {
		c := decodeCompletion(t, []byte(e))
		require.NotNil(t, c.Usage, "every chunk carries usage: %s", e)
		assert.Equal(t, 3, c.Usage.PromptTokens)
		assert.GreaterOrEqual(t, c.Usage.CompletionTokens, prev)
		prev = c.Usage.CompletionTokens
	}
	assert.Equal(t, 4, prev)
}

func TestEngineRejectionIsA400(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := vllmmetrics.Register(reg, testModel, 4096, vllmmetrics.CacheConfig{})
	require.NoError(t, err)
	drv := realtime.New(&realtimetest.FixedStep{Step: time.Millisecond, MaxRunning: 1, AddErr: engine.ErrExceedsKVCache}, realtime.Options{})
	runDriver(t, drv)
	ts := newServerWith(t, drv, false, reg, m)
	status, body := ts.post(t, "/v1/completions", `{"prompt":[1,2,3],"max_tokens":4}`)
	require.Equal(t, http.StatusBadRequest, status)
	msg, param := requireErrorShape(t, status, body)
	assert.Equal(t, "prompt", param)
	assert.Contains(t, msg, "KV cache")
}

func TestSlowStartHoldsRequests(t *testing.T) {
	ts := newInstantServer(t, func(c *Config) { c.Faults.SlowUntil = time.Now().Add(300 * time.Millisecond) })
	start := time.Now()
	status, body := ts.post(t, "/v1/completions", `{"prompt":"hi","max_tokens":2}`)
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond)

	start = time.Now()
	status, _ = ts.post(t, "/v1/completions", `{"prompt":"hi","max_tokens":2}`)
	require.Equal(t, http.StatusOK, status)
	assert.Less(t, time.Since(start), 250*time.Millisecond, "after the window requests are not held")
}

func TestStoppedDriverIsA503(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := vllmmetrics.Register(reg, testModel, 4096, vllmmetrics.CacheConfig{})
	require.NoError(t, err)
	drv := realtime.New(&realtimetest.FixedStep{Step: time.Millisecond, MaxRunning: 1}, realtime.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, drv.Run(ctx))
	ts := newServerWith(t, drv, false, reg, m)
	status, body := ts.post(t, "/v1/completions", `{"prompt":[1],"max_tokens":4}`)
	require.Equal(t, http.StatusServiceUnavailable, status)
	requireErrorShape(t, status, body)
}
