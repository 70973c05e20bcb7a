package planner

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// What the planner remembers for the capacity analyzer: each pod's recent waiting peaks
// (sustained waiting) and each variant's saturation and healthy concurrency.

// podKey identifies a pod across cycles.
type podKey struct{ namespace, pod string }

// peak is one cycle's 1-minute peak of a pod's waiting requests.
type peak struct {
	at      time.Time
	waiting float64
}

type podMemory struct {
	peaks    []peak
	lastSeen time.Time
	// answeredAt, answeredPeak and answeredWith: the last cycle whose scale-up counted
	// this pod's queue, its waiting peak then and the replicas the scale-up asked for
	// (see sustainInto).
	answeredAt   time.Time
	answeredPeak float64
	answeredWith int
}

// A pod's sustained waiting is the lowest 1-minute peak of its last few cycles no older
// than sustainWindow: sizingCycles (2) for sizing, so that a queue sizes the pool only
// when two consecutive cycles see it, and before a queue teaches the planner a saturation
// concurrency, which it keeps, learningCycles (3) and back to a cycle whose peak window
// ends where this cycle's begins: one burst of arrivals cannot reach two windows that share
// no scrape. With the default 30 s cycle and 1 m window that is three cycles; with a 15 s
// cycle five (three 15 s cycles' windows all hold any scrape of the 30 s between them).
const (
	sizingCycles   = 2
	learningCycles = 3
	sustainWindow  = 3 * time.Minute
	// maxPeaks bounds the peaks kept per pod (a cycle of a second or less).
	maxPeaks = 64
)

// saturationRunningShare: a queueing replica counts as a saturation observation only
// when it runs at least this share of the most requests seen on one replica.
const saturationRunningShare = 0.9

// sustain records this cycle's peaks of the input's pods, fills their sustained waiting
// (sizingCycles) and returns a copy of the input whose sustained waiting spans
// learningCycles, for learn. woke tells that the model's replicas came up from zero
// within sustainWindow (modelMemory.woke).
func (p *Planner) sustain(now time.Time, in *saturation.VariantInput, queueLengthThreshold float64, woke bool) saturation.VariantInput {
	var learning saturation.VariantInput
	p.sustainInto(now, in, queueLengthThreshold, woke, &learning, nil)
	return learning
}

// podMem returns the memory of a pod, created at its first sight.
func (p *Planner) podMem(namespace, pod string) *podMemory {
	k := podKey{namespace, pod}
	m := p.pods[k]
	if m == nil {
		m = &podMemory{}
		p.pods[k] = m
	}
	return m
}

