package calibration

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/profiles"
)

// Concurrencies are the published concurrency levels.
var Concurrencies = []int{1, 4, 16}

// Report holds every measured figure of CALIBRATION.md.
type Report struct {
	Model profiles.Model
	// Accelerators in report order: H100 first, then the others by name.
	Accelerators []profiles.Accelerator
	// Bench[accelerator][i] is the closed-loop result at Concurrencies[i].
	Bench map[string][]Result
	// Single[accelerator] is the batch-1 result.
	Single map[string]Result
	// Saturated[accelerator] is the result with 256 clients.
	Saturated map[string]Result
	// Capacity[model][accelerator] is the KV cache size in tokens at the
	// model's default tensor parallelism, or the error.
	Capacity []CapacityRow
	// TP[accelerator][i] is Llama-3.1-70B's batch-1 result at TPSizes[i].
	TP map[string][]Result
	// Load[accelerator][i] is the open-loop result at PoissonRates[i].
	Load map[string][]Result
	// Sweep[i] is the A100 40GB result at A100Sweep.Points[i].
	Sweep []Result
	// Ratios[i] is the simulated fast/slow throughput of SaturatedRatios[i],
	// with both results.
	Ratios []RatioResult
}

// RatioResult is one simulated SaturatedRatio.
type RatioResult struct {
	Fast, Slow Result
	Ratio      float64
}

// TPModel and TPSizes are the tensor-parallel comparison.
const TPModel = "meta-llama/Llama-3.1-70B-Instruct"

// TPSizes are the tensor-parallel sizes compared.
var TPSizes = []int{4, 8}

// tpMaxModelLen keeps the 70B model's KV cache within every accelerator.
const tpMaxModelLen = 8192

// CapacityRow is one model's KV capacity on every accelerator.
type CapacityRow struct {
	Model  string
	TP     int
	Tokens []string // per Report.Accelerators
}

// Measure runs every calibration workload.
func Measure() (Report, error) {
	m, err := profiles.LookupModel(CalibrationModel)
	if err != nil {
		return Report{}, err
	}
	all, err := profiles.Accelerators()
	if err != nil {
		return Report{}, err
	}
	r := Report{Model: m, Bench: map[string][]Result{}, Single: map[string]Result{}, Saturated: map[string]Result{}, TP: map[string][]Result{}, Load: map[string][]Result{}}
	for _, a := range all {
		if a.Name == "H100" {
			r.Accelerators = append([]profiles.Accelerator{a}, r.Accelerators...)
		} else {
			r.Accelerators = append(r.Accelerators, a)
		}
	}
	for _, a := range r.Accelerators {
		for _, c := range Concurrencies {
			res, err := Simulate(a, m, BenchmarkWorkload(c))
			if err != nil {
				return Report{}, err
			}
			r.Bench[a.Name] = append(r.Bench[a.Name], res)
		}
		res, err := Simulate(a, m, SingleRequestWorkload())
		if err != nil {
			return Report{}, err
		}
		r.Single[a.Name] = res
		if res, err = Simulate(a, m, SaturationWorkload()); err != nil {
			return Report{}, err
		}
		r.Saturated[a.Name] = res
		for _, rate := range PoissonRates {
			if res, err = Simulate(a, m, PoissonWorkload(rate)); err != nil {
				return Report{}, err
			}
			r.Load[a.Name] = append(r.Load[a.Name], res)
		}
	}
	byName := map[string]profiles.Accelerator{}
	for _, a := range r.Accelerators {
		byName[a.Name] = a
	}
	a40 := byName[A100Sweep.Accelerator]
	a40.Name, a40.MemoryGiB, a40.MemoryBandwidthGBps = "A100-40GB", A100Sweep.MemoryGiB, A100Sweep.MemoryBandwidthGBps
	for _, pt := range A100Sweep.Points {
		res, err := SimulateConfig(engine.Config{Accelerator: a40, Model: m, MaxNumBatchedTokens: A100Sweep.MaxNumBatchedTokens}, A100SweepWorkload(pt.Concurrency))
		if err != nil {
			return Report{}, err
		}
		r.Sweep = append(r.Sweep, res)
	}
	for _, sr := range SaturatedRatios {
		cfg := engine.Config{Model: m}
		if sr.Model != nil {
			cfg = engine.Config{Model: *sr.Model, TensorParallelSize: sr.TP, MaxModelLen: tpMaxModelLen}
		}
		cfg.Accelerator = byName[sr.Fast]
		fast, err := SimulateConfig(cfg, sr.Workload)
		if err != nil {
			return Report{}, err
		}
		cfg.Accelerator = byName[sr.Slow]
		slow, err := SimulateConfig(cfg, sr.Workload)
		if err != nil {
			return Report{}, err
		}
		r.Ratios = append(r.Ratios, RatioResult{Fast: fast, Slow: slow, Ratio: fast.OutputTokensPerSec / slow.OutputTokensPerSec})
	}
	big, err := profiles.LookupModel(TPModel)
	if err != nil {
		return Report{}, err
	}
	for _, a := range r.Accelerators {
		for _, tp := range TPSizes {
			res, err := SimulateConfig(engine.Config{Accelerator: a, Model: big, TensorParallelSize: tp, MaxModelLen: tpMaxModelLen}, SingleRequestWorkload())
			if err != nil {
				return Report{}, err
			}
			r.TP[a.Name] = append(r.TP[a.Name], res)
		}
	}
	models, err := profiles.Models()
	if err != nil {
		return Report{}, err
	}
	for _, mm := range models {
		row := CapacityRow{Model: mm.Name, TP: mm.DefaultTensorParallelSize}
		for _, a := range r.Accelerators {
			e, err := engine.New(engine.Config{Accelerator: a, Model: mm})
			if err != nil {
				row.Tokens = append(row.Tokens, "does not fit at full context")
				continue
			}
			cc := e.CacheConfig()
			row.Tokens = append(row.Tokens, fmt.Sprintf("%d blocks, %d tokens", cc.NumGPUBlocks, cc.MaxTokens))
		}
		r.Capacity = append(r.Capacity, row)
	}
	return r, nil
}

