package vllmmetrics

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// Label names and values shared by every vLLM family.
const (
	LabelModelName      = "model_name"
	LabelEngine         = "engine"
	LabelFinishedReason = "finished_reason"
	// EngineIndex is the engine label value of a single-engine server.
	EngineIndex = "0"
)

// Family names, as vLLM exposes them (histograms: the base name).
const (
	NameNumRequestsRunning          = "vllm:num_requests_running"
	NameNumRequestsWaiting          = "vllm:num_requests_waiting"
	NameKVCacheUsagePerc            = "vllm:kv_cache_usage_perc"
	NameNumPreemptionsTotal         = "vllm:num_preemptions_total"
	NamePromptTokensTotal           = "vllm:prompt_tokens_total"
	NameGenerationTokensTotal       = "vllm:generation_tokens_total"
	NamePrefixCacheQueriesTotal     = "vllm:prefix_cache_queries_total"
	NamePrefixCacheHitsTotal        = "vllm:prefix_cache_hits_total"
	NameRequestSuccessTotal         = "vllm:request_success_total"
	NameTimeToFirstTokenSeconds     = "vllm:time_to_first_token_seconds"
	NameInterTokenLatencySeconds    = "vllm:inter_token_latency_seconds"
	NameTimePerOutputTokenSeconds   = "vllm:time_per_output_token_seconds"
	NameE2ERequestLatencySeconds    = "vllm:e2e_request_latency_seconds"
	NameRequestQueueTimeSeconds     = "vllm:request_queue_time_seconds"
	NameRequestInferenceTimeSeconds = "vllm:request_inference_time_seconds"
	NameRequestPrefillTimeSeconds   = "vllm:request_prefill_time_seconds"
	NameRequestDecodeTimeSeconds    = "vllm:request_decode_time_seconds"
	NameRequestPromptTokens         = "vllm:request_prompt_tokens"
	NameRequestGenerationTokens     = "vllm:request_generation_tokens"
	NameRequestParamsMaxTokens      = "vllm:request_params_max_tokens"
	NameCacheConfigInfo             = "vllm:cache_config_info"

	NamePromptTokensCachedTotal          = "vllm:prompt_tokens_cached_total"
	NameIterationTokensTotal             = "vllm:iteration_tokens_total"
	NameRequestTimePerOutputTokenSeconds = "vllm:request_time_per_output_token_seconds"
	NameRequestParamsN                   = "vllm:request_params_n"
	NameRequestMaxNumGenerationTokens    = "vllm:request_max_num_generation_tokens"
	NameRequestPrefillKVComputedTokens   = "vllm:request_prefill_kv_computed_tokens"
)

// FinishedReasons are the finished_reason values vLLM pre-creates.
var FinishedReasons = []string{"stop", "length", "abort", "error"}

// CacheConfig is what vllm:cache_config_info reports.
type CacheConfig struct {
	BlockSize            int
	NumGPUBlocks         int
	NumCPUBlocks         int
	GPUMemoryUtilization float64
	EnablePrefixCaching  bool
	CacheDType           string // "auto" when empty
	SwapSpaceGiB         float64
}

// Scheduler is the engine state that the gauges and the cumulative counters
// follow. Counters are cumulative since the engine started; Metrics adds the
// increase since the previous call.
type Scheduler struct {
	Running, Waiting int
	KVCacheUsage     float64 // 0..1
	Preemptions      int64
	PromptTokens     int64
	GenerationTokens int64
	PrefixQueries    int64 // in tokens
	PrefixHits       int64 // in tokens
	// PromptTokensCached counts prompt tokens served from the prefix cache.
	PromptTokensCached int64
	// StepTokens counts engine steps by their number of tokens
	// (vllm:iteration_tokens_total).
	StepTokens engine.StepTokenCounts
}

