package calibration

import "time"

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
