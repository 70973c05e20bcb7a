package vllmmetrics

import "github.com/saturn-autoscaler/saturn/simulator/engine"

// FromEngineCache converts the engine's cache configuration for
// vllm:cache_config_info.
func FromEngineCache(cc engine.CacheConfig) CacheConfig {
	return CacheConfig{
		BlockSize:            cc.BlockSize,
		NumGPUBlocks:         cc.NumGPUBlocks,
		GPUMemoryUtilization: cc.GPUMemoryUtilization,
		EnablePrefixCaching:  cc.EnablePrefixCaching,
		CacheDType:           cc.CacheDType,
	}
}

// FromEngineStats converts engine statistics to the scheduler state the
// gauges and counters follow.
func FromEngineStats(s engine.Stats) Scheduler {
	return Scheduler{
		Running:          s.Running,
		Waiting:          s.Waiting,
		KVCacheUsage:     s.KVCacheUsage,
		Preemptions:      s.Preemptions,
		PromptTokens:     s.PromptTokens,
		GenerationTokens: s.GenerationTokens,
		PrefixQueries:    s.PrefixQueries,
		PrefixHits:       s.PrefixHits,

		PromptTokensCached: s.PromptTokensCached,
		StepTokens:         s.StepTokens,
	}
}

// SetFromStats is SetScheduler(FromEngineStats(s)): call it after every
// engine step (or batch of steps).
func (m *Metrics) SetFromStats(s engine.Stats) {
	m.SetScheduler(FromEngineStats(s))
}

// FromEngineRequest converts the statistics of a finished engine request.
// Times are the engine's; a server that measures what clients observe should
// overwrite E2E with its own measurement.
func FromEngineRequest(reason string, s engine.RequestStats, maxTokens int) Request {
	r := Request{
		FinishedReason:   reason,
		E2E:              s.Finished.Sub(s.Arrival),
		PromptTokens:     s.PromptTokens,
		GenerationTokens: s.OutputTokens,
		MaxTokens:        maxTokens,

		CachedPromptTokens: s.CachedPromptTokens,
	}
	if !s.Scheduled.IsZero() {
		r.Queue = s.Scheduled.Sub(s.Arrival)
		if !s.FirstToken.IsZero() {
			r.Prefill = s.FirstToken.Sub(s.Scheduled)
			r.Decode = s.Finished.Sub(s.FirstToken)
		} else {
			r.Prefill = s.Finished.Sub(s.Scheduled)
		}
	} else {
		r.Queue = s.Finished.Sub(s.Arrival)
	}
	return r
}
