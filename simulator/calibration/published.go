package calibration

import (
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/simulator/profiles"
)

// Published is one published vLLM measurement at a concurrency.
type Published struct {
	Concurrency int
	OutputTokS  float64
	TTFTP50     time.Duration
	TPOT        time.Duration
}

// PublishedSource says where the published figures come from.
const PublishedSource = "vLLM 0.21, Llama-3.1-8B-Instruct BF16 on one H100-80GB, short chat prompts (reference/accelerators.md)"

// PublishedH100 are the published Llama-3.1-8B-Instruct figures on one H100.
var PublishedH100 = []Published{
	{Concurrency: 1, OutputTokS: 122, TTFTP50: 14 * time.Millisecond, TPOT: 6480 * time.Microsecond},
	{Concurrency: 4, OutputTokS: 580, TTFTP50: 22800 * time.Microsecond, TPOT: 6590 * time.Microsecond},
	{Concurrency: 16, OutputTokS: 1384, TTFTP50: 41700 * time.Microsecond, TPOT: 10900 * time.Microsecond},
}

// RuleOfThumb is a published range for 7-8B models in real deployments
// (API overhead included), per accelerator.
type RuleOfThumb struct {
	Accelerator    string
	ITLLo, ITLHi   time.Duration // inter-token latency at batch 1
	TTFTLo, TTFTHi time.Duration // time to first token, 256-token prompt
}

// RulesOfThumb are the ranges from reference/accelerators.md.
var RulesOfThumb = []RuleOfThumb{
	{"H100", 10 * time.Millisecond, 15 * time.Millisecond, 60 * time.Millisecond, 120 * time.Millisecond},
	{"A100", 15 * time.Millisecond, 25 * time.Millisecond, 100 * time.Millisecond, 180 * time.Millisecond},
	{"L40S", 25 * time.Millisecond, 35 * time.Millisecond, 180 * time.Millisecond, 280 * time.Millisecond},
}

// CalibrationModel is the model of the published measurements.
const CalibrationModel = "meta-llama/Llama-3.1-8B-Instruct"

// BenchmarkWorkload is the closed-loop workload at a concurrency. The
// published run gives no lengths; its throughput does imply them: at
// concurrency c, tokens/s = c x n / (TTFT + (n-1) x TPOT) solves to a mean
// output of n = 53 tokens at c=4 and 47 at c=16, so outputs are drawn from
// 16..80 (mean 48); "short chat prompts" are drawn from 50..250 tokens.
func BenchmarkWorkload(concurrency int) Workload {
	return Workload{
		Name:        "closed loop",
		Concurrency: concurrency,
		Requests:    50 * concurrency,
		PromptMin:   50,
		PromptMax:   250,
		OutputMin:   16,
		OutputMax:   80,
		Seed:        1,
	}
}

// SingleRequestWorkload measures batch-1 latency: one client, 256-token
// prompts, 128-token outputs.
func SingleRequestWorkload() Workload {
	return Workload{Name: "batch 1", Concurrency: 1, Requests: 20, PromptMin: 256, PromptMax: 256, OutputMin: 128, OutputMax: 128, Seed: 1}
}

// SaturationWorkload keeps a replica saturated: 256 clients (vLLM's default
// max-num-seqs) with chat-like lengths.
func SaturationWorkload() Workload {
	return Workload{Name: "saturation", Concurrency: 256, Requests: 2048, PromptMin: 20, PromptMax: 400, OutputMin: 20, OutputMax: 400, Seed: 1}
}

// PoissonRates are the request rates of the under-load table, requests/s.
var PoissonRates = []float64{4, 8, 16, 32}

// PoissonWorkload is an open-loop Poisson stream of 256-token prompts and
// 256-token outputs at rate requests/s, two minutes of arrivals (at least
// 400 requests).
func PoissonWorkload(rate float64) Workload {
	return Workload{Name: fmt.Sprintf("Poisson %g req/s", rate), Rate: rate, Requests: max(400, int(rate*120)), PromptMin: 256, PromptMax: 256, OutputMin: 256, OutputMax: 256, Seed: 1}
}

// A100Sweep is a published concurrency sweep of Llama-3.1-8B-Instruct
// (BF16, vLLM 0.23.0, default scheduling) on one A100 SXM4 40GB: fixed
// 1024-token prompts and 128-token outputs (--ignore-eos), c x 20 prompts
// at each concurrency c.
var A100Sweep = struct {
	Source      string
	Accelerator string
	// The 40 GB part's datasheet figures, where it differs from the 80 GB
	// profile: 40 GB HBM2 at 1,555 GB/s.
	MemoryGiB, MemoryBandwidthGBps float64
	// MaxNumBatchedTokens is vLLM V1's default for the OpenAI server on an
	// A100 (and on any GPU under 70 GiB): 2048, where H100-class parts get 8192.
	MaxNumBatchedTokens int
	Points              []Published
}{
	Source:              "John Musgrave, \"vLLM throughput-latency sweep on NVIDIA A100\" (johnmusgrave.com/p/vllm-throughput-latency-sweep-on): 75 tok/s at one request; 6.6x that at concurrency 8 \"with almost no latency cost\"",
	Accelerator:         "A100",
	MemoryGiB:           40,
	MemoryBandwidthGBps: 1555,
	MaxNumBatchedTokens: 2048,
	Points: []Published{
		// "Decode at one request runs at about 75 tokens/sec, roughly 77% of
		// the memory-bandwidth ceiling": a decode rate, so TPOT = 1/75 s.
		{Concurrency: 1, OutputTokS: 75, TPOT: time.Second / 75},
		// Output throughput 6.6x that of one request.
		{Concurrency: 8, OutputTokS: 6.6 * 75},
	},
}