// Request is what is observed when a request finishes.
type Request struct {
	FinishedReason   string // one of FinishedReasons
	E2E              time.Duration
	Queue            time.Duration // waiting before first scheduled
	Prefill          time.Duration // first scheduled to first token
	Decode           time.Duration // first token to last token
	PromptTokens     int
	GenerationTokens int
	MaxTokens        int // the request's max_tokens parameter; 0 when absent
	// CachedPromptTokens are the prompt tokens served from the prefix cache.
	CachedPromptTokens int
	// N is the n parameter of the request this sequence belongs to; 0 means
	// 1. ObserveFinished records vllm:request_params_n and
	// vllm:request_max_num_generation_tokens for a request of n = 1; for
	// n > 1 vLLM records them once per request, when its last sample
	// finishes: call ObserveParallelSampling then.
	N int
}

// Metrics are one vLLM engine's metric families, bound to a served model name.
// Its methods are safe for concurrent use.
type Metrics struct {
	running, waiting, kvUsage prometheus.Gauge

	preemptions, promptTokens, generationTokens prometheus.Counter
	prefixQueries, prefixHits                   prometheus.Counter
	success                                     map[string]prometheus.Counter
	successVec                                  *prometheus.CounterVec

	promptTokensCached prometheus.Counter

	ttft, itl, tpot                              prometheus.Observer
	e2e, queue, inference, prefill, decode       prometheus.Observer
	promptTokensReq, generationTokensReq, maxTok prometheus.Observer
	tpotReq, nParam, maxGenTokens, prefillKV     prometheus.Observer

	iteration *iterationTokens

	mu   sync.Mutex // guards last
	last Scheduler
}

// New registers vLLM's families for modelName on reg. maxModelLen sizes the
// token-count histograms as vLLM does. It panics only if reg already holds
// families with these names, as prometheus.MustRegister does; use Register to
// get that as an error.
func New(reg prometheus.Registerer, modelName string, maxModelLen int, cc CacheConfig) *Metrics {
	m, err := Register(reg, modelName, maxModelLen, cc)
	if err != nil {
		panic(err)
	}
	return m
}