// sustainInto is sustain writing the copy into learning, reusing its replicas' array.
// mems, when not nil, holds the memory of each of in's replicas (podMem), already
// looked up.
func (p *Planner) sustainInto(now time.Time, in *saturation.VariantInput, queueLengthThreshold float64, woke bool, learning *saturation.VariantInput, mems []*podMemory) {
	w := p.peakWindow
	if w <= 0 {
		w = collectorDefaults.KVWindow
	}
	oldest, edge := now.Add(-sustainWindow), now.Add(-(w - w/20))
	buf := learning.Replicas[:0]
	*learning = *in
	learning.Replicas = append(buf, in.Replicas...)
	for j := range in.Replicas {
		r := &in.Replicas[j]
		var m *podMemory
		if mems != nil {
			m = mems[j]
		} else {
			m = p.podMem(in.Namespace, r.Pod)
		}
		m.lastSeen = now
		// The peaks learning reads: learningCycles, and back to the newest whose window
		// shares no scrape with this cycle's (the anchor: at least the peak window before
		// now, within a 5% tolerance for a ticker's jitter); the older ones go, in place
		// (the array keeps its room for the next cycle's peak).
		keep, anchor := m.peaks[:0], -1
		for _, pk := range m.peaks {
			if !pk.at.Before(oldest) && pk.at.Before(now) {
				keep = append(keep, pk)
				if !pk.at.After(edge) {
					anchor = len(keep) - 1
				}
			}
		}
		keep = append(keep, peak{now, r.Waiting})
		span, anchored := len(keep)-anchor, anchor >= 0
		if drop := len(keep) - max(span, learningCycles, sizingCycles); drop > 0 {
			keep = keep[:copy(keep, keep[drop:])]
		}
		if len(keep) > maxPeaks {
			keep = keep[:copy(keep, keep[len(keep)-maxPeaks:])]
		}
		m.peaks = keep
		r.SustainedWaiting, r.SustainedKnown = lowest(keep, sizingCycles), true
		switch {
		case woke && !anchored:
			// A model scaled from zero: the gateway held its requests until this pod became
			// ready and handed them over at once, so the peaks whose window holds that
			// moment are the hand-over, not a load (scale-to-zero's wake: 256 running and
			// 30 waiting at the first scrape, which Qwen3-0.6B on an L40S clears in two
			// seconds, bought a second replica the scale-down window then kept five
			// minutes). A queue counts once a peak window that shares no scrape with the
			// pod's first one shows it; the burst rule does not shortcut it.
			r.SustainedWaiting = 0
		case m.answeredAt.After(edge) && r.Waiting <= m.answeredPeak && in.Current >= m.answeredWith:
			// The queue a scale-up already answered: a peak window that still holds the
			// scrapes it was measured on, and no longer queue since, is the same evidence
			// (scale-to-zero's wake: 30 waiting bought a second replica, and the same
			// peak, still in the next cycle's window when the pod had emptied, doubled
			// the pool again). It counts again once grown, or measured anew. Answered
			// means enacted: until the scale target has the replicas asked for (an HPA
			// reads the recommendation at its own sync, up to 15 s later) the queue still
			// counts, or the recommendation falls back before the HPA reads it (Kind's
			// e2e spike was scaled up at 47 s; the twin's HPA read the 1 the next cycle
			// recommended and scaled up 30 s later).
			r.SustainedWaiting = 0
		case r.Waiting >= burstQueueFactor*queueLengthThreshold:
			// A queue this long within one minute is no passing burst: size on it now.
			r.SustainedWaiting = r.Waiting
		}
		learning.Replicas[j].SustainedKnown = true
		learning.Replicas[j].SustainedWaiting = 0
		if len(keep) >= learningCycles && anchored {
			learning.Replicas[j].SustainedWaiting = lowest(keep, max(span, learningCycles))
		}
	}
}

// collectorDefaults holds the collector's default windows: a snapshot that does not say
// its own was taken over them.
var collectorDefaults = collector.Options{}.WithDefaults()

// answered notes that this cycle's decision scaled the variant up to want replicas while
// its pods held the given queues: each queueing pod's peak is answered, once the scale
// target has them, until the peak window has moved past it.
func (p *Planner) answered(now time.Time, in *saturation.VariantInput, want int) {
	for _, r := range in.Replicas {
		if r.Waiting > 0 {
			m := p.podMem(in.Namespace, r.Pod)
			m.answeredAt, m.answeredPeak, m.answeredWith = now, r.Waiting, want
		}
	}
}

// burstQueueFactor: a pod whose 1-minute waiting peak reaches this multiple of
// queueLengthThreshold sizes the pool on its peak at once instead of waiting for a second
// cycle to confirm it (saturation learning still needs learningCycles).
const burstQueueFactor = 4.0

// lowest returns the lowest waiting peak of the last n entries.
func lowest(peaks []peak, n int) float64 {
	low := math.Inf(1)
	for _, pk := range peaks[max(len(peaks)-n, 0):] {
		switch {
		case math.IsNaN(pk.waiting):
			return pk.waiting
		case pk.waiting < low:
			low = pk.waiting
		}
	}
	return low
}

