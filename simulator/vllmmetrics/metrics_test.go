package vllmmetrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestMetrics(t *testing.T) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := Register(reg, "Qwen/Qwen3-0.6B", 4096, CacheConfig{BlockSize: 16, NumGPUBlocks: 1234, GPUMemoryUtilization: 0.9, EnablePrefixCaching: true})
	require.NoError(t, err)
	return m, reg
}

func TestBuckets125(t *testing.T) {
	tests := []struct {
		max  int
		want []float64
	}{
		{0, nil},
		{1, []float64{1}},
		{4, []float64{1, 2}},
		{100, []float64{1, 2, 5, 10, 20, 50, 100}},
		{4096, []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000}},
		{40960, []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Buckets125(tt.max), "max %d", tt.max)
	}
	// No overflow at the extreme.
	b := Buckets125(int(^uint(0) >> 1))
	assert.NotEmpty(t, b)
	for i := 1; i < len(b); i++ {
		assert.Greater(t, b[i], b[i-1])
	}
}

func TestRegisterConflict(t *testing.T) {
	_, reg := newTestMetrics(t)
	_, err := Register(reg, "other", 4096, CacheConfig{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "registering vLLM metrics")
}

func TestGaugesAndCounters(t *testing.T) {
	m, reg := newTestMetrics(t)
	m.SetScheduler(Scheduler{Running: 3, Waiting: 7, KVCacheUsage: 0.25, Preemptions: 2, PromptTokens: 100, GenerationTokens: 40, PrefixQueries: 64, PrefixHits: 32})
	m.SetScheduler(Scheduler{Running: 1, Waiting: 0, KVCacheUsage: 0.5, Preemptions: 5, PromptTokens: 150, GenerationTokens: 90, PrefixQueries: 64, PrefixHits: 48})
	// A restarted engine (lower totals) must not decrease or add.
	m.SetScheduler(Scheduler{Running: 1, KVCacheUsage: 0.5, Preemptions: 1, PromptTokens: 150, GenerationTokens: 90, PrefixQueries: 64, PrefixHits: 48})

	expected := `
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-0.6B"} 1
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen3-0.6B"} 0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="Qwen/Qwen3-0.6B"} 0.5
# HELP vllm:num_preemptions_total Cumulative number of preemption from the engine.
# TYPE vllm:num_preemptions_total counter
vllm:num_preemptions_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 5
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 150
# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 90
# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 64
# HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 48
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
		"vllm:num_preemptions_total", "vllm:prompt_tokens_total", "vllm:generation_tokens_total",
		"vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total"))

	m.AddTokens(10, 5)
	assert.InDelta(t, 160, testutil.ToFloat64(m.promptTokens), 0)
	assert.InDelta(t, 95, testutil.ToFloat64(m.generationTokens), 0)
}

func TestTTFTUsesVLLMBuckets(t *testing.T) {
	m, reg := newTestMetrics(t)
	m.ObserveFirstToken(30 * time.Millisecond)
	m.ObserveFirstToken(3 * time.Second)
	expected := `
# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="0.001"} 0
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="0.005"} 0
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="0.01"} 0
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="0.02"} 0
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="0.04"} 1
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="0.06"} 1
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="0.08"} 1
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="0.1"} 1
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="0.25"} 1
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="0.5"} 1
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="0.75"} 1
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="1"} 1
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="2.5"} 1
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="5"} 2
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="7.5"} 2
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="10"} 2
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="20"} 2
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="40"} 2
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="80"} 2
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="160"} 2
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="640"} 2
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="2560"} 2
vllm:time_to_first_token_seconds_bucket{engine="0",model_name="Qwen/Qwen3-0.6B",le="+Inf"} 2
vllm:time_to_first_token_seconds_sum{engine="0",model_name="Qwen/Qwen3-0.6B"} 3.03
vllm:time_to_first_token_seconds_count{engine="0",model_name="Qwen/Qwen3-0.6B"} 2
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected), "vllm:time_to_first_token_seconds"))
}