// Register is New returning registration conflicts as an error.
func Register(reg prometheus.Registerer, modelName string, maxModelLen int, cc CacheConfig) (*Metrics, error) {
	labels := []string{LabelModelName, LabelEngine}
	values := []string{modelName, EngineIndex}
	var collectors []prometheus.Collector

	gauge := func(name, help string) prometheus.Gauge {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		collectors = append(collectors, v)
		return v.WithLabelValues(values...)
	}
	counter := func(name, help string) prometheus.Counter {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		collectors = append(collectors, v)
		return v.WithLabelValues(values...)
	}
	histogram := func(name, help string, buckets []float64) prometheus.Observer {
		v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
		collectors = append(collectors, v)
		return v.WithLabelValues(values...)
	}
	tokenBuckets := Buckets125(max(maxModelLen, 1))

	m := &Metrics{
		running: gauge(NameNumRequestsRunning, "Number of requests in model execution batches."),
		waiting: gauge(NameNumRequestsWaiting, "Number of requests waiting to be processed."),
		kvUsage: gauge(NameKVCacheUsagePerc, "KV-cache usage. 1 means 100 percent usage."),

		preemptions:      counter(NameNumPreemptionsTotal, "Cumulative number of preemption from the engine."),
		promptTokens:     counter(NamePromptTokensTotal, "Number of prefill tokens processed."),
		generationTokens: counter(NameGenerationTokensTotal, "Number of generation tokens processed."),
		prefixQueries:    counter(NamePrefixCacheQueriesTotal, "Prefix cache queries, in terms of number of queried tokens."),
		prefixHits:       counter(NamePrefixCacheHitsTotal, "Prefix cache hits, in terms of number of cached tokens."),

		promptTokensCached: counter(NamePromptTokensCachedTotal, "Number of cached prompt tokens (local + external)."),

		ttft:      histogram(NameTimeToFirstTokenSeconds, "Histogram of time to first token in seconds.", TTFTBuckets),
		itl:       histogram(NameInterTokenLatencySeconds, "Histogram of inter-token latency in seconds.", ITLBuckets),
		tpot:      histogram(NameTimePerOutputTokenSeconds, "Histogram of time per output token in seconds.DEPRECATED: Use vllm:inter_token_latency_seconds instead.", ITLBuckets),
		e2e:       histogram(NameE2ERequestLatencySeconds, "Histogram of e2e request latency in seconds.", RequestLatencyBuckets),
		queue:     histogram(NameRequestQueueTimeSeconds, "Histogram of time spent in WAITING phase for request.", RequestLatencyBuckets),
		inference: histogram(NameRequestInferenceTimeSeconds, "Histogram of time spent in RUNNING phase for request.", RequestLatencyBuckets),
		prefill:   histogram(NameRequestPrefillTimeSeconds, "Histogram of time spent in PREFILL phase for request.", RequestLatencyBuckets),
		decode:    histogram(NameRequestDecodeTimeSeconds, "Histogram of time spent in DECODE phase for request.", RequestLatencyBuckets),

		promptTokensReq:     histogram(NameRequestPromptTokens, "Number of prefill tokens processed.", tokenBuckets),
		generationTokensReq: histogram(NameRequestGenerationTokens, "Number of generation tokens processed.", tokenBuckets),
		maxTok:              histogram(NameRequestParamsMaxTokens, "Histogram of the max_tokens request parameter.", tokenBuckets),

		tpotReq:      histogram(NameRequestTimePerOutputTokenSeconds, "Histogram of time_per_output_token_seconds per request.", ITLBuckets),
		nParam:       histogram(NameRequestParamsN, "Histogram of the n request parameter.", NBuckets),
		maxGenTokens: histogram(NameRequestMaxNumGenerationTokens, "Histogram of maximum number of requested generation tokens.", tokenBuckets),
		prefillKV:    histogram(NameRequestPrefillKVComputedTokens, "Histogram of new KV tokens computed during prefill (excluding cached tokens).", tokenBuckets),

		iteration: newIterationTokens(modelName),
	}
	collectors = append(collectors, m.iteration)

	m.successVec = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: NameRequestSuccessTotal,
		Help: "Count of successfully processed requests.",
	}, []string{LabelModelName, LabelEngine, LabelFinishedReason})
	collectors = append(collectors, m.successVec)
	m.success = make(map[string]prometheus.Counter, len(FinishedReasons))
	for _, r := range FinishedReasons {
		m.success[r] = m.successVec.WithLabelValues(modelName, EngineIndex, r)
	}

	info := cacheInfoLabels(cc)
	names := make([]string, 0, len(info))
	for _, kv := range info {
		names = append(names, kv[0])
	}
	cacheInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: NameCacheConfigInfo,
		Help: "Information of the LLMEngine CacheConfig",
	}, names)
	collectors = append(collectors, cacheInfo)
	infoValues := make([]string, 0, len(info))
	for _, kv := range info {
		infoValues = append(infoValues, kv[1])
	}
	cacheInfo.WithLabelValues(infoValues...).Set(1)

	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering vLLM metrics for model %q: %w", modelName, err)
		}
	}
	return m, nil
}

// cacheInfoLabels returns the labels of vllm:cache_config_info in the form
// vLLM's CacheConfig.metrics_info() gives them: every value a Python str().
func cacheInfoLabels(cc CacheConfig) [][2]string {
	dtype := cc.CacheDType
	if dtype == "" {
		dtype = "auto"
	}
	return [][2]string{
		{"block_size", strconv.Itoa(cc.BlockSize)},
		{"cache_dtype", dtype},
		{"calculate_kv_scales", "False"},
		{"cpu_offload_gb", "0"},
		{"enable_prefix_caching", pyBool(cc.EnablePrefixCaching)},
		{LabelEngine, EngineIndex},
		{"gpu_memory_utilization", pyFloat(cc.GPUMemoryUtilization)},
		{"is_attention_free", "False"},
		{"num_cpu_blocks", strconv.Itoa(cc.NumCPUBlocks)},
		{"num_gpu_blocks", strconv.Itoa(cc.NumGPUBlocks)},
		{"num_gpu_blocks_override", "None"},
		{"prefix_caching_hash_algo", "sha256"},
		{"sliding_window", "None"},
		{"swap_space", pyFloat(cc.SwapSpaceGiB)},
	}
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// pyFloat formats like Python's str(float): always with a decimal point.
func pyFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	for _, c := range s {
		if c == '.' || c == 'e' || c == 'n' || c == 'N' || c == 'I' {
			return s
		}
	}
	return s + ".0"
}

