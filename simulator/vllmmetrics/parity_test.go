package vllmmetrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// histogramText renders the exposition of a histogram with the common labels
// from its buckets' upper bounds and cumulative counts.
func histogramText(name, help string, bounds []float64, cumulative []uint64, total uint64, sum float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	labels := `engine="0",model_name="Qwen/Qwen3-0.6B"`
	for i, le := range bounds {
		fmt.Fprintf(&b, "%s_bucket{%s,le=\"%g\"} %d\n", name, labels, le, cumulative[i])
	}
	fmt.Fprintf(&b, "%s_bucket{%s,le=\"+Inf\"} %d\n", name, labels, total)
	fmt.Fprintf(&b, "%s_sum{%s} %g\n%s_count{%s} %d\n", name, labels, sum, name, labels, total)
	return b.String()
}

// TestParityFamiliesExposition pins the families added for benchmark clients
// (issue 19): names, types, labels, help and bucket bounds as vLLM's.
func TestParityFamiliesExposition(t *testing.T) {
	m, reg := newTestMetrics(t)
	// Engine steps of 1, 8, 9, 5001 and 20000 tokens; 992 cached tokens.
	var st engine.StepTokenCounts
	for _, tokens := range []int64{1, 8, 9, 5001, 20000} {
		st.Count[engine.StepTokenClass(tokens)]++
		st.Sum += tokens
	}
	m.SetScheduler(Scheduler{PromptTokensCached: 992, StepTokens: st})
	// A restarted engine adds nothing.
	m.SetScheduler(Scheduler{})
	m.SetScheduler(Scheduler{PromptTokensCached: 8})

	m.ObserveFinished(Request{FinishedReason: "length", Decode: 900 * time.Millisecond, PromptTokens: 1100, CachedPromptTokens: 992, GenerationTokens: 10})
	m.ObserveFinished(Request{FinishedReason: "stop", PromptTokens: 7, GenerationTokens: 1})
	m.ObserveParallelSampling(4, 30)

	tokens := Buckets125(4096)
	// count returns the cumulative bucket counts of values.
	count := func(bounds []float64, values ...float64) []uint64 {
		out := make([]uint64, len(bounds))
		for i, le := range bounds {
			for _, v := range values {
				if v <= le {
					out[i]++
				}
			}
		}
		return out
	}
	expected := `
# HELP vllm:prompt_tokens_cached_total Number of cached prompt tokens (local + external).
# TYPE vllm:prompt_tokens_cached_total counter
vllm:prompt_tokens_cached_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 1000
` +
		histogramText("vllm:iteration_tokens_total", "Histogram of number of tokens per engine_step.",
			[]float64{1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384},
			[]uint64{1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4}, 5, 1+8+9+5001+20000) +
		histogramText("vllm:request_time_per_output_token_seconds", "Histogram of time_per_output_token_seconds per request.",
			[]float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0},
			count(ITLBuckets, 0, 0.1), 2, 0.1) +
		histogramText("vllm:request_params_n", "Histogram of the n request parameter.",
			[]float64{1, 2, 5, 10, 20}, count(NBuckets, 1, 1, 4), 3, 6) +
		histogramText("vllm:request_max_num_generation_tokens", "Histogram of maximum number of requested generation tokens.",
			tokens, count(tokens, 10, 1, 30), 3, 41) +
		histogramText("vllm:request_prefill_kv_computed_tokens", "Histogram of new KV tokens computed during prefill (excluding cached tokens).",
			tokens, count(tokens, 108, 7), 2, 115)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		NamePromptTokensCachedTotal, NameIterationTokensTotal, NameRequestTimePerOutputTokenSeconds,
		NameRequestParamsN, NameRequestMaxNumGenerationTokens, NameRequestPrefillKVComputedTokens))
}
