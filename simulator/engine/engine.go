package engine

import (
	"fmt"
	"math"
	"time"
)

// maxRunSteps caps one fast-forwarded run, bounding float error in its
// closed-form duration.
const maxRunSteps = 1 << 20

// Engine is one simulated vLLM replica. It is not safe for concurrent use:
// a driver serializes calls.
type Engine struct {
	cfg       Config
	cm        costModel
	blockSize int
	pool      blockPool
	cache     CacheConfig
	overhead  float64 // per-request API overhead, seconds

	groups map[string]*prefixGroup
	reqs   map[string]*req
	spare  []*req

	epochSet bool
	epoch    time.Time
	now      float64 // seconds since epoch up to which the engine has run

	pending    deque // in API handling, ordered by queued time
	waiting    deque
	running    runList
	prefilling []*req // running requests in prefill, admission order

	// decoding requests
	heap     finishHeap
	phaseCnt []int
	nDec     int
	sumBase  int64 // sum over decoders of target - base

	step  int64 // index of the next step to schedule
	seq   uint64
	plans int64 // plans built (a fast-forwarded run counts once)
	plan  plan
	itl   suffixMax

	aborts []*req
	events []Event
	st     Stats
}

// plan is the step or run of identical decode steps in progress.
type plan struct {
	active bool
	start  float64 // start time of its step 0
	first  int64   // global index of its step 0
	k      int64   // steps planned
	done   int64   // steps completed
	alloc  int64   // steps whose KV blocks are allocated
	nDec   int     // decoding requests in it
	r      run
}

// New builds an engine: it applies defaults, validates the config and sizes
// the KV cache. It fails, naming the field, when the model does not fit.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuring engine: %w", err)
	}
	cfg = cfg.WithDefaults()
	acc, m := cfg.Accelerator, cfg.Model
	tp := float64(cfg.TensorParallelSize)
	kvHeadsPerDevice := max(1, m.KVHeads/cfg.TensorParallelSize)
	kvBytes := 2 * float64(m.Layers) * float64(kvHeadsPerDevice) * float64(m.HeadDim) * float64(m.DTypeBytes)
	weights := m.WeightBytes() / tp
	activation := float64(cfg.MaxNumBatchedTokens)*(4*float64(m.HiddenSize)+2*float64(m.IntermediateSize)/tp)*float64(m.DTypeBytes) +
		float64(cfg.MaxNumSeqs)*float64(m.VocabSize)*4
	reserve := acc.Overheads.RuntimeReserveGiB * (1 << 30)
	budget := acc.MemoryBytes()*cfg.GPUMemoryUtilization - weights - activation - reserve
	if budget <= 0 {
		return nil, fmt.Errorf("configuring engine: model %s needs %.1f GiB of weights, %.1f GiB of activations and %.1f GiB of runtime reserve per device, more than %.2f x %.1f GiB on %s: raise field TensorParallelSize (--tensor-parallel-size) or GPUMemoryUtilization (--gpu-memory-utilization), or use a larger accelerator",
			m.Name, weights/(1<<30), activation/(1<<30), reserve/(1<<30), cfg.GPUMemoryUtilization, acc.MemoryGiB, acc.Name)
	}
	blocks := int(budget / (float64(cfg.BlockSize) * kvBytes))
	if blocks*cfg.BlockSize < cfg.MaxModelLen {
		return nil, fmt.Errorf("configuring engine: the KV cache holds %d tokens, fewer than field MaxModelLen (--max-model-len) %d: lower MaxModelLen, raise GPUMemoryUtilization or TensorParallelSize",
			blocks*cfg.BlockSize, cfg.MaxModelLen)
	}
	e := &Engine{
		cfg:       cfg,
		blockSize: cfg.BlockSize,
		overhead:  acc.Overheads.PerRequest.Seconds(),
		groups:    map[string]*prefixGroup{},
		reqs:      map[string]*req{},
		phaseCnt:  make([]int, cfg.BlockSize),
	}
	e.cm = costModel{
		linearFLOPsPerToken: 2 * m.Params / tp,
		attnFLOPsPerPair:    4 * float64(m.Layers) * float64(m.AttentionHeads) * float64(m.HeadDim) / tp,
		matmulFLOPS:         acc.BF16TFLOPS * 1e12 * acc.Efficiency.MatmulCompute,
		decodeAttnFLOPS:     acc.BF16TFLOPS * 1e12 * acc.Efficiency.DecodeAttentionCompute,
		weightBytes:         weights,
		kvBytesPerToken:     kvBytes,
		bandwidth:           acc.MemoryBandwidthGBps * 1e9 * acc.Efficiency.MemoryBandwidth,
		overlap:             acc.Efficiency.ComputeMemoryOverlap,
		overhead:            acc.Overheads.PerStep.Seconds() + float64(m.Layers)*acc.Overheads.PerLayer.Seconds(),
		prefillOverhead:     acc.Overheads.PerPrefillStep.Seconds(),
	}
	if cfg.TensorParallelSize > 1 {
		// Ring all-reduce of each token's hidden state, twice per layer.
		allReduces := 2 * float64(m.Layers)
		ring := 2 * (tp - 1) / tp
		e.cm.commFixed = allReduces * acc.Interconnect.AllReduceLatency.Seconds()
		e.cm.commPerToken = allReduces * ring * float64(m.HiddenSize*m.DTypeBytes) / (acc.Interconnect.BandwidthGBps * 1e9)
	}
	e.pool = blockPool{total: blocks, free: blocks}
	e.cache = CacheConfig{
		BlockSize:                cfg.BlockSize,
		NumGPUBlocks:             blocks,
		GPUMemoryUtilization:     cfg.GPUMemoryUtilization,
		EnablePrefixCaching:      cfg.EnablePrefixCaching,
		CacheDType:               "auto",
		MaxTokens:                blocks * cfg.BlockSize,
		KVBytesPerTokenPerDevice: kvBytes,
	}
	e.st.TotalBlocks = blocks
	e.st.BlockSize = cfg.BlockSize
	return e, nil
}

