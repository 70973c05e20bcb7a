package saturation

import (
	"fmt"
	"math"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/config"
)

// scaleDownHeadroom is the share of the concurrency target a pool must stay under after a
// removal. Concurrency rises as a pool shrinks (each replica's latency grows with its
// load), so a linear projection underestimates it; the gap between the scale-up trigger
// (the target) and this bound keeps the pool from flapping around the target.
const scaleDownHeadroom = 0.7

// rateScaleDownHeadroom replaces scaleDownHeadroom when the concurrency is the forecast
// rate times the time in system at the targets (Little's law at the operating point, not
// a projection of today's load): removing a replica must leave the busiest remaining
// replicas under this share of their target rate on average, and the busiest of them
// (loadImbalance) under its target. The target is a rate the ITL line already places at
// 80% of the objective, so 85% of it keeps the SLO with the margin the stabilization
// window adds. The step to one replica is held to it too: a lone replica was held to
// scaleDownHeadroom (it takes a burst alone for a start-up time), which at spike's 10
// req/s, 65% of one replica's saturated rate, kept a second replica for twenty minutes
// after the surge, every noisy minute over 70% restarting the scale-down window; at 85%
// no run of the library or the held-out scenarios loses attainment.
const rateScaleDownHeadroom = 0.85

// maxImbalance bounds the router imbalance a consolidation check assumes.
const maxImbalance = 2.0

// exploreFactor: until a variant's saturation is observed, a replica is assumed to hold
// this multiple of the highest concurrency one was seen to carry without queueing. With
// scale-down bounded per decision and observed through the stabilization window, the
// pool consolidates step by step; the first saturation it meets is learned for good.
const exploreFactor = 1.0

// minConcurrencyCapacity floors any per-replica concurrency capacity: a replica can
// always hold one request.
const minConcurrencyCapacity = 1.0

// ObservedSaturation returns the concurrency at which a replica of v was seen saturating
// in this cycle: the most running requests among its pods that hold a sustained queue
// (SizingWaiting >= queueLengthThreshold) while their KV cache is below kvCacheThreshold
// (a replica queueing with KV to spare is limited by compute, batch size or token budget,
// not memory) and that run at least minRunning requests (the planner passes 90% of the
// most it has seen on one replica: a replica that queues because it is full runs about
// as many as it ever did, while a burst that queues briefly on a half-empty replica says
// nothing about its limit). ok is false when no pod shows it.
func ObservedSaturation(v VariantInput, t config.Thresholds, minRunning float64) (conc float64, ok bool) {
	return queuedAt(v, t, minRunning, ReplicaMetrics.SizingWaiting)
}

// ObservedQueue is ObservedSaturation on this cycle's one-minute waiting peaks rather than
// the sustained waiting: a replica seen with a queue at about its most running requests,
// which a passing burst shows too (VariantInput.QueuedRunning).
func ObservedQueue(v VariantInput, t config.Thresholds, minRunning float64) (conc float64, ok bool) {
	return queuedAt(v, t, minRunning, func(r ReplicaMetrics) float64 { return r.Waiting })
}

// queuedAt is the most running requests among v's pods with waiting(r) of
// queueLengthThreshold or more, KV below kvCacheThreshold and at least minRunning running.
func queuedAt(v VariantInput, t config.Thresholds, minRunning float64, waiting func(ReplicaMetrics) float64) (conc float64, ok bool) {
	for _, r := range v.Replicas {
		if !validSample(r) || r.Running <= 0 || r.Running < minRunning {
			continue
		}
		if waiting(r) >= t.QueueLengthThreshold && r.KVUsage < t.KvCacheThreshold {
			conc = math.Max(conc, r.Running)
			ok = true
		}
	}
	return conc, ok
}

// ObservedHealthy returns the highest concurrency (running + sizing waiting) a pod of v
// carries in this cycle without queueing (peak waiting below queueLengthThreshold) and
// below the KV threshold. ok is false when no pod qualifies.
func ObservedHealthy(v VariantInput, t config.Thresholds) (conc float64, ok bool) {
	for _, r := range v.Replicas {
		if !validSample(r) {
			continue
		}
		if r.Waiting < t.QueueLengthThreshold && r.KVUsage < t.KvCacheThreshold {
			conc = math.Max(conc, r.Running+r.SizingWaiting())
			ok = true
		}
	}
	return conc, ok
}

