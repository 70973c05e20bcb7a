// Package engine is a pure, deterministic model of one vLLM V1 replica:
// continuous batching with chunked prefill, a paged KV cache with prefix
// caching and preemption by recompute, and a roofline step-time model whose
// coefficients all come from simulator/profiles.
//
// # Driving it
//
// The engine has no goroutines and never reads a clock: time is an argument.
// A driver calls Add(now, r) when a request arrives, Abort(now, id) when a
// client goes away, and Advance(now) to run every engine step that ends at or
// before now; Advance returns the events (first token, tokens, finish,
// preemption) in time order, stamped with the simulated time at which they
// happen. NextEventTime tells a discrete-event driver when calling Advance
// next makes progress. Times passed in must not go backwards; an earlier time
// is treated as the latest time seen. The real-time server drives it from a
// wall clock with TokenEvents on; the twin drives it from a virtual clock with
// TokenEvents off. Advance's result slice is owned by the caller; AdvanceInto
// appends into a caller-provided slice to avoid allocating.
//
// # Scheduling (vLLM V1)
//
// Each step, at its start: every running request that has finished its
// prefill gets one decode token and, when its sequence crosses a block
// boundary, one more KV block; if the cache has no free block, the most
// recently admitted running request is preempted (its blocks freed, its
// progress kept, and it goes to the front of the waiting queue to be
// recomputed), until the remaining demand fits. Then running requests still
// in prefill get their next chunk within MaxNumBatchedTokens. Then, unless a
// preemption happened in this step, waiting requests are admitted first come
// first served while the token budget, MaxNumSeqs and free KV blocks allow
// (the first one that does not fit stops admission, as in vLLM). A request
// whose prefill completes in a step emits its first token at the end of that
// step; each later step emits one token per decoding request. A request
// arrives in the waiting queue Accelerator.Overheads.PerRequest after Add
// (HTTP handling and tokenization); queueing is modelled, not a constant.
//
// # KV cache
//
// Capacity in blocks is (memory x GPUMemoryUtilization - weights/TP -
// activation reserve - runtime reserve) / (BlockSize x KV bytes per token per
// device), KV bytes per token per device = 2 x layers x max(1, KVHeads/TP) x
// head dim x dtype bytes. A sequence holds ceil(tokens/BlockSize) blocks for
// its prompt and generated tokens. With EnablePrefixCaching, requests of one
// PrefixGroup share the full blocks of their first PrefixTokens tokens:
// block i of a group stands for the chained hash of blocks 0..i. Blocks no
// longer referenced stay cached until evicted, least recently freed first and
// the tail of a chain before its head, as vLLM does. At each admission the
// prompt's tokens are counted as a prefix-cache query and the leading cached
// blocks (never the whole prompt: the last token is always recomputed) as
// hits, in tokens, as vllm:prefix_cache_queries/hits count them. Only group
// prefixes are shareable: a recomputed request does not hit its own blocks.
//
// # Step time
//
// A step is a roofline with an efficiency per regime. Its compute time is
// the matrix multiplications, 2 x params/TP x tokens for every token of the
// step (vLLM runs a step's prefill and decode tokens through the same GEMMs)
// plus prefill attention (4 x layers x heads x head dim / TP x attended
// pairs), at BF16 peak x the matmul efficiency, and decode attention (the
// same per pair) at BF16 peak x the decode-attention efficiency; its memory
// time is (weights/TP + KV bytes read) / (bandwidth x efficiency). A small
// batch is memory-bound (the weights dominate), a large one compute-bound
// (the GEMMs dominate), with no change of coefficients. The step lasts
// max(compute, memory) + (1 - overlap) x min(compute, memory) + per-step
// overhead + layers x per-layer overhead, plus the per-prefill-step overhead
// when it carries prefill tokens, plus, with tensor parallelism, two ring
// all-reduces of the batch's hidden states per layer over the interconnect
// (latency + 2 (TP-1)/TP x tokens x hidden x dtype bytes / link bandwidth),
// which do not overlap with compute.
//
// # Fast-forward
//
// With TokenEvents off, a step in which no request is in prefill, nothing was
// preempted and no waiting request could be admitted is the first of a run of
// pure decode steps with the same batch. Such a run is planned in one go: it
// lasts until the next completion (a finish-step min-heap), the step at which
// the cumulative demand for new blocks would exceed the free ones (computed
// in O(BlockSize) from a count of decoding requests by block phase), the
// step that ends at or after the next pending arrival, or 2^20 steps. Within
// the run, step j's compute and memory times are linear in j (every request's
// context grows by one token per step), so a step's duration is a convex
// piecewise-linear function of j and the end of step j is an exact closed
// form (a sum of two arithmetic series split at the compute/memory
// crossover); Advance(now) finds how many steps of the run end by now by
// binary search on that closed form, so step times are exact, not bounded.
// Per-request token counts are implicit (a global step counter minus the
// step the request started decoding), and per-request maximum inter-token
// latency comes from a suffix-maximum stack of step durations, so a run costs
// O(log n + BlockSize), not O(requests x steps). With TokenEvents on every
// run is one step long, which is what the tests compare fast-forward against.
//
// # Statistics
//
// Stats returns vLLM's gauges and counters (running, waiting, KV cache usage,
// preemptions, token and prefix-cache counters, finishes by reason) and
// does not allocate. Per-request timings (arrival, queued, scheduled, first
// token, finish, cached prompt tokens, preemptions, maximum inter-token
// latency) travel in the EventFinished of each request, so that a driver
// keeps no per-request state of its own; with TokenEvents on, a driver
// observes every inter-token gap from the token events.
//
// # Determinism
//
// No map is iterated, nothing is random, ties break by admission order: the
// same calls give the same events.
//
// This package must not start goroutines, read the wall clock, do I/O or log.
package engine
