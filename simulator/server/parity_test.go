package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/profiles"
	"github.com/saturn-autoscaler/saturn/simulator/realtime"
	"github.com/saturn-autoscaler/saturn/simulator/vllmmetrics"
)

// newEngineServer serves with a real-time driver around the real engine
// (Qwen3-0.6B on H100, prefix caching on), as saturn-sim runs.
func newEngineServer(t *testing.T, mutate ...func(*Config)) *testServer {
	t.Helper()
	acc, err := profiles.LookupAccelerator("H100")
	require.NoError(t, err)
	mod, err := profiles.LookupModel(testModel)
	require.NoError(t, err)
	eng, err := engine.New(engine.Config{Accelerator: acc, Model: mod, MaxModelLen: 4096, EnablePrefixCaching: true, TokenEvents: true})
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	m, err := vllmmetrics.Register(reg, testModel, 4096, vllmmetrics.FromEngineCache(eng.CacheConfig()))
	require.NoError(t, err)
	drv := realtime.New(eng, realtime.Options{OnStats: m.SetFromStats})
	runDriver(t, drv)
	mutate = append([]func(*Config){func(c *Config) { c.PrefixBlockSize = eng.CacheConfig().BlockSize }}, mutate...)
	return newServerWith(t, drv, false, reg, m, mutate...)
}

// detailedUsage is usage with vLLM's prompt_tokens_details.
type detailedUsage struct {
	PromptTokens        int              `json:"prompt_tokens"`
	CompletionTokens    int              `json:"completion_tokens"`
	PromptTokensDetails *json.RawMessage `json:"prompt_tokens_details"`
}

// cached returns usage.prompt_tokens_details.cached_tokens, or -1 when
// prompt_tokens_details is null.
func (u detailedUsage) cached(t *testing.T) int {
	t.Helper()
	if u.PromptTokensDetails == nil || string(*u.PromptTokensDetails) == "null" {
		return -1
	}
	var d struct {
		CachedTokens *int `json:"cached_tokens"`
	}
	require.NoError(t, json.Unmarshal(*u.PromptTokensDetails, &d))
	require.NotNil(t, d.CachedTokens, "prompt_tokens_details %s", *u.PromptTokensDetails)
	return *d.CachedTokens
}

