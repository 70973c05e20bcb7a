package engine

import (
	"errors"
	"fmt"
	"math/bits"
	"time"

	"github.com/saturn-autoscaler/saturn/simulator/profiles"
)

// Config configures one simulated vLLM replica. Zero values take vLLM's
// defaults (applied by New).
type Config struct {
	Accelerator profiles.Accelerator
	Model       profiles.Model

	TensorParallelSize   int     // 0 = the model's default
	GPUMemoryUtilization float64 // 0 = 0.9
	BlockSize            int     // 0 = 16
	MaxNumSeqs           int     // 0 = 256
	MaxNumBatchedTokens  int     // 0 = 8192
	MaxModelLen          int     // 0 = the model's
	EnablePrefixCaching  bool

	// TokenEvents true makes Advance report every emitted token (EventToken),
	// stepping one engine step at a time (the real-time server). False reports
	// only first tokens, finishes, preemptions and rejections and fast-forwards
	// runs of identical decode steps in closed form (the twin).
	TokenEvents bool
}

// Defaults mirroring vLLM's.
const (
	DefaultGPUMemoryUtilization = 0.9
	DefaultBlockSize            = 16
	DefaultMaxNumSeqs           = 256
	DefaultMaxNumBatchedTokens  = 8192
)

// WithDefaults returns the config with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.TensorParallelSize == 0 {
		c.TensorParallelSize = c.Model.DefaultTensorParallelSize
	}
	if c.GPUMemoryUtilization == 0 {
		c.GPUMemoryUtilization = DefaultGPUMemoryUtilization
	}
	if c.BlockSize == 0 {
		c.BlockSize = DefaultBlockSize
	}
	if c.MaxNumSeqs == 0 {
		c.MaxNumSeqs = DefaultMaxNumSeqs
	}
	if c.MaxNumBatchedTokens == 0 {
		c.MaxNumBatchedTokens = DefaultMaxNumBatchedTokens
	}
	if c.MaxModelLen == 0 {
		c.MaxModelLen = c.Model.MaxModelLen
	}
	return c
}

// Validate checks the config after defaulting. Errors name the field (with
// the vLLM flag it mirrors) and the valid range.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if err := c.Accelerator.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("field Accelerator: %w", err))
	}
	if err := c.Model.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("field Model: %w", err))
	} else if err := c.Model.CheckTensorParallelSize(c.TensorParallelSize); err != nil {
		errs = append(errs, fmt.Errorf("field TensorParallelSize (--tensor-parallel-size): %w", err))
	}
	if !(c.GPUMemoryUtilization > 0 && c.GPUMemoryUtilization <= 1) {
		errs = append(errs, fmt.Errorf("field GPUMemoryUtilization (--gpu-memory-utilization): must be in (0, 1], got %v", c.GPUMemoryUtilization))
	}
	switch c.BlockSize {
	case 1, 8, 16, 32, 64, 128:
	default:
		errs = append(errs, fmt.Errorf("field BlockSize (--block-size): must be one of 1, 8, 16, 32, 64, 128, got %d", c.BlockSize))
	}
	if c.MaxNumSeqs < 1 || c.MaxNumSeqs > 1<<16 {
		errs = append(errs, fmt.Errorf("field MaxNumSeqs (--max-num-seqs): must be between 1 and 65536, got %d", c.MaxNumSeqs))
	}
	if c.MaxNumBatchedTokens < 1 || c.MaxNumBatchedTokens > 1<<22 {
		errs = append(errs, fmt.Errorf("field MaxNumBatchedTokens (--max-num-batched-tokens): must be between 1 and 4194304, got %d", c.MaxNumBatchedTokens))
	}
	if c.MaxNumBatchedTokens < c.MaxNumSeqs && c.MaxNumBatchedTokens >= 1 {
		errs = append(errs, fmt.Errorf("field MaxNumBatchedTokens (--max-num-batched-tokens): must be at least MaxNumSeqs (%d), got %d", c.MaxNumSeqs, c.MaxNumBatchedTokens))
	}
	if c.MaxModelLen < 1 || (c.Model.MaxModelLen > 0 && c.MaxModelLen > c.Model.MaxModelLen) {
		errs = append(errs, fmt.Errorf("field MaxModelLen (--max-model-len): must be between 1 and the model's %d, got %d", c.Model.MaxModelLen, c.MaxModelLen))
	}
	return errors.Join(errs...)
}

// Request is one inference request as the engine sees it: token counts only.
type Request struct {
	ID           string
	PromptTokens int
	// OutputTokens is the exact number of tokens to generate (the driver decides it).
	OutputTokens int
	// Stop marks a request whose last token is an end-of-sequence token: it
	// finishes with reason "stop" instead of "length".
	Stop bool
	// PrefixGroup optionally names a group of requests that share their first
	// PrefixTokens prompt tokens (a system prompt, a conversation so far).
	PrefixGroup  string
	PrefixTokens int
}

// Errors returned by Add. Use errors.Is.
var (
	// ErrPromptTooLong: prompt plus output tokens exceed MaxModelLen.
	ErrPromptTooLong = errors.New("prompt plus output tokens exceed the maximum model length")
	// ErrExceedsKVCache: the request could never fit in the KV cache.
	ErrExceedsKVCache = errors.New("request needs more KV cache blocks than the replica has")
	// ErrInvalidRequest: empty ID, non-positive token counts, duplicate ID, bad prefix.
	ErrInvalidRequest = errors.New("invalid request")
)

// EventKind says what happened to a request.
type EventKind int