func TestObserveFinished(t *testing.T) {
	m, reg := newTestMetrics(t)
	m.ObserveInterToken(20 * time.Millisecond)
	m.ObserveFinished(Request{FinishedReason: "length", E2E: 2 * time.Second, Queue: 500 * time.Millisecond, Prefill: 100 * time.Millisecond, Decode: 1400 * time.Millisecond, PromptTokens: 100, GenerationTokens: 70, MaxTokens: 70})
	m.ObserveFinished(Request{FinishedReason: "bogus"})

	success := `
# HELP vllm:request_success_total Count of successfully processed requests.
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="abort",model_name="Qwen/Qwen3-0.6B"} 0
vllm:request_success_total{engine="0",finished_reason="error",model_name="Qwen/Qwen3-0.6B"} 1
vllm:request_success_total{engine="0",finished_reason="length",model_name="Qwen/Qwen3-0.6B"} 1
vllm:request_success_total{engine="0",finished_reason="stop",model_name="Qwen/Qwen3-0.6B"} 0
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(success), "vllm:request_success_total"))

	families, err := reg.Gather()
	require.NoError(t, err)
	sums := map[string]float64{}
	counts := map[string]uint64{}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			if h := metric.GetHistogram(); h != nil {
				sums[f.GetName()] = h.GetSampleSum()
				counts[f.GetName()] = h.GetSampleCount()
			}
		}
	}
	assert.InDelta(t, 2.0, sums["vllm:e2e_request_latency_seconds"], 1e-9)
	assert.InDelta(t, 0.5, sums["vllm:request_queue_time_seconds"], 1e-9)
	assert.InDelta(t, 0.1, sums["vllm:request_prefill_time_seconds"], 1e-9)
	assert.InDelta(t, 1.4, sums["vllm:request_decode_time_seconds"], 1e-9)
	assert.InDelta(t, 1.5, sums["vllm:request_inference_time_seconds"], 1e-9)
	assert.InDelta(t, 100, sums["vllm:request_prompt_tokens"], 1e-9)
	assert.InDelta(t, 70, sums["vllm:request_generation_tokens"], 1e-9)
	assert.Equal(t, uint64(1), counts["vllm:request_params_max_tokens"], "max_tokens absent must not be observed")
	assert.Equal(t, uint64(1), counts["vllm:inter_token_latency_seconds"])
	assert.InDelta(t, 0.02, sums["vllm:inter_token_latency_seconds"], 1e-9)
}

func TestCacheConfigInfo(t *testing.T) {
	_, reg := newTestMetrics(t)
	expected := `
# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig
# TYPE vllm:cache_config_info gauge
vllm:cache_config_info{block_size="16",cache_dtype="auto",calculate_kv_scales="False",cpu_offload_gb="0",enable_prefix_caching="True",engine="0",gpu_memory_utilization="0.9",is_attention_free="False",num_cpu_blocks="0",num_gpu_blocks="1234",num_gpu_blocks_override="None",prefix_caching_hash_algo="sha256",sliding_window="None",swap_space="0.0"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected), "vllm:cache_config_info"))
}