// Config returns the engine's config with defaults applied.
func (e *Engine) Config() Config { return e.cfg }

// CacheConfig returns the KV cache configuration.
func (e *Engine) CacheConfig() CacheConfig { return e.cache }

func (e *Engine) sec(now time.Time) float64 {
	if !e.epochSet {
		e.epochSet = true
		e.epoch = now
	}
	t := now.Sub(e.epoch).Seconds()
	if t < e.now {
		t = e.now
	}
	return t
}

func (e *Engine) at(t float64) time.Time {
	return e.epoch.Add(time.Duration(math.Round(t * 1e9)))
}

// Add hands a request to the engine at time now (its arrival at the API
// server). It returns an error wrapping ErrInvalidRequest, ErrPromptTooLong
// or ErrExceedsKVCache for a request that can never be served; the request is
// then counted in Stats.Rejected and produces no events.
func (e *Engine) Add(now time.Time, r Request) error {
	t := e.sec(now)
	e.advance(t)
	if err := e.check(r); err != nil {
		e.st.Rejected++
		return err
	}
	q := e.newReq()
	q.id = r.ID
	q.prompt = r.PromptTokens
	q.output = r.OutputTokens
	q.stop = r.Stop
	q.target = r.PromptTokens
	q.arrival = t
	q.queued = t + e.overhead
	if e.cfg.EnablePrefixCaching && r.PrefixGroup != "" && r.PrefixTokens >= e.blockSize {
		g := e.groups[r.PrefixGroup]
		if g == nil {
			g = &prefixGroup{}
			e.groups[r.PrefixGroup] = g
		}
		q.group = g
		q.prefixTokens = r.PrefixTokens
	}
	e.reqs[q.id] = q
	e.pending.pushBack(q)
	// A run of decode steps must end when this request reaches the waiting
	// queue, unless it would queue behind a request the run already blocks.
	if e.plan.active && e.waiting.len() == 0 && e.running.n < e.cfg.MaxNumSeqs {
		e.truncate(q.queued)
	}
	return nil
}