func validSample(r ReplicaMetrics) bool {
	for _, f := range []float64{r.Running, r.Waiting, r.KVUsage, r.SizingWaiting()} {
		if !finite(f) || f < 0 {
			return false
		}
	}
	return true
}

// concurrencyModel is the per-variant concurrency capacity the capacity analyzer uses.
type concurrencyModel struct {
	// capacity is the concurrency (running + waiting) one replica is sized for, per variant.
	capacity []float64
	// downCapacity caps capacity, per variant, in a consolidation check: what the
	// variant's ITL line is trusted at (0 = no cap; see consolidation).
	downCapacity []float64
	// saturation is the saturation concurrency per variant (0 = unknown).
	saturation []float64
	// learned tells, per variant, whether capacity derives from a saturation concurrency
	// (observed, remembered or configured) rather than the healthy high-water mark.
	learned []bool
	// anyLearned: at least one variant has a saturation concurrency; only then does
	// concurrency drive scale-up (a high-water mark is a floor of what is safe, not a need).
	anyLearned bool
	// bySLO tells, per variant, whether capacity comes from the ITL objective: running
	// beyond it on a replica then misses the SLO.
	bySLO []bool
	// priorThroughput is, per variant sized by an accelerator prior (priorCapacity), the
	// requests/s one replica serves at its target; 0 = none.
	priorThroughput []float64
	source          []string
}

// buildConcurrency derives the per-replica concurrency capacities from the inputs only
// (the saturation concurrency the planner remembers, else the configured one, else the
// healthy high-water mark), never from this cycle's load, so that more load can never
// raise a capacity and yield fewer replicas. The planner folds this cycle's observations
// (ObservedSaturation, ObservedHealthy) into its memory before calling the analyzer.
//
// kvCapacity (per variant, tokens when kvTokens) scales a borrowed target: a replica with
// more KV cache holds proportionally more running requests than the variant the target
// comes from.
func buildConcurrency(in ModelInput, kvCapacity []float64, kvTokens bool) concurrencyModel {
	tune := in.Capacity.WithDefaults()
	n := len(in.Variants)
	m := concurrencyModel{capacity: make([]float64, n), downCapacity: make([]float64, n), saturation: make([]float64, n), learned: make([]bool, n), bySLO: make([]bool, n), priorThroughput: make([]float64, n), source: make([]string, n)}
	minTarget, minFrom := math.Inf(1), -1
	for i, v := range in.Variants {
		s, src := 0.0, ""
		switch {
		case v.SaturationConcurrency > 0 && finite(v.SaturationConcurrency):
			s, src = math.Min(v.SaturationConcurrency, 1e9), "observed"
		case tune.SaturationConcurrency > 0:
			s, src = tune.SaturationConcurrency, "configured saturationConcurrency"
		}
		if s > 0 {
			m.saturation[i] = s
			m.capacity[i] = math.Max(s*tune.ConcurrencyTarget, minConcurrencyCapacity)
			m.learned[i] = true
			m.anyLearned = true
			m.source[i] = src
			if m.capacity[i] < minTarget {
				minTarget, minFrom = m.capacity[i], i
			}
		}
	}
	for i, v := range in.Variants {
		if m.learned[i] {
			continue
		}
		if m.anyLearned {
			// Another variant of the model saturated: assume this one holds no more, in
			// proportion to its KV cache when both are known.
			m.capacity[i] = minTarget
			m.source[i] = "saturation not seen on this variant, lowest target of the model"
			if kvTokens && minFrom >= 0 && minFrom < len(kvCapacity) && i < len(kvCapacity) &&
				kvCapacity[minFrom] > 0 && kvCapacity[i] > 0 && finite(kvCapacity[i]/kvCapacity[minFrom]) {
				m.capacity[i] = math.Max(minTarget*kvCapacity[i]/kvCapacity[minFrom], minConcurrencyCapacity)
				m.source[i] = fmt.Sprintf("saturation not seen on this variant, lowest target of the model x %.2f KV capacity ratio", kvCapacity[i]/kvCapacity[minFrom])
			}
			continue
		}
		h := 0.0
		if v.HealthyConcurrency > 0 && finite(v.HealthyConcurrency) {
			h = math.Min(v.HealthyConcurrency, 1e9)
		}
		m.capacity[i] = math.Max(exploreFactor*h, minConcurrencyCapacity)
		m.source[i] = "the highest healthy concurrency seen, saturation never observed"
	}
	if tune.SLOITL > 0 {
		m.sizeByLatency(in, tune.SLOITL, tune.SLOTTFT, kvSlots(in, kvCapacity, kvTokens))
		m.priorCapacity(in)
	}
	return m
}

