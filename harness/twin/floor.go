package twin

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// Floor tuning.
const (
	// floorSampleSize is how many of the run's requests (a uniform sample) stand
	// for its mix when the saturated throughput is measured.
	floorSampleSize = 2000
	// floorWindow is the fewest completions the saturated throughput is
	// measured over, after a warm-up of one pass through the sample and before
	// a last one: long enough that the requests in flight at either end of the
	// window (up to 16 x max-num-seqs) weigh little.
	floorWindow = 8000
)

// Work accumulates what a run's requests ask of the engines: how many there
// are, their prompt and output tokens, the prompt tokens the prefix cache
// could serve at best (every request of a prefix group but the first finds
// the group's prefix cached), and a uniform sample of them (the mix).
// Feed it every generated request, in arrival order.
type Work struct {
	Requests     int64
	PromptTokens int64
	// CachedTokens is the best case of prefix-cache hits: no placement and no
	// cache size can serve more of the prompts from the cache.
	CachedTokens int64
	OutputTokens int64
	seen         map[string]struct{}
	sample       []workItem
	rng          *rand.Rand
}

type workItem struct{ prompt, cached, output int }

// NewWork returns an empty accumulator; seed makes its sample reproducible.
func NewWork(seed uint64) *Work {
	return &Work{seen: map[string]struct{}{}, rng: rand.New(rand.NewPCG(seed, 0x666c6f6f72))} // "floor"
}

// Add counts one generated request.
func (w *Work) Add(q scenario.Request) {
	it := workItem{prompt: q.PromptTokens, output: q.OutputTokens}
	if g := q.PrefixGroup; g != "" && q.PrefixTokens > 0 {
		if _, ok := w.seen[g]; ok {
			it.cached = min(q.PrefixTokens, q.PromptTokens)
		} else {
			w.seen[g] = struct{}{}
		}
	}
	w.Requests++
	w.PromptTokens += int64(it.prompt)
	w.CachedTokens += int64(it.cached)
	w.OutputTokens += int64(it.output)
	// Reservoir sampling (algorithm R): every request is in the sample with
	// the same probability.
	if len(w.sample) < floorSampleSize {
		w.sample = append(w.sample, it)
		return
	}
	if j := w.rng.Int64N(w.Requests); j < floorSampleSize {
		w.sample[j] = it
	}
}

// WorkOf regenerates the scenario's requests for seed and accumulates them
// (for drivers that did not generate them in process).
func WorkOf(sc *scenario.Scenario, seed uint64) (*Work, error) {
	w := NewWork(seed)
	for q, err := range scenario.Requests(sc, seed) {
		if err != nil {
			return nil, fmt.Errorf("generating the requests: %w", err)
		}
		w.Add(q)
	}
	return w, nil
}

// Floor is a lower bound on the GPU-hours (and cost) of any autoscaler on the
// run: the larger of
//
//   - the work bound: the run's requests processed back to back by replicas
//     of the variant with the highest saturated throughput per GPU (its
//     cheapest per unit of throughput for the cost floor), with every prefix
//     hit the traffic allows and no latency condition; and
//   - the minReplicas bound: the replica-hours the variants' minReplicas force
//     over the traffic window.
//
// The saturated throughput is measured on the engine itself, cycling a
// uniform sample of the requests through one replica kept full at several
// concurrencies (the best is taken: a full KV cache preempts and recomputes).
// Start-up time, routing and burstiness are all ignored, so every real run
// needs at least this much.
func Floor(sc *scenario.Scenario, rec *record.Record, w *Work) (*record.Floor, error) {
	f := &record.Floor{
		Requests: w.Requests, PromptTokens: w.PromptTokens, CachedTokens: w.CachedTokens, OutputTokens: w.OutputTokens,
	}
	hours := rec.Meta.Duration.Hours()
	for _, v := range rec.Meta.Variants {
		f.MinReplicaGPUHours += float64(v.MinReplicas*max(v.GPUsPerReplica, 1)) * hours
		f.MinReplicaCost += float64(v.MinReplicas) * v.CostPerHour * hours
	}
	if w.Requests > 0 && len(w.sample) > 0 {
		if err := workBound(sc, w, f); err != nil {
			return nil, err
		}
	}
	f.GPUHours = round3(max(f.WorkGPUHours, f.MinReplicaGPUHours))
	f.Cost = round3(max(f.WorkCost, f.MinReplicaCost))
	f.Bound = record.FloorBoundWork
	if f.MinReplicaGPUHours > f.WorkGPUHours {
		f.Bound = record.FloorBoundMinReplicas
	}
	f.WorkGPUHours, f.WorkCost = round3(f.WorkGPUHours), round3(f.WorkCost)
	f.MinReplicaGPUHours, f.MinReplicaCost = round3(f.MinReplicaGPUHours), round3(f.MinReplicaCost)
	return f, nil
}

