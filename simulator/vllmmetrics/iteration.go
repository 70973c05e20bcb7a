package vllmmetrics

import (
	"math"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// iterationTokens is vllm:iteration_tokens_total, a histogram with one
// observation per engine step. The engine counts steps in power-of-two
// classes (engine.StepTokenCounts) rather than calling back on every step, so
// this collector exposes the classes summed into vLLM's buckets, all powers
// of two: the counts and the sum are exact.
type iterationTokens struct {
	desc *prometheus.Desc

	mu    sync.Mutex
	count [engine.StepTokenClasses]uint64
	sum   float64
}

func newIterationTokens(modelName string) *iterationTokens {
	return &iterationTokens{desc: prometheus.NewDesc(NameIterationTokensTotal,
		"Histogram of number of tokens per engine_step.", nil,
		prometheus.Labels{LabelModelName: modelName, LabelEngine: EngineIndex})}
}

// add adds the steps counted since before (a restarted engine, whose counts
// went down, adds nothing).
func (it *iterationTokens) add(now, before engine.StepTokenCounts) {
	it.mu.Lock()
	defer it.mu.Unlock()
	for c := range now.Count {
		if d := now.Count[c] - before.Count[c]; d > 0 {
			it.count[c] += uint64(d)
		}
	}
	if d := now.Sum - before.Sum; d > 0 {
		it.sum += float64(d)
	}
}

// Describe implements prometheus.Collector.
func (it *iterationTokens) Describe(ch chan<- *prometheus.Desc) { ch <- it.desc }

// Collect implements prometheus.Collector.
func (it *iterationTokens) Collect(ch chan<- prometheus.Metric) {
	it.mu.Lock()
	defer it.mu.Unlock()
	buckets := make(map[float64]uint64, len(IterationTokensBuckets))
	var total uint64
	c := 0
	for _, bound := range IterationTokensBuckets {
		// Class c holds steps of 2^(c-1)+1 .. 2^c tokens: all of them are
		// <= bound = 2^k for c <= k.
		k := int(math.Round(math.Log2(bound)))
		for ; c <= k && c < len(it.count); c++ {
			total += it.count[c]
		}
		buckets[bound] = total
	}
	for ; c < len(it.count); c++ {
		total += it.count[c]
	}
	ch <- prometheus.MustNewConstHistogram(it.desc, total, it.sum, buckets)
}