// PriorSaturationConcurrency is the saturation concurrency assumed for a variant with a
// latency model until one is observed or configured: vLLM's default --max-num-seqs (the
// running requests one engine step batches at most).
const PriorSaturationConcurrency = 256

// itlCeiling caps the running requests per replica the ITL objective may size for, as a
// share of the saturation concurrency, when the line gives no throughput ceiling (its
// base is 0): at saturation a queue forms whatever the ITL.
const itlCeiling = 0.8

// throughputCeiling caps the running requests per replica the ITL objective may size for
// at those that serve this share of the requests per second the replica serves at its
// saturation concurrency. A replica's throughput (running / (output tokens x ITL)) is
// concave in its running requests: 80% of vLLM's 256 already serves ~96% of the
// saturated rate, where random arrivals build a queue; the utilisation target is set on
// the rate, as queueing theory and the autoscalers that size by it do (ρ of 0.85-0.9).
// With a TTFT objective the share is the queue model's instead (utilisationFor).
const throughputCeiling = 0.9

// sizeByLatency sizes each variant with a fitted ITL line by the ITL objective: a replica
// may run requests until its ITL reaches itlTargetShare of the objective (past that it is
// slower than the objective for everyone before any queue forms), up to the running
// requests that serve throughputCeiling of the rate at its saturation concurrency, or the
// utilisation a queue with that many slots allows within the TTFT objective (vLLM's
// default batch limit while none is known; itlCeiling of it for a line without a base). A variant
// without a line keeps the conservative target: the concurrency an overloaded replica
// shows says little of the load it serves. A consolidation relies on a replica for no
// more than its line is trusted at (LatencyModel.Trusted); a Local line, fitted on
// samples at about one load, only raises the conservative target as far as that.
func (m *concurrencyModel) sizeByLatency(in ModelInput, objective, ttft time.Duration, slots []float64) {
	for i, v := range in.Variants {
		line := v.Latency
		local := line.Local && !line.Known
		if local {
			line.Known = true // sized within its trust below
		}
		x, ok := line.runningAt(objective)
		switch {
		case !line.Known:
			m.source[i] += fmt.Sprintf("; not sized by sloITL %v yet: %v", objective, v.Latency)
			continue
		case !ok:
			m.source[i] += fmt.Sprintf("; sloITL %v not reachable (%v), not sizing by it", objective, v.Latency)
			continue
		}
		sat, src := m.saturation[i], "saturation at %.0f running"
		if sat <= 0 {
			sat, src = PriorSaturationConcurrency, "vLLM's default --max-num-seqs %.0f"
			if s := slots[i]; s > 0 && s < sat {
				sat, src = s, "%.0f requests its KV cache holds"
			}
		}
		ceiling, byThroughput, share, shareFrom := sloCeiling(line, sat, in.Load.MeanOutputTokens, ttft)
		target := math.Max(math.Min(x, ceiling), minConcurrencyCapacity)
		if local {
			// A line fitted on samples at about one load holds near them, and as far beyond
			// as its standard error allows: what a replica holds up to there is a floor of
			// what is safe, as the healthy high-water mark is (a consolidation may rely on
			// it), not a need (the concurrency does not size the pool up by it).
			if c := math.Min(target, line.trusted()); c > m.capacity[i] {
				m.capacity[i] = c
				m.source[i] = fmt.Sprintf("%.1f running by the %v (%.0f%% of sloITL %v at %.1f)", c, v.Latency, itlTargetShare*100, objective, x)
			} else {
				m.source[i] += fmt.Sprintf("; %v", v.Latency)
			}
			continue
		}
		m.capacity[i] = target
		m.learned[i], m.anyLearned, m.bySLO[i] = true, true, true
		switch {
		case x < ceiling:
			m.source[i] = fmt.Sprintf("%.0f%% of sloITL %v at %.1f running by the fitted %v", itlTargetShare*100, objective, x, v.Latency)
		case byThroughput:
			m.source[i] = fmt.Sprintf("%.0f%% of the throughput at "+src+"%s by the fitted %v, below %.0f%% of sloITL %v", share*100, sat, shareFrom, v.Latency, itlTargetShare*100, objective)
		default:
			m.source[i] = fmt.Sprintf("%.0f%% of "+src+", below %.0f%% of sloITL %v by the fitted %v", itlCeiling*100, sat, itlTargetShare*100, objective, v.Latency)
		}
		// A consolidation relies on no more than the line is trusted at: beyond that it is
		// an extrapolation its samples do not support.
		m.downCapacity[i] = math.Max(math.Min(target, line.trusted()), minConcurrencyCapacity)
		if m.downCapacity[i] < target {
			m.source[i] += fmt.Sprintf("; consolidating up to %.1f running, where the line is trusted", m.downCapacity[i])
		}
		// Nor, while no saturation is known, beyond the batch limit a replica was seen
		// queueing at: vLLM does not export --max-num-seqs, and the default the sizing
		// assumes may be far above the deployment's (the e2e prometheus-outage runs 8: with
		// 256 assumed, 12 req/s on four replicas running 3 each read as one replica's load).
		if q := v.QueuedRunning; m.saturation[i] <= 0 && q > 0 && finite(q) && q < sat {
			c, _, _, _ := sloCeiling(line, q, in.Load.MeanOutputTokens, ttft)
			if c = math.Max(math.Min(c, x), minConcurrencyCapacity); c < m.downCapacity[i] {
				m.downCapacity[i] = c
				m.source[i] += fmt.Sprintf("; consolidating up to %.1f running, a replica having queued at %.0f", c, q)
			}
		}
	}
}