func (e *Engine) check(r Request) error {
	switch {
	case r.ID == "":
		return fmt.Errorf("adding request: field ID must not be empty: %w", ErrInvalidRequest)
	case e.reqs[r.ID] != nil:
		return fmt.Errorf("adding request %q: a request with this ID is in flight: %w", r.ID, ErrInvalidRequest)
	case r.PromptTokens < 1:
		return fmt.Errorf("adding request %q: field PromptTokens must be at least 1, got %d: %w", r.ID, r.PromptTokens, ErrInvalidRequest)
	case r.OutputTokens < 1:
		return fmt.Errorf("adding request %q: field OutputTokens must be at least 1, got %d: %w", r.ID, r.OutputTokens, ErrInvalidRequest)
	case r.PrefixTokens < 0 || r.PrefixTokens > r.PromptTokens:
		return fmt.Errorf("adding request %q: field PrefixTokens must be between 0 and PromptTokens (%d), got %d: %w", r.ID, r.PromptTokens, r.PrefixTokens, ErrInvalidRequest)
	case r.PrefixTokens > 0 && r.PrefixGroup == "":
		return fmt.Errorf("adding request %q: field PrefixGroup must be set when PrefixTokens is: %w", r.ID, ErrInvalidRequest)
	case r.PromptTokens+r.OutputTokens > e.cfg.MaxModelLen:
		return fmt.Errorf("adding request %q: %d prompt + %d output tokens > max model length %d: %w", r.ID, r.PromptTokens, r.OutputTokens, e.cfg.MaxModelLen, ErrPromptTooLong)
	case ceilDiv(r.PromptTokens+r.OutputTokens, e.blockSize) > e.pool.total:
		return fmt.Errorf("adding request %q: needs %d blocks, the cache has %d: %w", r.ID, ceilDiv(r.PromptTokens+r.OutputTokens, e.blockSize), e.pool.total, ErrExceedsKVCache)
	}
	return nil
}

func (e *Engine) newReq() *req {
	if n := len(e.spare); n > 0 {
		q := e.spare[n-1]
		e.spare = e.spare[:n-1]
		return q
	}
	q := &req{}
	q.reset()
	return q
}

// Abort ends a request at time now, as when its client disconnects. A
// waiting request ends at once; a running one at the end of the step in
// progress. It reports whether the request was in flight. Its EventFinished
// (reason "abort") is returned by the next Advance.
func (e *Engine) Abort(now time.Time, id string) bool {
	t := e.sec(now)
	e.advance(t)
	q := e.reqs[id]
	if q == nil {
		return false
	}
	switch q.state {
	case statePending:
		e.pending.remove(q)
		e.finish(q, t, FinishAbort)
	case stateWaiting:
		head := e.waiting.front() == q
		e.waiting.remove(q)
		e.finish(q, t, FinishAbort)
		if head {
			e.truncate(t) // the request behind it may fit
		}
	case statePrefill, stateDecode:
		for _, a := range e.aborts {
			if a == q {
				return true
			}
		}
		e.aborts = append(e.aborts, q)
		e.truncate(t)
	default:
		return false
	}
	return true
}

// NextEventTime is the time at which calling Advance next makes progress:
// the end of the step or run of steps in progress, or when the engine is idle
// the arrival of the next request in the waiting queue. No event happens
// before it. It returns false when the engine has nothing to do.
func (e *Engine) NextEventTime() (time.Time, bool) {
	if e.plan.active {
		return e.at(e.plan.start + e.plan.r.elapsed(e.plan.k)), true
	}
	if e.pending.len() > 0 {
		return e.at(max(e.now, e.pending.front().queued)), true
	}
	return time.Time{}, false
}

// Idle reports whether the engine has no request at all.
func (e *Engine) Idle() bool { return len(e.reqs) == 0 }

// Advance runs every engine step that ends at or before now and returns the
// events that happened (since the previous call), in time order.
func (e *Engine) Advance(now time.Time) []Event {
	return e.AdvanceInto(nil, now)
}

// AdvanceInto is Advance appending to dst, to let a driver reuse a buffer.
func (e *Engine) AdvanceInto(dst []Event, now time.Time) []Event {
	e.advance(e.sec(now))
	dst = append(dst, e.events...)
	clear(e.events)
	e.events = e.events[:0]
	return dst
}

// Stats returns the engine's gauges and counters as of the last Advance.
func (e *Engine) Stats() Stats {
	s := e.st
	s.Running = e.running.n
	s.Waiting = e.waiting.len() + e.pendingReady()
	s.UsedBlocks = e.pool.used
	if e.pool.total > 0 {
		s.KVCacheUsage = float64(e.pool.used) / float64(e.pool.total)
	}
	return s
}

// pendingReady counts requests past their API overhead that wait for the
// next step boundary to enter the waiting queue (pending is sorted by time).
func (e *Engine) pendingReady() int {
	lo, hi := 0, e.pending.len()
	for lo < hi {
		mid := (lo + hi) / 2
		if e.pending.at(mid).queued <= e.now+timeEps {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// Requests is the number of requests in flight (pending, waiting, running).
func (e *Engine) Requests() int { return len(e.reqs) }

func ceilDiv(a, b int) int { return (a + b - 1) / b }