// learn folds this cycle's saturation observations (from learning, whose waiting is
// sustained over learningCycles) and healthy observations of a variant into the planner's
// memory and hands them to the analyzer in in.
func (p *Planner) learn(now time.Time, in *saturation.VariantInput, learning saturation.VariantInput, t config.Thresholds) {
	m := p.variantMem(now, in.VariantState)
	m.learnConcurrency(*in, learning, t)
	in.SaturationConcurrency = m.saturation
	in.HealthyConcurrency = m.healthy
	in.QueuedRunning = m.queuedRunning
	in.Latency = m.observeLatency(now, in.Replicas, p.meanWindow)
	if f := meanPrefill(in.Replicas, t.QueueLengthThreshold); f > 0 {
		m.prefill = f
	}
	in.Latency.Prefill = m.prefill
}

// meanPrefill is the mean of the replicas' known prefill times (seconds) but those of
// replicas whose one-minute waiting peak reached queueLength: a replica holding a queue
// prefills each request among as many others as it can run, a prefill no replica at its
// target sees. 0 when none is known.
func meanPrefill(rs []saturation.ReplicaMetrics, queueLength float64) float64 {
	var sum float64
	var n int
	for _, r := range rs {
		if r.Waiting >= queueLength {
			continue
		}
		if f := r.MeanPrefill; f > 0 && !math.IsInf(f, 0) {
			sum += f
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// learnConcurrency folds one cycle's observations into the variant's most running
// requests on a replica, its saturation concurrency and its healthy concurrency.
func (m *variantMemory) learnConcurrency(in, learning saturation.VariantInput, t config.Thresholds) {
	for _, r := range in.Replicas {
		if r.Running > m.maxRunning && !math.IsInf(r.Running, 0) {
			m.maxRunning = r.Running
		}
	}
	// A replica never runs more requests than its limit: a saturation concurrency below what
	// a replica has since run (by more than a full replica's running varies) was a queue
	// that passed (a burst of arrivals admitted over a few steps, caught by the one-minute
	// peak three cycles in a row), not the replica's limit. Forget it; a queue at the
	// running requests replicas now reach teaches it again.
	if m.saturation > 0 && m.saturation < saturationRunningShare*m.maxRunning {
		m.saturation = 0
	}
	if s, ok := saturation.ObservedSaturation(learning, t, saturationRunningShare*m.maxRunning); ok && s > m.saturation {
		m.saturation = s
	}
	// A queue in one cycle's peak at about the most a replica ever ran is no saturation
	// (a burst queues for a moment too) but bounds what a consolidation relies on; it
	// goes as a saturation does once a replica runs more.
	if m.queuedRunning > 0 && m.queuedRunning < saturationRunningShare*m.maxRunning {
		m.queuedRunning = 0
	}
	if q, ok := saturation.ObservedQueue(in, t, saturationRunningShare*m.maxRunning); ok && q > m.queuedRunning {
		m.queuedRunning = q
	}
	if h, ok := saturation.ObservedHealthy(in, t); ok && h > m.healthy {
		m.healthy = h
	}
}

// LatencyLookback is how far back the latency model's samples go, and so how much history
// a planner seeing a variant for the first time asks for (see ReadHistory) and learns its
// saturation from (see seed).
const LatencyLookback = 30 * time.Minute

// unseeded returns the models of states with a variant whose memory has not been seeded
// from Prometheus' history yet (first sight: a start, a restart, a new
// VariantAutoscaling), sorted. ReadHistory reads their history into the snapshot's
// History; Decide seeds each such variant from its model's entry there, once. A model
// without an entry (its history could not be read) is asked for again next cycle.
func (p *Planner) unseeded(states []saturation.VariantState) []collector.Target {
	seen := map[collector.Target]bool{}
	var out []collector.Target
	for _, v := range states {
		t := collector.Target{Namespace: v.Namespace, ModelID: v.ModelID}
		if m := p.variants[variantKey{v.Namespace, v.Name}]; (m != nil && m.seeded) || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].ModelID < out[j].ModelID
	})
	return out
}

// ReadHistory reads into snap.History the history of the models unseeded names,
// at the instants a controller cycling every interval would have sampled, when the cycle's
// own latency queries answered (a Prometheus that failed them would fail the history too;
// the models are asked for again next cycle). It returns the queries issued and the
// history's error (the models it could not read stay unseeded).
func (p *Planner) ReadHistory(ctx context.Context, q collector.Querier, snap *collector.Snapshot, states []saturation.VariantState, interval time.Duration, opts collector.Options) (int, error) {
	need := p.unseeded(states)
	_, itlFailed := snap.Failed[collector.QueryITL]
	_, runningFailed := snap.Failed[collector.QueryMeanRunning]
	if len(need) == 0 || itlFailed || runningFailed {
		return 0, nil
	}
	h, err := collector.CollectHistory(ctx, q, snap.Time, need, LatencyLookback, interval, opts)
	if snap.History == nil {
		snap.History = map[collector.ModelKey]map[string][]collector.HistoryPoint{}
	}
	maps.Copy(snap.History, h.Models)
	if err != nil {
		err = fmt.Errorf("reading the history of %d models: %w", len(need), err)
	}
	return h.Queries, err
}

// seed teaches the variant's memory what the history of its current pods (variantPods)
// holds, once: their latency samples, and what cycles at the history's instants would
// have learned of their load (the most running on a replica, the saturation and healthy
// concurrency), replayed through the cycle's own rules (sustain, learnConcurrency). Only
// their pods': a pod gone before this cycle may have served with other engine settings (a
// rolling update's old pods, another --max-num-seqs) or be another deployment's of the
// same name (a variant deleted and created again), and what it showed would misjudge the
// pods that serve now; a controller restarted under load finds its running pods' own
// past. A history without the model leaves the variant unseeded.
func (p *Planner) seed(now time.Time, v saturation.VariantState, m *variantMemory, mm *collector.ModelMetrics, history map[collector.ModelKey]map[string][]collector.HistoryPoint, t config.Thresholds) {
	pods, ok := history[collector.ModelKey{Namespace: v.Namespace, ModelID: v.ModelID}]
	if m.seeded || !ok {
		return
	}
	m.seeded = true
	current := variantPods(v, mm)
	series := make([][]collector.HistoryPoint, len(current))
	for i, pod := range current {
		series[i] = pods[pod]
		if !slices.IsSortedFunc(series[i], func(a, b collector.HistoryPoint) int { return a.At.Compare(b.At) }) {
			series[i] = slices.Clone(series[i])
			slices.SortStableFunc(series[i], func(a, b collector.HistoryPoint) int { return a.At.Compare(b.At) })
		}
	}
	// The pods' points merged instant by instant, oldest first, as the cycles saw them:
	// the latency samples come out in the order the cycles add them (the bound on the
	// samples drops the oldest), the loads replay through the cycle's rules.
	// Room for the history's samples and this cycle's (observeLatency appends them next).
	total := len(current)
	for _, pts := range series {
		total += len(pts)
	}
	samples := make([]saturation.LatencySample, 0, total)
	in := saturation.VariantInput{VariantState: v, Replicas: make([]saturation.ReplicaMetrics, 0, len(current))}
	podMems := make([]*podMemory, len(current))
	for i, pod := range current {
		podMems[i] = p.podMem(v.Namespace, pod)
	}
	mems := make([]*podMemory, 0, len(current))
	var learning saturation.VariantInput
	next := make([]int, len(current))
	for {
		var at time.Time
		found := false
		for i, pts := range series {
			for next[i] < len(pts) && (!pts[next[i]].At.Before(now) || now.Sub(pts[next[i]].At) > LatencyLookback) {
				next[i]++
			}
			if next[i] < len(pts) && (!found || pts[next[i]].At.Before(at)) {
				at, found = pts[next[i]].At, true
			}
		}
		if !found {
			break
		}
		in.Replicas, mems = in.Replicas[:0], mems[:0]
		for i, pts := range series {
			if next[i] >= len(pts) || !pts[next[i]].At.Equal(at) {
				continue
			}
			pt := pts[next[i]]
			next[i]++
			if pt.HasLatency() && usableLatency(pt.ITL, pt.MeanRunning) {
				samples = append(samples, saturation.LatencySample{At: pt.At, Running: pt.MeanRunning, ITL: pt.ITL, Window: p.meanWindow})
			}
			if pt.HasLoad() {
				in.Replicas = append(in.Replicas, saturation.ReplicaMetrics{Pod: current[i], Running: pt.Running, Waiting: pt.Waiting, KVUsage: pt.KVUsage})
				mems = append(mems, podMems[i])
			}
		}
		if len(in.Replicas) > 0 {
			p.sustainInto(at, &in, t.QueueLengthThreshold, false, &learning, mems)
			m.learnConcurrency(in, learning, t)
		}
	}
	m.latency = append(samples, m.latency...)
}

// usableLatency tells whether a pod mean says something about the ITL line.
func usableLatency(itl, running float64) bool {
	return finite(itl) && finite(running) && itl > 0 && running >= minLatencyRunning
}

// readyWithin tells whether the pod was seen becoming ready less than window ago (a pod
// ready when the planner first watched the variant was ready before it: not young).
func (m *variantMemory) readyWithin(now time.Time, pod string, window time.Duration) bool {
	since, ok := m.readySince[pod]
	return ok && since.After(m.watchedSince) && now.Sub(since) < window
}

const (
	// latencyWindow is how far back the latency model's samples go.
	latencyWindow = LatencyLookback
	// maxLatencySamples bounds the samples kept per variant (the oldest go first).
	maxLatencySamples = 512
	// minLatencyRunning: a pod running fewer requests on average says little about the
	// slope (its ITL is mostly noise from single requests).
	minLatencyRunning = 1.0
)

// observeLatency folds this cycle's pod means into the variant's latency samples and
// returns the model fitted on them. A pod that became ready less than the means' window
// ago gives no sample: its means cover only its life so far, which begins with the
// requests the router held or queued for it arriving at once, a burst of prefills no
// steady load runs (trace-azure t=495: a pod 30 s ready read 207 ms at 156 running where
// the saturated pod beside it ran 64 ms at 254; the line through it put 96 ms at 256
// running and cut the H100's target from 151 running to 90).
func (m *variantMemory) observeLatency(now time.Time, rs []saturation.ReplicaMetrics, window time.Duration) saturation.LatencyModel {
	if window <= 0 {
		window = collectorDefaults.RateWindow
	}
	keep := m.latency[:0]
	for _, s := range m.latency {
		if now.Sub(s.At) <= latencyWindow && !s.At.After(now) {
			keep = append(keep, s)
		}
	}
	for _, r := range rs {
		if m.readyWithin(now, r.Pod, window) {
			continue
		}
		if usableLatency(r.MeanITL, r.MeanRunning) {
			keep = append(keep, saturation.LatencySample{At: now, Running: r.MeanRunning, ITL: r.MeanITL, Window: window})
		}
	}
	if len(keep) > maxLatencySamples {
		keep = append(keep[:0], keep[len(keep)-maxLatencySamples:]...)
	}
	m.latency = keep
	fit := saturation.FitLatency(keep)
	if fit.Known {
		m.latencyFit = fit
		return fit
	}
	// Samples that lost their spread (an over-provisioned pool runs every pod at the same
	// few requests) determine no line; the last line fitted still holds for the variant.
	if m.latencyFit.Known {
		return m.latencyFit
	}
	return fit
}
