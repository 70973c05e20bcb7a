package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type running struct {
	url    string
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
	// gatherer is the server's registry, set before url.
	gatherer prometheus.Gatherer
}

// startServe runs serve with o on a loopback port.
func startServe(t *testing.T, o *Options) *running {
	t.Helper()
	o.Host, o.Port = "127.0.0.1", 0
	r := &running{done: make(chan error, 1), logs: &syncBuffer{}}
	addr := make(chan net.Addr, 1)
	o.onListen = func(a net.Addr, g prometheus.Gatherer) {
		r.gatherer = g
		addr <- a
	}
	require.NoError(t, o.Validate())
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- serve(ctx, o, r.logs) }()
	select {
	case a := <-addr:
		r.url = "http://" + a.String()
	case err := <-r.done:
		t.Fatalf("serve returned before listening: %v\n%s", err, r.logs)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not listen")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return r
}

func TestFlagsDefaultsAreVLLMs(t *testing.T) {
	o := NewOptions()
	cmd := NewCommand(io.Discard, io.Discard)
	fs := cmd.Flags()
	for flag, want := range map[string]string{
		"model": "Qwen/Qwen3-0.6B", "port": "8000", "gpu-memory-utilization": "0.9", "block-size": "16",
		"max-num-seqs": "256", "enable-prefix-caching": "true", "seed": "0", "accelerator": "H100",
	} {
		f := fs.Lookup(flag)
		require.NotNil(t, f, "flag --%s", flag)
		assert.Equal(t, want, f.DefValue, "flag --%s", flag)
	}
	assert.NoError(t, o.Validate())
}

func TestValidateNamesTheFlag(t *testing.T) {
	tests := []struct {
		flag   string
		mutate func(*Options)
	}{
		{"port", func(o *Options) { o.Port = 70000 }},
		{"gpu-memory-utilization", func(o *Options) { o.GPUMemoryUtilization = 1.5 }},
		{"max-num-seqs", func(o *Options) { o.MaxNumSeqs = 0 }},
		{"fault-error-rate", func(o *Options) { o.FaultErrorRate = 2 }},
		{"fault-crash-after", func(o *Options) { o.FaultCrashAfter = -1 }},
		{"startup-delay", func(o *Options) { o.StartupDelay = -time.Second }},
		{"max-request-body-bytes", func(o *Options) { o.MaxRequestBodyBytes = 0 }},
		{"body-read-timeout", func(o *Options) { o.BodyReadTimeout = -time.Second }},
		{"log-level", func(o *Options) { o.LogLevel = "loud" }},
		{"served-model-name", func(o *Options) { o.ServedModelNames = []string{""} }},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			o := NewOptions()
			tt.mutate(o)
			err := o.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), "--"+tt.flag)
		})
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		contain string
	}{
		{[]string{"--accelerator", "TPU"}, "--accelerator"},
		{[]string{"--model", "no/such-model"}, "--model"},
		{[]string{"--model-profile", "/does/not/exist.yaml"}, "--model-profile"},
		{[]string{"--enable-prefix-caching", "--no-enable-prefix-caching"}, "--no-enable-prefix-caching"},
		{[]string{"--block-size", "7"}, "--block-size"},
		{[]string{"--body-read-timeout", "-1s"}, "flag --body-read-timeout: must not be negative"},
		{[]string{"--bogus"}, "unknown flag"},
		{[]string{"a", "b"}, "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := Run(context.Background(), tt.args, io.Discard, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.contain)
		})
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestServeEndToEnd(t *testing.T) {
	o := NewOptions()
	o.ServedModelNames = []string{"qwen"}
	o.StartupDelay = 300 * time.Millisecond
	r := startServe(t, o)

	status, _ := get(t, r.url+"/health")
	assert.Equal(t, http.StatusServiceUnavailable, status, "loading")
	require.Eventually(t, func() bool { s, _ := get(t, r.url+"/health"); return s == http.StatusOK }, 10*time.Second, 20*time.Millisecond)

	status, body := post(t, r.url+"/v1/completions", `{"model":"qwen","prompt":"hello","max_tokens":5,"ignore_eos":true}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"completion_tokens":5`)

	status, metrics := get(t, r.url+"/metrics")
	require.Equal(t, http.StatusOK, status)
	for _, want := range []string{
		`vllm:generation_tokens_total{engine="0",model_name="qwen"} 5`,
		`vllm:request_success_total{engine="0",finished_reason="length",model_name="qwen"} 1`,
		`vllm:cache_config_info{block_size="16"`,
		`vllm:num_requests_running{engine="0",model_name="qwen"} 0`,
		`vllm:kv_cache_usage_perc{engine="0",model_name="qwen"} 0`,
	} {
		assert.True(t, hasLine(metrics, want), "/metrics has no line starting with %s", want)
	}
}