// ids returns the token ids from..to-1 as a JSON array.
func ids(from, to int) string {
	parts := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		parts = append(parts, fmt.Sprint(i))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// sharedPrefixRequests sends, one after the other, two completions and two
// chat completions whose prompts share a prefix, and returns their usage.
func sharedPrefixRequests(t *testing.T, ts *testServer) []detailedUsage {
	t.Helper()
	system := strings.Repeat("You are a careful assistant; answer briefly. ", 40)
	bodies := []struct{ path, body string }{
		{"/v1/completions", `{"prompt":` + ids(1000, 1300) + `,"max_tokens":8,"ignore_eos":true}`},
		{"/v1/completions", `{"prompt":` + ids(1000, 1300)[:len(ids(1000, 1300))-1] + "," + ids(5000, 5040)[1:] + `,"max_tokens":6,"ignore_eos":true}`},
		{"/v1/chat/completions", `{"messages":[{"role":"system","content":"` + system + `"},{"role":"user","content":"Hi"}],"max_tokens":5,"ignore_eos":true}`},
		{"/v1/chat/completions", `{"messages":[{"role":"system","content":"` + system + `"},{"role":"user","content":"Hello there"}],"max_tokens":7,"ignore_eos":true}`},
	}
	var out []detailedUsage
	for _, b := range bodies {
		status, body := ts.post(t, b.path, b.body)
		require.Equal(t, http.StatusOK, status, "%s", body)
		var resp struct {
			Usage detailedUsage `json:"usage"`
		}
		require.NoError(t, json.Unmarshal(body, &resp), "%s", body)
		out = append(out, resp.Usage)
	}
	return out
}

// scrape reads /metrics as a client does.
func scrape(t *testing.T, ts *testServer) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(ts.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

func TestPromptTokensDetails(t *testing.T) {
	ts := newEngineServer(t, func(c *Config) { c.EnablePromptTokensDetails = true })
	usages := sharedPrefixRequests(t, ts)
	assert.Equal(t, -1, usages[0].cached(t), "a miss leaves prompt_tokens_details null, as vLLM")
	assert.Equal(t, -1, usages[2].cached(t), "a miss leaves prompt_tokens_details null, as vLLM")
	for _, i := range []int{1, 3} {
		c := usages[i].cached(t)
		assert.Positive(t, c, "request %d shares a cached prefix", i)
		assert.Less(t, c, usages[i].PromptTokens)
		assert.Zero(t, c%16, "whole blocks are cached")
	}
	// The shared 300 token ids fill 18 blocks of 16.
	assert.Equal(t, 288, usages[1].cached(t))

	// Without the flag the details are null, whatever the cache served.
	off := newEngineServer(t)
	for i, u := range sharedPrefixRequests(t, off) {
		assert.Equal(t, -1, u.cached(t), "request %d", i)
	}
	cachedOff := scrape(t, off)["vllm:prompt_tokens_cached_total"]
	require.NotNil(t, cachedOff)
	assert.Positive(t, cachedOff.GetMetric()[0].GetCounter().GetValue(), "the cache served tokens all the same")
}

func TestParityMetricsMatchUsage(t *testing.T) {
	ts := newEngineServer(t, func(c *Config) { c.EnablePromptTokensDetails = true })
	usages := sharedPrefixRequests(t, ts)
	var prompt, completion, cached, multiToken int
	for i, u := range usages {
		prompt += u.PromptTokens
		completion += u.CompletionTokens
		if c := u.cached(t); c > 0 {
			cached += c
		}
		if u.CompletionTokens > 1 {
			multiToken++
		}
		require.Positive(t, u.CompletionTokens, "request %d", i)
	}
	families := scrape(t, ts)
	one := func(name string) *dto.Metric {
		t.Helper()
		f := families[name]
		require.NotNil(t, f, "family %s on /metrics", name)
		require.Len(t, f.GetMetric(), 1, name)
		m := f.GetMetric()[0]
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		assert.Equal(t, map[string]string{"model_name": testModel, "engine": "0"}, labels, name)
		return m
	}
	tpot := one("vllm:request_time_per_output_token_seconds").GetHistogram()
	assert.Equal(t, uint64(multiToken), tpot.GetSampleCount(), "one request TPOT per finished request")
	assert.Positive(t, tpot.GetSampleSum())
	iter := one("vllm:iteration_tokens_total").GetHistogram()
	assert.InDelta(t, float64(prompt+completion), iter.GetSampleSum(), 0, "tokens of all engine steps = prompt + generated tokens")
	assert.Positive(t, iter.GetSampleCount())
	assert.LessOrEqual(t, iter.GetSampleCount(), uint64(completion), "at most one step per generated token")
	assert.InDelta(t, float64(cached), one("vllm:prompt_tokens_cached_total").GetCounter().GetValue(), 0, "cached prompt tokens = the sum of usage's cached_tokens")
	kv := one("vllm:request_prefill_kv_computed_tokens").GetHistogram()
	assert.Equal(t, uint64(len(usages)), kv.GetSampleCount())
	assert.InDelta(t, float64(prompt-cached), kv.GetSampleSum(), 0)
	n := one("vllm:request_params_n").GetHistogram()
	assert.Equal(t, uint64(len(usages)), n.GetSampleCount())
	assert.InDelta(t, float64(len(usages)), n.GetSampleSum(), 0, "n = 1 for every request")
	maxGen := one("vllm:request_max_num_generation_tokens").GetHistogram()
	assert.InDelta(t, float64(completion), maxGen.GetSampleSum(), 0, "n = 1: the longest sample is the only one")
}

// A request of n samples is one request for vllm:request_params_n and
// vllm:request_max_num_generation_tokens, observed when its last sample ends.
func TestParallelSamplingObservedOncePerPrompt(t *testing.T) {
	ts := newEngineServer(t)
	status, body := ts.post(t, "/v1/completions", `{"prompt":[`+ids(1, 40)[1:]+`,"n":3,"max_tokens":6,"ignore_eos":true}`)
	require.Equal(t, http.StatusOK, status, "%s", body)
	families := scrape(t, ts)
	n := families["vllm:request_params_n"].GetMetric()[0].GetHistogram()
	assert.Equal(t, uint64(1), n.GetSampleCount(), "one request")
	assert.InDelta(t, 3, n.GetSampleSum(), 0)
	maxGen := families["vllm:request_max_num_generation_tokens"].GetMetric()[0].GetHistogram()
	assert.Equal(t, uint64(1), maxGen.GetSampleCount())
	assert.InDelta(t, 6, maxGen.GetSampleSum(), 0, "the longest of the three samples")
	success := families["vllm:e2e_request_latency_seconds"].GetMetric()[0].GetHistogram()
	assert.Equal(t, uint64(3), success.GetSampleCount(), "every sample is still a finished sequence")
}

// The final usage chunk of a stream carries prompt_tokens_details as the
// non-streaming answer does.
func TestStreamUsageHasPromptTokensDetails(t *testing.T) {
	ts := newEngineServer(t, func(c *Config) { c.EnablePromptTokensDetails = true })
	prompt := ids(2000, 2300)
	for i := range 2 {
		status, body := ts.post(t, "/v1/completions", `{"prompt":`+prompt+`,"max_tokens":4,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}`)
		require.Equal(t, http.StatusOK, status, "%s", body)
		var last detailedUsage
		found := false
		for _, line := range strings.Split(string(body), "\n") {
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok || data == "[DONE]" {
				continue
			}
			var chunk struct {
				Usage *detailedUsage `json:"usage"`
			}
			require.NoError(t, json.Unmarshal([]byte(data), &chunk), data)
			if chunk.Usage != nil {
				last, found = *chunk.Usage, true
			}
		}
		require.True(t, found, "no usage chunk in %s", body)
		if i == 0 {
			assert.Equal(t, -1, last.cached(t), "the first request misses the cache")
		} else {
			assert.Equal(t, 288, last.cached(t), "the repeat finds 18 blocks of 16 cached")
		}
	}
}