// Event kinds.
const (
	// EventToken: one output token was emitted (only with Config.TokenEvents).
	// The first token is reported as EventFirstToken instead.
	EventToken EventKind = iota
	// EventFirstToken: the first output token was emitted (Index 0).
	EventFirstToken
	// EventFinished: the last token was emitted, or the request was aborted;
	// Event.Stats holds the request's statistics and Reason its finish
	// reason ("length", "stop", "abort").
	EventFinished
	// EventPreempted: the request lost its KV cache and went back to the front
	// of the waiting queue, to be recomputed.
	EventPreempted
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case EventToken:
		return "token"
	case EventFirstToken:
		return "first-token"
	case EventFinished:
		return "finished"
	case EventPreempted:
		return "preempted"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is something that happened to one request at one time.
type Event struct {
	Kind EventKind
	ID   string
	Time time.Time
	// Index is the 0-based index of the output token (token events); for
	// other kinds, the number of tokens emitted so far.
	Index int
	// Reason is the finish reason for EventFinished, the cause for
	// EventPreempted. (A request that can never be served is rejected by Add
	// with an error, and produces no event.)
	Reason string
	// Stats is filled for EventFinished.
	Stats RequestStats
}

// Finish reasons, as vLLM's finished_reason label.
const (
	FinishLength = "length"
	FinishStop   = "stop"
	FinishAbort  = "abort"
)

// RequestStats are one request's timings, delivered with EventFinished.
type RequestStats struct {
	Arrival    time.Time // Add was called
	Queued     time.Time // entered the waiting queue (Arrival + the accelerator's per-request overhead)
	Scheduled  time.Time // first admitted to the running batch (zero if never)
	FirstToken time.Time // first output token emitted (zero if never)
	Finished   time.Time // last token emitted or aborted

	PromptTokens       int
	OutputTokens       int // tokens actually emitted
	CachedPromptTokens int // prompt tokens served from the prefix cache at first admission
	Preemptions        int
	// MaxITL is the largest gap between two consecutive output tokens.
	MaxITL time.Duration
}

// FinishedCounts counts finished requests by vLLM's finished_reason.
type FinishedCounts struct {
	Length, Stop, Abort int64
}

// Stats are vLLM-equivalent gauges and counters at the engine's current time.
type Stats struct {
	Running int // requests in the running batch (vllm:num_requests_running)
	Waiting int // requests waiting, preempted ones included (vllm:num_requests_waiting)
	// KVCacheUsage is the fraction of blocks held by running requests, 0..1
	// (vllm:kv_cache_usage_perc).
	KVCacheUsage float64
	TotalBlocks  int
	UsedBlocks   int
	BlockSize    int

	Preemptions      int64 // vllm:num_preemptions_total
	PromptTokens     int64 // vllm:prompt_tokens_total (prefill tokens computed, cache hits excluded)
	GenerationTokens int64 // vllm:generation_tokens_total
	PrefixQueries    int64 // vllm:prefix_cache_queries_total (tokens)
	PrefixHits       int64 // vllm:prefix_cache_hits_total (tokens)
	Finished         FinishedCounts
	Rejected         int64
	Steps            int64 // engine steps executed
	// BusyTime is the simulated time spent executing steps.
	BusyTime time.Duration
	// PromptTokensCached counts the prompt tokens served from the prefix
	// cache, added with PromptTokens when a request's first token is emitted
	// (vllm:prompt_tokens_cached_total). Unlike PrefixHits it does not count
	// the re-admissions of preempted requests.
	PromptTokensCached int64
	// StepTokens counts engine steps by their number of tokens
	// (vllm:iteration_tokens_total).
	StepTokens StepTokenCounts
}

// CacheConfig is the replica's KV cache configuration, as vLLM reports it in
// vllm:cache_config_info.
type CacheConfig struct {
	BlockSize            int
	NumGPUBlocks         int
	GPUMemoryUtilization float64
	EnablePrefixCaching  bool
	CacheDType           string // "auto"
	// MaxTokens is NumGPUBlocks * BlockSize: the KV capacity in tokens.
	MaxTokens int
	// KVBytesPerTokenPerDevice is the KV footprint of one token on one device.
	KVBytesPerTokenPerDevice float64
}

// StepTokenClasses is the number of classes of StepTokenCounts.
const StepTokenClasses = 40

// StepTokenCounts counts engine steps by their number of tokens, as vLLM's
// vllm:iteration_tokens_total counts them: the prompt tokens of the requests
// whose first token the step emits plus the tokens it generates (so the
// tokens of all counted steps add up to PromptTokens + GenerationTokens). A
// step that emits no token (only chunks of prefills in progress) is not
// counted: vLLM records no iteration without outputs.
//
// Steps are counted in power-of-two classes: Count[0] counts steps of one
// token, Count[c] steps of 2^(c-1)+1 to 2^c tokens (the last class also
// everything above), so any histogram whose bucket bounds are powers of two,
// as vLLM's are, is exact.
type StepTokenCounts struct {
	Count [StepTokenClasses]int64
	// Sum is the number of tokens of the counted steps.
	Sum int64
}

// StepTokenClass is the class of StepTokenCounts.Count that counts a step of
// tokens tokens (tokens >= 1).
func StepTokenClass(tokens int64) int {
	if tokens <= 1 {
		return 0
	}
	return min(bits.Len64(uint64(tokens-1)), StepTokenClasses-1)
}

// add counts steps steps of tokens tokens each.
func (c *StepTokenCounts) add(tokens, steps int64) {
	if tokens <= 0 || steps <= 0 {
		return
	}
	c.Count[StepTokenClass(tokens)] += steps
	c.Sum += tokens * steps
}