func TestNoLatencyCountsTokens(t *testing.T) {
	o := NewOptions()
	o.NoLatency = true
	r := startServe(t, o)
	status, body := post(t, r.url+"/v1/completions", `{"prompt":[1,2,3],"max_tokens":4,"ignore_eos":true}`)
	require.Equal(t, http.StatusOK, status, body)
	_, metrics := get(t, r.url+"/metrics")
	assert.True(t, hasLine(metrics, `vllm:prompt_tokens_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 3`))
	assert.True(t, hasLine(metrics, `vllm:generation_tokens_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 4`))
}

func TestShutdownDrainsInFlight(t *testing.T) {
	o := NewOptions()
	r := startServe(t, o)
	require.Eventually(t, func() bool { s, _ := get(t, r.url+"/health"); return s == http.StatusOK }, 10*time.Second, 10*time.Millisecond)

	type result struct {
		status int
		body   string
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Post(r.url+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"x","max_tokens":400,"ignore_eos":true}`))
		if err != nil {
			res <- result{status: -1, body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- result{resp.StatusCode, string(b)}
	}()
	// Let the request get in flight, then "SIGTERM".
	require.Eventually(t, func() bool {
		_, m := get(t, r.url+"/metrics")
		return hasLine(m, `vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-0.6B"} 1`)
	}, 10*time.Second, 5*time.Millisecond)
	r.cancel()

	got := <-res
	require.Equal(t, http.StatusOK, got.status, got.body)
	assert.Contains(t, got.body, `"completion_tokens":400`)
	require.NoError(t, <-r.done)
	r.done <- nil // for cleanup
	resp, err := http.Get(r.url + "/health")
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "listener closed after shutdown")
}

func TestCrashAfter(t *testing.T) {
	o := NewOptions()
	o.NoLatency = true
	o.FaultCrashAfter = 2
	r := startServe(t, o)
	for i := 0; i < 2; i++ {
		status, body := post(t, r.url+"/v1/completions", `{"prompt":"x","max_tokens":1}`)
		require.Equal(t, http.StatusOK, status, body)
	}
	status, _ := post(t, r.url+"/v1/completions", `{"prompt":"x","max_tokens":1}`)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	select {
	case err := <-r.done:
		require.ErrorIs(t, err, errCrashed)
		r.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("server did not crash")
	}
}

// hasLine reports whether the exposition text has a line starting with prefix
// and ending there or continuing with a space or a label.
func hasLine(text, prefix string) bool {
	for _, line := range strings.Split(text, "\n") {
		if line == prefix || strings.HasPrefix(line, prefix) && (strings.HasSuffix(prefix, `"`) || line[len(prefix)] == ' ' || line[len(prefix)] == ',') {
			return true
		}
	}
	return false
}