// SetScheduler sets the gauges to s and advances the cumulative counters to
// s's totals. A total lower than the previous one (a restarted engine) adds
// nothing.
func (m *Metrics) SetScheduler(s Scheduler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running.Set(float64(s.Running))
	m.waiting.Set(float64(s.Waiting))
	m.kvUsage.Set(s.KVCacheUsage)
	addDelta(m.preemptions, s.Preemptions, m.last.Preemptions)
	addDelta(m.promptTokens, s.PromptTokens, m.last.PromptTokens)
	addDelta(m.generationTokens, s.GenerationTokens, m.last.GenerationTokens)
	addDelta(m.prefixQueries, s.PrefixQueries, m.last.PrefixQueries)
	addDelta(m.prefixHits, s.PrefixHits, m.last.PrefixHits)
	addDelta(m.promptTokensCached, s.PromptTokensCached, m.last.PromptTokensCached)
	m.iteration.add(s.StepTokens, m.last.StepTokens)
	m.last = s
}

func addDelta(c prometheus.Counter, now, before int64) {
	if now > before {
		c.Add(float64(now - before))
	}
}

// AddTokens counts tokens processed outside an engine (the server's
// --no-latency mode answers without one).
func (m *Metrics) AddTokens(prompt, generation int) {
	m.promptTokens.Add(float64(prompt))
	m.generationTokens.Add(float64(generation))
}

// ObserveFirstToken records a time to first token, queueing included.
func (m *Metrics) ObserveFirstToken(ttft time.Duration) {
	m.ttft.Observe(ttft.Seconds())
}

// ObserveInterToken records the gap between two consecutive output tokens of
// one request.
func (m *Metrics) ObserveInterToken(gap time.Duration) {
	s := gap.Seconds()
	m.itl.Observe(s)
	m.tpot.Observe(s)
}

// ObserveFinished records a finished request. An unknown reason counts as
// "error".
func (m *Metrics) ObserveFinished(r Request) {
	c, ok := m.success[r.FinishedReason]
	if !ok {
		c = m.success["error"]
	}
	c.Inc()
	m.e2e.Observe(r.E2E.Seconds())
	m.queue.Observe(r.Queue.Seconds())
	m.prefill.Observe(r.Prefill.Seconds())
	m.decode.Observe(r.Decode.Seconds())
	m.inference.Observe((r.Prefill + r.Decode).Seconds())
	m.promptTokensReq.Observe(float64(r.PromptTokens))
	m.generationTokensReq.Observe(float64(r.GenerationTokens))
	if r.MaxTokens > 0 {
		m.maxTok.Observe(float64(r.MaxTokens))
	}
	// As vLLM: the decode time over the gaps between output tokens, 0 for a
	// request of fewer than two tokens (observed all the same).
	tpot := 0.0
	if r.GenerationTokens > 1 {
		tpot = r.Decode.Seconds() / float64(r.GenerationTokens-1)
	}
	m.tpotReq.Observe(tpot)
	m.prefillKV.Observe(float64(r.PromptTokens - max(r.CachedPromptTokens, 0)))
	if r.N <= 1 {
		m.ObserveParallelSampling(1, r.GenerationTokens)
	}
}

// ObserveParallelSampling records a finished request of n samples (n > 1:
// its last sample finished) whose longest sample generated
// maxGenerationTokens tokens, as vLLM's ParentRequest does.
func (m *Metrics) ObserveParallelSampling(n, maxGenerationTokens int) {
	m.nParam.Observe(float64(n))
	m.maxGenTokens.Observe(float64(maxGenerationTokens))
}

// SuccessCounter returns the vllm:request_success_total child for reason, for
// tests; nil for an unknown reason.
func (m *Metrics) SuccessCounter(reason string) prometheus.Counter {
	return m.success[reason]
}
