package vllmmetrics

// Histogram buckets of vLLM v1 (vllm/v1/metrics/loggers.py).
var (
	// TTFTBuckets are the buckets of vllm:time_to_first_token_seconds.
	TTFTBuckets = []float64{
		0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5,
		0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
	}
	// ITLBuckets are the buckets of vllm:inter_token_latency_seconds and
	// vllm:time_per_output_token_seconds.
	ITLBuckets = []float64{
		0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75,
		1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
	}
	// RequestLatencyBuckets are the buckets of the per-request phase
	// histograms (e2e, queue, inference, prefill, decode).
	// IterationTokensBuckets are the buckets of vllm:iteration_tokens_total.
	// vLLM v1 uses this fixed list whatever --max-num-batched-tokens is; every
	// bound is a power of two (engine.StepTokenCounts relies on it).
	IterationTokensBuckets = []float64{1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384}
	// NBuckets are the buckets of vllm:request_params_n.
	NBuckets              = []float64{1, 2, 5, 10, 20}
	RequestLatencyBuckets = []float64{
		0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0,
		40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0,
	}
)

// Buckets125 returns vLLM's build_1_2_5_buckets(maxValue): 1, 2, 5, 10, 20,
// 50, ... up to and including maxValue. vLLM uses it, with the model's maximum
// length, for the token-count histograms.
func Buckets125(maxValue int) []float64 {
	var out []float64
	for scale := 1; scale <= maxValue; scale *= 10 {
		for _, m := range [...]int{1, 2, 5} {
			if m > maxValue/scale {
				return out
			}
			out = append(out, float64(m*scale))
		}
		if scale > maxValue/10 {
			break
		}
	}
	return out
}