func TestModelProfileFileNamesTheServedModel(t *testing.T) {
	data, err := os.ReadFile("../profiles/models/qwen3-0.6b.yaml")
	require.NoError(t, err)
	text := regexp.MustCompile(`(?m)^name: .*$`).ReplaceAllString(string(data), "name: acme/tiny-model")
	file := filepath.Join(t.TempDir(), "model.yaml")
	require.NoError(t, os.WriteFile(file, []byte(text), 0o600))

	o := NewOptions()
	o.ModelProfile = file
	o.NoLatency = true
	r := startServe(t, o)
	status, body := get(t, r.url+"/v1/models")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"id":"acme/tiny-model"`)
}

func TestJoinNargs(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"--served-model-name", "a", "b", "--port", "1"}, []string{"--served-model-name=a,b", "--port", "1"}},
		{[]string{"m", "--served-model-name", "a"}, []string{"m", "--served-model-name=a"}},
		{[]string{"--served-model-name=a,b"}, []string{"--served-model-name=a,b"}},
		{[]string{"--served-model-name"}, []string{"--served-model-name"}},
		{[]string{"--", "--served-model-name", "a"}, []string{"--", "--served-model-name", "a"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, joinNargs(tt.in, "--served-model-name"), "%v", tt.in)
	}
}

func TestSharedSystemPromptHitsThePrefixCache(t *testing.T) {
	o := NewOptions()
	r := startServe(t, o)
	system := strings.Repeat("You are a careful assistant that answers briefly and politely. ", 20)
	for _, q := range []string{"What is the capital of France?", "How tall is Mount Everest?"} {
		status, body := post(t, r.url+"/v1/chat/completions",
			`{"messages":[{"role":"system","content":"`+system+`"},{"role":"user","content":"`+q+`"}],"max_tokens":2,"ignore_eos":true}`)
		require.Equal(t, http.StatusOK, status, body)
	}
	families, err := r.gatherer.Gather()
	require.NoError(t, err)
	values := map[string]float64{}
	for _, f := range families {
		if m := f.GetMetric(); len(m) > 0 && m[0].GetCounter() != nil {
			values[f.GetName()] = m[0].GetCounter().GetValue()
		}
	}
	assert.Positive(t, values["vllm:prefix_cache_queries_total"])
	assert.GreaterOrEqual(t, values["vllm:prefix_cache_hits_total"], 200.0, "the second request hits the shared system prompt's blocks")
}

// --enable-prompt-tokens-details reaches the server: the repeat of a prompt
// reports its cached tokens; without the flag the details stay null.
func TestEnablePromptTokensDetailsFlag(t *testing.T) {
	system := strings.Repeat("You are a careful assistant that answers briefly and politely. ", 20)
	details := func(enabled bool) []string {
		o := NewOptions()
		o.EnablePromptTokensDetails = enabled
		r := startServe(t, o)
		var out []string
		for range 2 {
			status, body := post(t, r.url+"/v1/chat/completions",
				`{"messages":[{"role":"system","content":"`+system+`"},{"role":"user","content":"Hi"}],"max_tokens":2,"ignore_eos":true}`)
			require.Equal(t, http.StatusOK, status, body)
			var resp struct {
				Usage struct {
					Details json.RawMessage `json:"prompt_tokens_details"`
				} `json:"usage"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &resp), body)
			out = append(out, string(resp.Usage.Details))
		}
		return out
	}
	on := details(true)
	assert.Equal(t, "null", on[0], "the first request misses the cache")
	assert.Contains(t, on[1], `"cached_tokens":`, "the repeat reports what the prefix cache served")
	assert.NotContains(t, on[1], `"cached_tokens":0`)
	assert.Equal(t, []string{"null", "null"}, details(false))
}

// EngineConfigFor resolves a command line as saturn-sim does before serving.
func TestEngineConfigForResolvesTheCommandLine(t *testing.T) {
	cfg, err := EngineConfigFor([]string{"meta-llama/Llama-3.1-8B-Instruct", "--accelerator", "L40S", "--max-num-seqs", "64", "--no-enable-prefix-caching"})
	require.NoError(t, err)
	assert.Equal(t, "L40S", cfg.Accelerator.Name)
	assert.Equal(t, "meta-llama/Llama-3.1-8B-Instruct", cfg.Model.Name)
	assert.Equal(t, 64, cfg.MaxNumSeqs)
	assert.False(t, cfg.EnablePrefixCaching)
	assert.Positive(t, cfg.BlockSize, "vLLM's defaults applied")

	_, err = EngineConfigFor([]string{"--accelerator", "TPU"})
	assert.ErrorContains(t, err, "--accelerator")
	_, err = EngineConfigFor([]string{"--max-num-seqs", "many"})
	assert.ErrorContains(t, err, "max-num-seqs")
}