// A100SweepWorkload is the sweep's workload at concurrency c.
func A100SweepWorkload(c int) Workload {
	return Workload{Name: fmt.Sprintf("A100 sweep c=%d", c), Concurrency: c, Requests: 20 * c, PromptMin: 1024, PromptMax: 1024, OutputMin: 128, OutputMax: 128, Seed: 1}
}

// SaturatedRatio is a published throughput ratio between two accelerators
// running the same saturating benchmark.
type SaturatedRatio struct {
	Source       string
	Fast, Slow   string  // accelerator names
	Ratio        float64 // published fast / slow output tokens per second
	WorkloadNote string
	Workload     Workload
	// Model is the model run, nil for CalibrationModel; TP its tensor
	// parallelism (0: the model's default).
	Model *profiles.Model
	TP    int
}

// MistralLarge2407 is the larger model of Lambda's tensor-parallel runs.
var MistralLarge2407 = profiles.Model{
	Name:   "mistralai/Mistral-Large-Instruct-2407",
	Source: "Hugging Face config.json of mistralai/Mistral-Large-Instruct-2407 (123B parameters; 88 layers, hidden 12288, intermediate 28672, 96 query heads, 8 KV heads, head_dim 128, vocab 32768, 128K context, BF16)",
	Params: 122.6e9, Layers: 88, HiddenSize: 12288, IntermediateSize: 28672, AttentionHeads: 96, KVHeads: 8, HeadDim: 128,
	VocabSize: 32768, MaxModelLen: 131072, DTypeBytes: 2, DefaultTensorParallelSize: 4, TensorParallelSizes: []int{4, 8},
}

// SaturatedRatios are the published saturating-load ratios the profiles
// are held to (within 20%).
var SaturatedRatios = []SaturatedRatio{
	{
		Source: "Lambda, \"LLMs inference benchmarks, using vLLM, on Lambda Cloud\" (github.com/LambdaLabsML/vllm-benchmark, benchmark_v0.md): Mistral-7B-Instruct-v0.3 BF16, vLLM 0.5.4, 320 prompts at once, " +
			"1x H100-80GB-SXM 3281.19 output tok/s, 1x A100-80GB-SXM 1591.4: 2.06x",
		Fast: "H100", Slow: "A100", Ratio: 3281.19 / 1591.4,
		WorkloadNote: "Llama-3.1-8B stands in for Mistral-7B (same layer count, hidden size and grouped-query attention); the benchmark's lengths are not stated: chat-like lengths, prompts and outputs 20..400 tokens",
		Workload:     Workload{Name: "320 at once", Concurrency: 320, Requests: 320, PromptMin: 20, PromptMax: 400, OutputMin: 20, OutputMax: 400, Seed: 1},
	},
	{
		Source: "Red Hat, MLPerf Inference v5.1 results with vLLM 0.10.0: Llama-3.1-8B FP8, Offline scenario, 5,777 tok/s on one H100 and 1,642 tok/s on one L40S: 3.52x " +
			"(FP8 doubles both parts' dense peak, 1,979 and 733 TFLOPS, so the ratio carries over to BF16)",
		Fast: "H100", Slow: "L40S", Ratio: 5777.0 / 1642.0,
		WorkloadNote: "MLPerf's Llama-3.1-8B task summarizes CNN/DailyMail articles: long prompts, short outputs (ASSUMPTION on the shape: prompts 600..1100 tokens, outputs 40..128), every sample queued at once",
		Workload:     Workload{Name: "summarization offline", Concurrency: 512, Requests: 2048, PromptMin: 600, PromptMax: 1100, OutputMin: 40, OutputMax: 128, Seed: 1},
	},
	{
		Source: "Lambda (as above): Mistral-Large-Instruct-2407 BF16 with tensor parallelism 4, 320 prompts at once, 4x H100-80GB-SXM 1301.24 output tok/s, 4x A100-80GB-SXM 642.03: 2.03x",
		Fast:   "H100", Slow: "A100", Ratio: 1301.24 / 642.03,
		WorkloadNote: "a 123B dense model at tensor parallelism 4, max model length 8192; chat-like lengths as above",
		Workload:     Workload{Name: "320 at once", Concurrency: 320, Requests: 320, PromptMin: 20, PromptMax: 400, OutputMin: 20, OutputMax: 400, Seed: 1},
		Model:        &MistralLarge2407,
		TP:           4,
	},
}