// Generate measures and writes CALIBRATION.md to w.
func Generate(w io.Writer) error {
	r, err := Measure()
	if err != nil {
		return fmt.Errorf("measuring calibration workloads: %w", err)
	}
	var b bytes.Buffer
	r.render(&b)
	_, err = w.Write(b.Bytes())
	return err
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", d.Seconds()*1e3) }

func pct(sim, pub float64) string { return fmt.Sprintf("%+.0f%%", (sim/pub-1)*100) }

func (r Report) render(b *bytes.Buffer) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("# Calibration of the simulated engine\n\n")
	p("Generated by `go run ./simulator/cmd/saturn-calibrate` from the profiles in this directory; do not edit.\n")
	p("A test in `simulator/calibration` fails when this file is stale or when the figures leave their tolerances.\n\n")
	p("## Method\n\n")
	p("The engine runs the benchmark client's closed loop on a virtual clock: *c* clients each send a request and send the next as soon as it finishes, %d x *c* requests in all, vLLM defaults otherwise (block size 16, 256 sequences, 8192 batched tokens, memory utilization 0.9). ", BenchmarkWorkload(1).Requests)
	p("Prompts are drawn uniformly from %d..%d tokens (\"short chat prompts\"). ", BenchmarkWorkload(1).PromptMin, BenchmarkWorkload(1).PromptMax)
	p("The published run states no output length, but its throughput implies one: at concurrency *c*, tokens/s = *c* x *n* / (TTFT + (*n*-1) x TPOT) gives a mean of *n* = 53 tokens at *c* = 4 and 47 at *c* = 16, so outputs are drawn from %d..%d tokens. ", BenchmarkWorkload(1).OutputMin, BenchmarkWorkload(1).OutputMax)
	p("TTFT is measured from the request's arrival (queueing and the per-request API overhead included), TPOT per request as (end-to-end - TTFT) / (output - 1) and averaged, as `vllm bench serve` does.\n\n")

	p("## %s on H100: simulated and published\n\n", r.Model.Name)
	p("Published: %s.\n\n", PublishedSource)
	p("| concurrency | TTFT p50 simulated | TTFT p50 published | TPOT simulated | TPOT published | TPOT error | output tok/s simulated | output tok/s published |\n")
	p("|---|---|---|---|---|---|---|---|\n")
	for i, pub := range PublishedH100 {
		s := r.Bench["H100"][i]
		p("| %d | %s | %s | %s | %s | %s | %.0f | %.0f |\n", pub.Concurrency, ms(s.TTFTP50), ms(pub.TTFTP50), ms(s.TPOTMean), ms(pub.TPOT),
			pct(s.TPOTMean.Seconds(), pub.TPOT.Seconds()), s.OutputTokensPerSec, pub.OutputTokS)
	}
	p("\nTPOT is held within 20%% of the published figures; TTFT only to its order of magnitude: the simulated TTFT rises with concurrency more slowly than the published one.\n\n")

	p("## The same workload on every accelerator\n\n")
	p("Decode is memory-bound, so at low concurrency TPOT should scale with the inverse of memory bandwidth, diluted by the fixed per-step overheads.\n\n")
	p("| accelerator | bandwidth | TPOT c=1 | TPOT c=4 | TPOT c=16 | TTFT p50 c=16 | output tok/s c=16 | TPOT c=1 / H100's | H100 bandwidth / this |\n")
	p("|---|---|---|---|---|---|---|---|---|\n")
	h := r.Bench["H100"]
	hb := r.Accelerators[0].MemoryBandwidthGBps
	for _, a := range r.Accelerators {
		s := r.Bench[a.Name]
		p("| %s | %.0f GB/s | %s | %s | %s | %s | %.0f | %.2f | %.2f |\n", a.Name, a.MemoryBandwidthGBps, ms(s[0].TPOTMean), ms(s[1].TPOTMean), ms(s[2].TPOTMean),
			ms(s[2].TTFTP50), s[2].OutputTokensPerSec, s[0].TPOTMean.Seconds()/h[0].TPOTMean.Seconds(), hb/a.MemoryBandwidthGBps)
	}
	p("\n## Batch-1 latency and the rules of thumb\n\n")
	p("One client, %d-token prompts, %d-token outputs. The rule-of-thumb ranges describe real deployments with their API, network and gateway overhead; the engine is calibrated to a bare vLLM server, so it sits at or below them, by similar amounts on every accelerator.\n\n",
		SingleRequestWorkload().PromptMin, SingleRequestWorkload().OutputMin)
	p("| accelerator | ITL simulated | ITL rule of thumb | TTFT simulated | TTFT rule of thumb |\n")
	p("|---|---|---|---|---|\n")
	for _, a := range r.Accelerators {
		s := r.Single[a.Name]
		itl, ttft := "no public figure", "no public figure"
		for _, rt := range RulesOfThumb {
			if rt.Accelerator == a.Name {
				itl = fmt.Sprintf("%g - %g ms", rt.ITLLo.Seconds()*1e3, rt.ITLHi.Seconds()*1e3)
				ttft = fmt.Sprintf("%g - %g ms", rt.TTFTLo.Seconds()*1e3, rt.TTFTHi.Seconds()*1e3)
			}
		}
		p("| %s | %s | %s | %s | %s |\n", a.Name, ms(s.TPOTMean), itl, ms(s.TTFTP50), ttft)
	}
	p("\n## Saturation\n\n")
	sw := SaturationWorkload()
	p("%d clients (vLLM's default max-num-seqs), prompts %d..%d and outputs %d..%d tokens: the replica's capacity. ", sw.Concurrency, sw.PromptMin, sw.PromptMax, sw.OutputMin, sw.OutputMax)
	p("A full batch is compute-bound: a step's decode and prefill tokens share the linear layers' GEMMs, which run at the matmul efficiency once the batch is large, while the memory time (weights once per step, each sequence's KV cache) overlaps them; so capacity ratios follow the larger of the achieved-peak (BF16 x matmul efficiency) and achieved-bandwidth ratios, compressed by the fixed per-step overheads that every accelerator pays alike.\n\n")
	p("| accelerator | requests/s | output tok/s | TPOT | TTFT p50 | output tok/s / H100's |\n")
	p("|---|---|---|---|---|---|\n")
	hs := r.Saturated["H100"].OutputTokensPerSec
	for _, a := range r.Accelerators {
		s := r.Saturated[a.Name]
		p("| %s | %.1f | %.0f | %s | %s | %.2f |\n", a.Name, s.RequestsPerSec, s.OutputTokensPerSec, ms(s.TPOTMean), ms(s.TTFTP50), s.OutputTokensPerSec/hs)
	}
	p("\n## Under load\n\n")
	pw := PoissonWorkload(PoissonRates[0])
	p("Open loop: %d-token prompts and %d-token outputs arriving as a Poisson process (as `vllm bench serve --request-rate` sends them), two minutes of arrivals per rate. ", pw.PromptMin, pw.OutputMin)
	p("ITL is the mean TPOT; in flight is the time-average number of requests in the server (queued or running), by Little's law. A rate above a replica's capacity shows as output below the offered %d x rate tok/s and a growing queue.\n\n", pw.OutputMin)
	p("| accelerator |")
	for _, rate := range PoissonRates {
		p(" %g req/s: ITL, TTFT p50, output tok/s, in flight |", rate)
	}
	p("\n|---|%s\n", strings.Repeat("---|", len(PoissonRates)))
	for _, a := range r.Accelerators {
		p("| %s |", a.Name)
		for _, res := range r.Load[a.Name] {
			p(" %s, %s, %.0f, %.1f |", ms(res.TPOTMean), ms(res.TTFTP50), res.OutputTokensPerSec, res.MeanInFlight)
		}
		p("\n")
	}
	p("\nRatios to H100, next to the datasheet's: saturated output tokens/s (the Saturation table) against the BF16 peak ratio, and batch-1 ITL against the bandwidth ratio.\n\n")
	p("| accelerator | saturated tok/s: H100 / this | BF16 peak: H100 / this | batch-1 ITL: this / H100 | bandwidth: H100 / this |\n")
	p("|---|---|---|---|---|\n")
	h100 := r.Accelerators[0]
	for _, a := range r.Accelerators[1:] {
		p("| %s | %.2f | %.2f | %.2f | %.2f |\n", a.Name, hs/r.Saturated[a.Name].OutputTokensPerSec, h100.BF16TFLOPS/a.BF16TFLOPS,
			r.Single[a.Name].TPOTMean.Seconds()/r.Single["H100"].TPOTMean.Seconds(), h100.MemoryBandwidthGBps/a.MemoryBandwidthGBps)
	}
	p("\n## Published figures on A100 and L40S\n\n")
	p("A100 concurrency sweep, %s. Simulated with the A100 profile at the 40 GB part's datasheet memory and bandwidth (%g GB, %g GB/s), prompts of %d and outputs of %d tokens.\n\n",
		A100Sweep.Source, A100Sweep.MemoryGiB, A100Sweep.MemoryBandwidthGBps, A100SweepWorkload(1).PromptMin, A100SweepWorkload(1).OutputMin)
	p("The published 75 tok/s at one request is a decode rate (the post sets it against the bandwidth ceiling), so it is compared as TPOT = 1/75 s; at concurrency 8 the published figure is the throughput gain over one request. ")
	p("vLLM V1 schedules at most %d batched tokens per step on an A100 (8192 on H100-class parts), so the simulation does too.\n\n", A100Sweep.MaxNumBatchedTokens)
	p("| concurrency | TPOT simulated | TPOT published | output tok/s simulated | gain over one request simulated | gain published | error | TTFT p50 simulated |\n")
	p("|---|---|---|---|---|---|---|---|\n")
	one := r.Sweep[0]
	for i, pt := range A100Sweep.Points {
		res := r.Sweep[i]
		if pt.TPOT > 0 {
			p("| %d | %s | %s | %.0f | 1.00 | 1.00 | %s | %s |\n", pt.Concurrency, ms(res.TPOTMean), ms(pt.TPOT), res.OutputTokensPerSec, pct(res.TPOTMean.Seconds(), pt.TPOT.Seconds()), ms(res.TTFTP50))
			continue
		}
		gain, pubGain := res.OutputTokensPerSec/one.OutputTokensPerSec, pt.OutputTokS/A100Sweep.Points[0].OutputTokS
		p("| %d | %s | no figure | %.0f | %.2f | %.2f | %s | %s |\n", pt.Concurrency, ms(res.TPOTMean), res.OutputTokensPerSec, gain, pubGain, pct(gain, pubGain), ms(res.TTFTP50))
	}
	p("\nSaturating throughput ratios, each held within 20%% of the published one:\n\n")
	p("| ratio | simulated | published | error | simulated output tok/s | workload | source |\n")
	p("|---|---|---|---|---|---|---|\n")
	for i, sr := range SaturatedRatios {
		rr := r.Ratios[i]
		p("| %s / %s | %.2f | %.2f | %s | %.0f / %.0f | %s | %s |\n", sr.Fast, sr.Slow, rr.Ratio, sr.Ratio, pct(rr.Ratio, sr.Ratio),
			rr.Fast.OutputTokensPerSec, rr.Slow.OutputTokensPerSec, sr.WorkloadNote, sr.Source)
	}
	p("\n## Tensor parallelism\n\n")
	p("%s, one client, %d-token prompts, %d-token outputs, max model length %d. Every layer all-reduces the batch's hidden states twice over the interconnect, serially with compute.\n\n",
		TPModel, SingleRequestWorkload().PromptMin, SingleRequestWorkload().OutputMin, tpMaxModelLen)
	p("| accelerator | interconnect |")
	for _, tp := range TPSizes {
		p(" ITL TP %d | TTFT TP %d |", tp, tp)
	}
	p("\n|---|---|%s\n", strings.Repeat("---|---|", len(TPSizes)))
	for _, a := range r.Accelerators {
		p("| %s | %s, %.0f GB/s, %v |", a.Name, a.Interconnect.Name, a.Interconnect.BandwidthGBps, a.Interconnect.AllReduceLatency.Duration)
		for _, res := range r.TP[a.Name] {
			p(" %s | %s |", ms(res.TPOTMean), ms(res.TTFTP50))
		}
		p("\n")
	}
	p("\n## Coefficients\n\n")
	p("| accelerator | matmul compute | decode attention compute | memory bandwidth | compute/memory overlap | per step | per layer | per prefill step | per request | cost per hour |\n")
	p("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, a := range r.Accelerators {
		e, o := a.Efficiency, a.Overheads
		p("| %s | %.2f | %.2f | %.2f | %.2f | %v | %v | %v | %v | $%.2f |\n", a.Name, e.MatmulCompute, e.DecodeAttentionCompute, e.MemoryBandwidth, e.ComputeMemoryOverlap,
			o.PerStep.Duration, o.PerLayer.Duration, o.PerPrefillStep.Duration, o.PerRequest.Duration, a.CostPerHour)
	}
	p("\nThe step time is a roofline with an efficiency per regime: memory-bound streaming of weights and KV cache at the memory-bandwidth efficiency, compute-bound matrix multiplications (every token's linear layers, prefill attention) at the matmul efficiency, decode attention at its own; the two overlap by the overlap factor, and per-step and per-layer overheads are added. ")
	p("Matmul efficiencies of H100 and L40S are the published prefill roofline factors of a discrete-event vLLM simulator (L40S cross-checked against MLPerf's L40S/H100 ratio above); the A100's is fitted to Lambda's H100/A100 ratio at saturation, since the simulator's factor (0.38) would make an A100 reach a smaller fraction of its peak than an H100, the reverse of GEMM benchmarks on the two parts; decode-attention efficiencies are that simulator's decode factors (Intel-Max-1550: assumptions stated in its profile). ")
	p("The memory-bandwidth efficiency, the compute/memory overlap and the per-prefill-step overhead (a step carrying prefill tokens replays no full CUDA graph) were fitted to the H100 figures above and carried over unchanged to A100 and L40S, so their differences come from datasheet facts only. ")
	p("The per-request overhead is API handling and tokenization only: queueing, which simpler simulators fold into a ~15 ms constant, is modelled by the scheduler.\n\n")
	p("## KV cache capacity\n\n")
	p("At the model's default tensor parallelism, memory utilization 0.9 and full context length.\n\n")
	p("| model | TP |")
	for _, a := range r.Accelerators {
		p(" %s |", a.Name)
	}
	p("\n|---|---|%s\n", strings.Repeat("---|", len(r.Accelerators)))
	for _, c := range r.Capacity {
		p("| %s | %d | %s |\n", c.Model, c.TP, strings.Join(c.Tokens, " | "))
	}
}