// workBound fills the work bound of f.
func workBound(sc *scenario.Scenario, w *Work, f *record.Floor) error {
	bp, err := blueprint.For(sc)
	if err != nil {
		return err
	}
	bestGPU, bestCost := math.Inf(1), math.Inf(1)
	for i, vs := range sc.Spec.Variants {
		v := newVariant(i, vs, bp.Variants[i], 1)
		scale := w.scale(v.engCfg.EnablePrefixCaching)
		secs, served, err := saturatedSeconds(v.engCfg, w.sample)
		if err != nil {
			return fmt.Errorf("variant %s: %w", vs.Name, err)
		}
		if secs <= 0 || served == 0 {
			continue
		}
		// Requests no replica can take (too long) do no work.
		replicaHours := secs * scale / 3600
		if g := replicaHours * float64(v.gpus); g < bestGPU {
			bestGPU = g
			f.Variant = vs.Name
			f.MaxRPS = round3(float64(len(w.sample)) / secs)
		}
		bestCost = min(bestCost, replicaHours*vs.Cost)
	}
	if !math.IsInf(bestGPU, 1) {
		f.WorkGPUHours, f.WorkCost = bestGPU, bestCost
	}
	return nil
}

// scale is the factor from the sample's time to the run's. The sample stands
// for the whole run; under a step time that adds up the costs of prompt and
// output tokens, scaling by the smaller of the two token totals' ratios never
// overstates the run's time.
func (w *Work) scale(prefixCaching bool) float64 {
	cached := func(c int64) int64 {
		if prefixCaching {
			return c
		}
		return 0
	}
	var sp, so int64
	for _, it := range w.sample {
		sp += int64(it.prompt) - cached(int64(it.cached))
		so += int64(it.output)
	}
	if sp <= 0 || so <= 0 {
		return float64(w.Requests) / float64(len(w.sample))
	}
	return min(float64(w.PromptTokens-cached(w.CachedTokens))/float64(sp), float64(w.OutputTokens)/float64(so))
}

// saturatedSeconds is the shortest time one replica with cfg takes to serve
// the sample (prompts net of their best-case prefix hits) when kept full: the
// engine cycles through the sample floorPasses times with a fixed number of
// requests in flight, and the time of the middle pass's completions is taken,
// at the concurrency that makes it shortest. It also returns how many of the
// sample's requests the replica can take at all.
func saturatedSeconds(cfg engine.Config, sample []workItem) (float64, int, error) {
	caching := cfg.EnablePrefixCaching
	cfg.TokenEvents = false
	cfg.EnablePrefixCaching = false // the hits are taken off the prompts instead
	probe, err := engine.New(cfg)
	if err != nil {
		return 0, 0, fmt.Errorf("building the floor engine: %w", err)
	}
	var items []engine.Request
	for i, it := range sample {
		// A request the replica refuses as it was sent does no work.
		r := engine.Request{ID: strconv.Itoa(i), PromptTokens: it.prompt, OutputTokens: it.output}
		if probe.Add(at(0), r) != nil {
			continue
		}
		if caching {
			r.PromptTokens = max(it.prompt-it.cached, 1)
		}
		items = append(items, r)
	}
	if len(items) == 0 {
		return 0, 0, nil
	}
	seqs := cfg.WithDefaults().MaxNumSeqs
	best := math.Inf(1)
	// A long waiting queue lets the scheduler fill every step's token budget;
	// a short one avoids preemptions (long prompts fill the KV cache with a
	// handful of requests): take the best of every power of two.
	for c := 1; c <= seqs*16; c *= 2 {
		perRequest, err := closedLoop(cfg, items, c)
		if err != nil {
			return 0, 0, err
		}
		best = min(best, perRequest*float64(len(items)))
	}
	// Back to the whole sample: requests no replica takes add no time.
	return best * float64(len(sample)) / float64(len(items)), len(items), nil
}

// closedLoop keeps c requests in flight on one engine, cycling through
// items, and returns the mean time per completion over floorWindow or more
// completions (whole passes through items) after a first pass: the engine's
// steady state when kept that full.
func closedLoop(cfg engine.Config, items []engine.Request, c int) (float64, error) {
	eng, err := engine.New(cfg)
	if err != nil {
		return 0, fmt.Errorf("building the floor engine: %w", err)
	}
	n := len(items)
	window := n * ((floorWindow + n - 1) / n)
	total := 2*n + window
	next, done := 0, 0
	var from, to time.Time
	submit := func(now time.Time) error {
		r := items[next%n]
		r.ID = strconv.Itoa(next)
		next++
		return eng.Add(now, r)
	}
	for next < min(c, total) {
		if err := submit(at(0)); err != nil {
			return 0, err
		}
	}
	var evs []engine.Event
	for done < n+window {
		tNext, busy := eng.NextEventTime()
		if !busy {
			return 0, fmt.Errorf("the floor engine went idle after %d of %d requests", done, total)
		}
		evs = eng.AdvanceInto(evs[:0], tNext)
		for _, ev := range evs {
			if ev.Kind != engine.EventFinished {
				continue
			}
			done++
			switch done {
			case n:
				from = ev.Time
			case n + window:
				to = ev.Time
			}
			if next < total {
				if err := submit(ev.Time); err != nil {
					return 0, err
				}
			}
		}
	}
	return to.Sub(from).Seconds() / float64(window), nil
}