// kvSlots is, per variant, the requests a replica's KV cache holds at the model's mean
// request size (its prompt and half its output): 0 when unknown.
func kvSlots(in ModelInput, kvCapacity []float64, kvTokens bool) []float64 {
	out := make([]float64, len(in.Variants))
	per := in.MeanPromptTokens + in.Load.MeanOutputTokens/2
	if !kvTokens || !finite(per) || !(per > 0) || !finite(in.Load.MeanOutputTokens) {
		return out
	}
	for i := range out {
		if i < len(kvCapacity) && kvCapacity[i] > 0 {
			out[i] = math.Max(math.Floor(kvCapacity[i]/per), 1)
		}
	}
	return out
}

// sloCeiling is the running requests per replica the sizing allows below a batch limit of
// sat slots: those that serve the share of the saturated rate the TTFT objective's queue
// model allows (throughputCeiling without one), or itlCeiling of the slots for a line that
// gives no throughput ceiling (byThroughput false).
func sloCeiling(line LatencyModel, sat, out float64, ttft time.Duration) (ceiling float64, byThroughput bool, share float64, shareFrom string) {
	share = throughputCeiling
	if rho, from, ok := utilisationFor(line, sat, out, ttft); ok {
		share, shareFrom = rho, from
	}
	ceiling, byThroughput = line.runningAtThroughputShare(share, sat, out)
	if !byThroughput {
		ceiling = itlCeiling * sat
	}
	return ceiling, byThroughput, share, shareFrom
}

// consolidation is the concurrency one replica of variant i is relied on to hold when the
// pool shrinks: its capacity, capped where its ITL line stops being trusted.
func (m concurrencyModel) consolidation(i int) float64 {
	if c := m.downCapacity[i]; c > 0 && c < m.capacity[i] {
		return c
	}
	return m.capacity[i]
}