func TestEveryDesignFamilyIsExposed(t *testing.T) {
	m, reg := newTestMetrics(t)
	m.ObserveFirstToken(time.Millisecond)
	m.ObserveInterToken(time.Millisecond)
	m.ObserveFinished(Request{FinishedReason: "stop", MaxTokens: 1})
	types := map[string]string{}
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		types[f.GetName()] = strings.ToLower(f.GetType().String())
		for _, metric := range f.GetMetric() {
			names := map[string]string{}
			for _, l := range metric.GetLabel() {
				names[l.GetName()] = l.GetValue()
			}
			assert.Equal(t, "0", names["engine"], f.GetName())
			if f.GetName() != "vllm:cache_config_info" {
				assert.Equal(t, "Qwen/Qwen3-0.6B", names["model_name"], f.GetName())
			}
		}
	}
	// The list in DESIGN.md, with the type vLLM gives each family.
	want := map[string]string{
		"vllm:num_requests_running":         "gauge",
		"vllm:num_requests_waiting":         "gauge",
		"vllm:kv_cache_usage_perc":          "gauge",
		"vllm:num_preemptions_total":        "counter",
		"vllm:prompt_tokens_total":          "counter",
		"vllm:generation_tokens_total":      "counter",
		"vllm:request_success_total":        "counter",
		"vllm:prefix_cache_queries_total":   "counter",
		"vllm:prefix_cache_hits_total":      "counter",
		"vllm:time_to_first_token_seconds":  "histogram",
		"vllm:inter_token_latency_seconds":  "histogram",
		"vllm:e2e_request_latency_seconds":  "histogram",
		"vllm:request_queue_time_seconds":   "histogram",
		"vllm:request_prefill_time_seconds": "histogram",
		"vllm:request_decode_time_seconds":  "histogram",
		"vllm:request_prompt_tokens":        "histogram",
		"vllm:request_generation_tokens":    "histogram",
		"vllm:cache_config_info":            "gauge",

		"vllm:prompt_tokens_cached_total":            "counter",
		"vllm:iteration_tokens_total":                "histogram",
		"vllm:request_time_per_output_token_seconds": "histogram",
		"vllm:request_params_n":                      "histogram",
		"vllm:request_max_num_generation_tokens":     "histogram",
		"vllm:request_prefill_kv_computed_tokens":    "histogram",
	}
	for name, typ := range want {
		assert.Equal(t, typ, types[name], name)
	}
}

func TestFromEngineRequest(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := engine.RequestStats{
		Arrival: t0, Scheduled: t0.Add(2 * time.Second), FirstToken: t0.Add(2500 * time.Millisecond),
		Finished: t0.Add(4 * time.Second), PromptTokens: 10, OutputTokens: 20,
	}
	r := FromEngineRequest("stop", s, 30)
	assert.Equal(t, Request{FinishedReason: "stop", E2E: 4 * time.Second, Queue: 2 * time.Second,
		Prefill: 500 * time.Millisecond, Decode: 1500 * time.Millisecond, PromptTokens: 10, GenerationTokens: 20, MaxTokens: 30}, r)

	// Aborted while waiting: all of it is queue time.
	aborted := FromEngineRequest("abort", engine.RequestStats{Arrival: t0, Finished: t0.Add(time.Second)}, 0)
	assert.Equal(t, time.Second, aborted.Queue)
	assert.Zero(t, aborted.Prefill)
}

func TestNameConstantsMatchRegisteredFamilies(t *testing.T) {
	m, reg := newTestMetrics(t)
	m.ObserveFinished(Request{FinishedReason: "stop", MaxTokens: 1})
	m.ObserveFirstToken(time.Millisecond)
	m.ObserveInterToken(time.Millisecond)
	families, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]bool{}
	for _, f := range families {
		got[f.GetName()] = true
	}
	for _, name := range []string{
		NameNumRequestsRunning, NameNumRequestsWaiting, NameKVCacheUsagePerc, NameNumPreemptionsTotal,
		NamePromptTokensTotal, NameGenerationTokensTotal, NamePrefixCacheQueriesTotal, NamePrefixCacheHitsTotal,
		NameRequestSuccessTotal, NameTimeToFirstTokenSeconds, NameInterTokenLatencySeconds, NameTimePerOutputTokenSeconds,
		NameE2ERequestLatencySeconds, NameRequestQueueTimeSeconds, NameRequestInferenceTimeSeconds,
		NameRequestPrefillTimeSeconds, NameRequestDecodeTimeSeconds, NameRequestPromptTokens,
		NameRequestGenerationTokens, NameRequestParamsMaxTokens, NameCacheConfigInfo,
		NamePromptTokensCachedTotal, NameIterationTokensTotal, NameRequestTimePerOutputTokenSeconds,
		NameRequestParamsN, NameRequestMaxNumGenerationTokens, NameRequestPrefillKVComputedTokens,
	} {
		assert.True(t, got[name], name)
	}
	assert.Len(t, got, 27, "one constant per registered family")
}
