package planner

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// variantKey identifies a variant across cycles.
type variantKey struct{ namespace, name string }

// recommendation is one cycle's recommendation for a variant.
type recommendation struct {
	at       time.Time
	replicas int
}

type variantMemory struct {
	recs        []recommendation
	lastDesired int
	hasDesired  bool
	lastSeen    time.Time
	// lastSeenBefore is the cycle before lastSeen (zero on first sight).
	lastSeenBefore time.Time
	// saturation is the highest running-requests count at which a replica of the variant
	// was seen saturating (sustained queue with KV to spare): the replica's admission
	// limit (max-num-seqs, token budget); 0 = never seen. The highest, not the lowest: a
	// pod that queues with few requests running (a burst of huge prompts, fragmented KV)
	// says little about how many requests a replica holds.
	saturation float64
	// healthy is the highest concurrency a replica carried without queueing.
	healthy float64
	// queuedRunning is the most running requests a replica was seen with a queue at (at
	// about the most any ran; saturation.VariantInput.QueuedRunning).
	queuedRunning float64
	// prefill is the variant's latest measured mean prefill time (seconds; 0 = never
	// measured): a request's time in a replica before its output tokens.
	prefill float64
	// maxRunning is the most running requests seen on one replica.
	maxRunning float64
	// currents are the variant's current replicas at recent cycles (scale-down policy).
	currents []recommendation
	// pendingSince is when the latest scale-up among the replicas now starting was asked
	// for (zero: none pending), pendingCurrent the replicas asked for then;
	// startup is how long the last ones took to become ready (0 = never seen).
	pendingSince   time.Time
	pendingCurrent int
	startup        time.Duration
	// latency holds the pods' recent (running, ITL) means the latency model is fitted on.
	latency []saturation.LatencySample
	// latencyFit is the last known latency model (kept when the samples stop fitting one).
	latencyFit saturation.LatencyModel
	// seeded: the memory was seeded from Prometheus' history (or there was none
	// to read); see Planner.unseeded.
	seeded bool
	// readySince is when each of the variant's ready pods was first seen ready (pods that
	// are not ready any more are forgotten); watchedSince is the first cycle that saw the
	// variant's pods (those ready then were ready before it).
	readySince   map[string]time.Time
	watchedSince time.Time
}

type modelMemory struct {
	lastActive time.Time
	lastSeen   time.Time
	// wokeAt is when the planner last scaled the model from zero, upAt the first cycle
	// after it with a ready replica (zero until then).
	wokeAt, upAt time.Time
	// arrivals are the model's recent arrival rates (load forecast).
	arrivals []rateSample
}

// Planner decides per-variant replicas cycle after cycle. Not safe for concurrent use;
// the caller serialises cycles.
type Planner struct {
	analyzers map[string]saturation.Analyzer
	variants  map[variantKey]*variantMemory
	models    map[collector.ModelKey]*modelMemory
	pods      map[podKey]*podMemory
	// peakWindow is the window of this cycle's waiting peaks (the snapshot's KVWindow),
	// meanWindow that of its pods' mean ITL and running requests (RateWindow); 0 = the
	// collector's defaults.
	peakWindow, meanWindow time.Duration
}

// NewPlanner returns a planner with empty memory.
func NewPlanner(opts Options) *Planner {
	p := &Planner{
		analyzers: map[string]saturation.Analyzer{},
		variants:  map[variantKey]*variantMemory{},
		models:    map[collector.ModelKey]*modelMemory{},
		pods:      map[podKey]*podMemory{},
	}
	for _, name := range []string{config.AnalyzerCapacity, config.AnalyzerWVAV1} {
		a, _ := saturation.New(name)
		p.analyzers[name] = a
	}
	for name, a := range opts.Analyzers {
		p.analyzers[name] = a
	}
	return p
}

// forgetAfter drops the memory of variants and models not seen for this long.
const forgetAfter = 2 * config.MaxStabilizationWindow

// coreQueries are the queries without which no analyzer may run.
var coreQueries = []string{
	collector.QueryKV, collector.QueryKVTimestamp, collector.QueryWaiting,
	collector.QueryRunning, collector.QueryCacheConfig, collector.QueryPromptTokens,
}

// Decide returns one Decision per state, in the order of states. now is the cycle time
// (normally snap.Time).
func (p *Planner) Decide(now time.Time, snap collector.Snapshot, states []saturation.VariantState, cfg config.Config) []Decision {
	out := make([]Decision, len(states))
	p.peakWindow, p.meanWindow = snap.KVWindow, snap.RateWindow
	groups := map[collector.ModelKey][]int{}
	var keys []collector.ModelKey
	for i, s := range states {
		k := collector.ModelKey{Namespace: s.Namespace, ModelID: s.ModelID}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].Namespace != keys[b].Namespace {
			return keys[a].Namespace < keys[b].Namespace
		}
		return keys[a].ModelID < keys[b].ModelID
	})
	for _, k := range keys {
		idx := groups[k]
		vs := make([]saturation.VariantState, len(idx))
		for j, i := range idx {
			vs[j] = states[i]
		}
		for j, d := range p.decideModel(now, snap, k, vs, cfg.For(k.Namespace, k.ModelID)) {
			out[idx[j]] = d
		}
	}
	p.forget(now)
	return out
}

func (p *Planner) forget(now time.Time) {
	for k, m := range p.variants {
		if now.Sub(m.lastSeen) > forgetAfter {
			delete(p.variants, k)
		}
	}
	for k, m := range p.models {
		if now.Sub(m.lastSeen) > forgetAfter {
			delete(p.models, k)
		}
	}
	for k, m := range p.pods {
		if now.Sub(m.lastSeen) > sustainWindow {
			delete(p.pods, k)
		}
	}
}

func (p *Planner) variantMem(now time.Time, v saturation.VariantState) *variantMemory {
	k := variantKey{v.Namespace, v.Name}
	m := p.variants[k]
	if m == nil {
		// Seeing a variant for the first time counts as having recommended its current
		// replicas: a scale-down must wait a full window after a (re)start.
		m = &variantMemory{recs: []recommendation{{now, v.Current}}}
		p.variants[k] = m
	}
	if m.lastSeen.Before(now) {
		m.lastSeenBefore = m.lastSeen
	}
	m.lastSeen = now
	return m
}

// holdTarget is the current target: the last decision, else the VA status, else current.
func (p *Planner) holdTarget(now time.Time, v saturation.VariantState) int {
	m := p.variantMem(now, v)
	switch {
	case m.hasDesired:
		return m.lastDesired
	case v.Desired > 0:
		return v.Desired
	default:
		return v.Current
	}
}

func (p *Planner) decideModel(now time.Time, snap collector.Snapshot, key collector.ModelKey, vs []saturation.VariantState, mc config.ModelConfig) []Decision {
	ds := make([]Decision, len(vs))
	for i, v := range vs {
		ds[i] = Decision{
			Namespace: v.Namespace, Variant: v.Name, ModelID: v.ModelID, Accelerator: v.Accelerator,
			Current: v.Current, Ready: v.Ready,
			MetricsAvailable: true, MetricsReason: v1alpha1.ReasonMetricsFound,
			Inputs: map[string]float64{
				"current": float64(v.Current), "ready": float64(v.Ready), "pending": float64(v.Pending()), "cost": v.Cost,
				"kvCacheThreshold": mc.KvCacheThreshold, "queueLengthThreshold": mc.QueueLengthThreshold,
				"kvSpareTrigger": mc.KvSpareTrigger, "queueSpareTrigger": mc.QueueSpareTrigger,
			},
		}
	}
	mm := snap.Models[key]
	mem := p.models[key]
	if mem == nil {
		// First sight: nothing is known about past activity; count it as active now so
		// that scale-to-zero waits a full retention period.
		mem = &modelMemory{lastActive: now}
		p.models[key] = mem
	} else if snap.ActivityWindow > 0 && now.Sub(mem.lastSeen) > snap.ActivityWindow {
		// A gap longer than the activity window: requests may have finished unseen.
		mem.lastActive = now
	}
	prevSeen := mem.lastSeen
	mem.lastSeen = now
	for _, v := range vs {
		m := p.variantMem(now, v)
		m.observeStartup(now, m.lastSeenBefore, v)
	}

	// 1. Failed queries: hold everything.
	var failed []string
	for _, q := range coreQueries {
		if err, ok := snap.Failed[q]; ok {
			failed = append(failed, fmt.Sprintf("%s: %v", q, err))
		}
	}
	if mm == nil {
		failed = append(failed, "model was not part of the metrics collection")
	}
	if len(failed) > 0 {
		mem.lastActive = now // activity unknown: count as active (no scale-to-zero right after an outage)
		msg := "Prometheus query failed: " + strings.Join(failed, "; ")
		return p.holdAll(now, vs, ds, v1alpha1.ReasonPrometheusError, msg, mc)
	}

	// 2. Per-variant inputs; any ready pod without a complete, fresh sample blinds the model,
	// except a pod whose samples went stale while others of the model report fresh ones:
	// Prometheus scrapes the rest, so that pod is unresponsive (its exporter hangs or its
	// scrapes fail), and the model is decided around it (see unresponsive).
	inputs := make([]saturation.VariantInput, len(vs))
	problems := make([][]string, len(vs))
	stalePods := make([][]string, len(vs))
	unscraped := make([][]string, len(vs))
	mems := make([]*variantMemory, len(vs))
	fresh := 0
	for i, v := range vs {
		var stalled []string
		inputs[i], problems[i], stalePods[i], unscraped[i], stalled = variantInput(v, mm, &snap)
		m := p.variantMem(now, v)
		mems[i] = m
		m.seeReady(now, v.Pods)
		p.seed(now, v, m, mm, snap.History, mc.Thresholds)
		// A pod that ran requests over the whole rate window and generated no token is
		// hung (its engine stopped while its exporter and readiness still answer): it joins
		// the unresponsive pods. Only once it has been ready for longer than the staleness
		// limit, so that a window reaching back before it started judges nothing.
		for _, pod := range stalled {
			if since, ok := m.readySince[pod]; ok && now.Sub(since) > snap.StaleAfter {
				inputs[i].Replicas = slices.DeleteFunc(inputs[i].Replicas, func(r saturation.ReplicaMetrics) bool { return r.Pod == pod })
				stalePods[i] = append(stalePods[i], fmt.Sprintf("pod %s: requests running and no token generated over the rate window (engine hung)", pod))
			}
		}
		fresh += len(inputs[i].Replicas)
	}
	blind, activeNow, unresponsiveModel := false, false, false
	for i, v := range vs {
		in := &inputs[i]
		for _, r := range in.Replicas {
			if r.Waiting > 0 || r.Running > 0 {
				activeNow = true
			}
		}
		// A pod ready for less than the staleness limit and not scraped yet, beside pods
		// that report, is starting as far as the analyzers can tell: its load and its room
		// are both unseen. It counts as starting supply (both analyzers remove nothing
		// while replicas start), so that a scale-up that just became ready does not blind
		// the model in the cycles that follow it. Past the limit it is missing, as any pod
		// without a sample.
		young := mems[i].notScrapedYet(now, unscraped[i], snap.StaleAfter)
		for _, pod := range unscraped[i] {
			if !slices.Contains(young, pod) {
				problems[i] = append(problems[i], fmt.Sprintf("pod %s: no sample", pod))
			}
		}
		if len(young) > 0 && fresh > 0 && len(problems[i]) == 0 {
			starting(in, len(young))
		} else {
			for _, pod := range young {
				problems[i] = append(problems[i], fmt.Sprintf("pod %s: no sample", pod))
			}
			young = nil
		}
		if len(stalePods[i]) > 0 && len(problems[i]) == 0 && fresh > 0 {
			unresponsive(in, len(stalePods[i]))
			unresponsiveModel = true
			ds[i].MetricsMessage = fmt.Sprintf("%d of %d ready pods report fresh metrics; unresponsive, not counted as supply: %s",
				len(in.Replicas), v.Ready, strings.Join(stalePods[i], "; "))
			ds[i].MetricsMessage += youngNote(young, snap.StaleAfter)
			continue
		}
		problems[i] = append(problems[i], stalePods[i]...)
		if len(problems[i]) > 0 {
			blind = true
			ds[i].MetricsAvailable = false
			ds[i].MetricsReason = v1alpha1.ReasonMetricsMissing
			if len(stalePods[i]) > 0 {
				ds[i].MetricsReason = v1alpha1.ReasonMetricsStale
			}
			ds[i].MetricsMessage = strings.Join(problems[i], "; ")
		} else {
			ds[i].MetricsMessage = fmt.Sprintf("%d of %d ready pods report fresh metrics", len(in.Replicas), v.Ready) + youngNote(young, snap.StaleAfter)
		}
	}
	if blind {
		mem.lastActive = now // activity unknown: count as active
		var who []string
		for i := range ds {
			if !ds[i].MetricsAvailable {
				who = append(who, ds[i].Variant+": "+ds[i].MetricsMessage)
			}
		}
		reason := "holding: metrics incomplete for model " + key.ModelID + " (" + strings.Join(who, "; ") + ")"
		for i, v := range vs {
			t := p.holdTarget(now, v)
			p.finish(now, v, &ds[i], t, t, AnalyzerHold, reason, mc, false)
		}
		return ds
	}

	// Activity bookkeeping for scale-to-zero.
	_, activityFailed := snap.Failed[collector.QueryActivity]
	if activeNow || (!activityFailed && mm.FinishedRequests > 0) || mm.ScaleFromZeroWaiting > 0 {
		mem.lastActive = now
	} else if !activityFailed && snap.ActivityWindow > 0 {
		// A quiet cycle: nothing runs or waits now and nothing finished within the
		// activity window, so the last activity was before the window began, but
		// not before the model's oldest variant existed (a variant created seconds
		// ago has not been idle for the whole window).
		quietSince := now.Add(-snap.ActivityWindow)
		if born := oldestCreated(vs); quietSince.Before(born) {
			quietSince = born
		}
		if quietSince.Before(mem.lastActive) {
			mem.lastActive = quietSince
		}
	}

	// 3. Scale from zero.
	total := 0
	for _, v := range vs {
		total += v.Current
	}
	if total == 0 {
		return p.fromZero(now, snap, mm, vs, ds, mem, mc)
	}

	// 4. Analyzer.
	a := p.analyzers[mc.Analyzer]
	if a == nil {
		a = p.analyzers[config.AnalyzerCapacity]
	}
	woke := mem.woke(now, vs)
	for i := range inputs {
		learning := p.sustain(now, &inputs[i], mc.QueueLengthThreshold, woke)
		p.learn(now, &inputs[i], learning, mc.Thresholds)
		if inputs[i].Desired == 0 {
			if m := p.variants[variantKey{vs[i].Namespace, vs[i].Name}]; m != nil && m.hasDesired {
				inputs[i].Desired = m.lastDesired
			}
		}
	}
	res := a.Analyze(saturation.ModelInput{
		Namespace: key.Namespace, ModelID: key.ModelID, Variants: inputs,
		MeanPromptTokens: mm.MeanPromptTokens, Thresholds: mc.Thresholds, Capacity: mc.Capacity,
		Load: p.load(now, prevSeen, mem, mm, vs, snap.RateWindow),
	})
	analyzer := res.Analyzer
	recs := make([]int, len(vs))
	reasons := make([]string, len(vs))
	for i := range vs {
		if i < len(res.Targets) {
			recs[i], reasons[i] = res.Targets[i].Replicas, res.Targets[i].Reason
		} else {
			recs[i], reasons[i] = vs[i].Current, "analyzer returned no target; keeping current"
		}
		for k, x := range res.Inputs {
			ds[i].Inputs[k] = x
		}
		if recs[i] > vs[i].Current {
			p.answered(now, &inputs[i], recs[i])
		}
	}

	// 5. Scale to zero.
	toZero := false
	if mc.ScaleToZero && allMinZero(vs) && !activityFailed {
		idle := now.Sub(mem.lastActive)
		if idle >= mc.RetentionPeriod {
			toZero = true
			analyzer = AnalyzerScaleToZero
			for i := range recs {
				recs[i] = 0
				reasons[i] = fmt.Sprintf("scale to zero: no request finished, waited or ran for %v (retention_period %v)", idle.Round(time.Second), mc.RetentionPeriod)
			}
		}
		for i := range ds {
			ds[i].Inputs["idleSeconds"] = idle.Seconds()
		}
	}
	if unresponsiveModel && !toZero {
		// Part of the model is unseen: add replicas for what the rest shows, remove none.
		for i, v := range vs {
			if hold := p.holdTarget(now, v); recs[i] < hold {
				recs[i] = hold
				reasons[i] += fmt.Sprintf("; holding %d: no scale-down while ready pods of the model are unresponsive", hold)
			}
		}
	}
	for i, v := range vs {
		p.finish(now, v, &ds[i], recs[i], v.Current, analyzer, reasons[i], mc, toZero)
	}
	return ds
}

// unresponsive takes a variant's ready pods whose samples went stale out of its supply:
// they count as stuck (not ready, not starting), as the twin counts a hung replica and the
// reconciler a pod that lost its readiness while its containers run. The analyzers read
// the pods' samples (Replicas), which never held them.
func unresponsive(in *saturation.VariantInput, stale int) {
	n := min(stale, in.Ready)
	in.Ready -= n
	in.Stuck += n
}

// starting counts n ready pods that were not scraped yet as starting: not ready, not stuck.
func starting(in *saturation.VariantInput, n int) {
	in.Ready -= min(n, in.Ready)
}

func youngNote(young []string, limit time.Duration) string {
	if len(young) == 0 {
		return ""
	}
	return fmt.Sprintf("; ready for less than %v and not scraped yet, counted as starting: %s", limit, strings.Join(young, ", "))
}

// seeReady notes when each ready pod was first seen ready and forgets the others.
func (m *variantMemory) seeReady(now time.Time, ready []string) {
	if m.readySince == nil {
		m.readySince = map[string]time.Time{}
	}
	if m.watchedSince.IsZero() {
		m.watchedSince = now
	}
	for pod := range m.readySince {
		if !slices.Contains(ready, pod) {
			delete(m.readySince, pod)
		}
	}
	for _, pod := range ready {
		if _, ok := m.readySince[pod]; !ok {
			m.readySince[pod] = now
		}
	}
}

// notScrapedYet returns the unscraped pods first seen ready no longer than limit ago.
func (m *variantMemory) notScrapedYet(now time.Time, unscraped []string, limit time.Duration) []string {
	var young []string
	for _, pod := range unscraped {
		if since, ok := m.readySince[pod]; ok && now.Sub(since) <= limit {
			young = append(young, pod)
		}
	}
	return young
}

// variantInput gathers the metrics of a variant's ready pods and lists the problems, the
// pods whose samples went stale and the named ready pods without any sample apart
// ("pod NAME: why" for the first two, names for the last), and the pods that ran requests
// over the whole rate window without generating a token (names; still in the input).
func variantInput(v saturation.VariantState, mm *collector.ModelMetrics, snap *collector.Snapshot) (in saturation.VariantInput, problems, stale, unscraped, stalled []string) {
	in = saturation.VariantInput{VariantState: v}
	pods := variantPods(v, mm)
	if v.Pods == nil && len(pods) < v.Ready {
		problems = append(problems, fmt.Sprintf("%d ready replicas but only %d pods named %s-* report metrics", v.Ready, len(pods), v.TargetName))
	}
	for _, name := range pods {
		pm := mm.Pods[name]
		ok, why := pm.Complete()
		if !ok {
			if pm != nil && pm.Stale {
				stale = append(stale, fmt.Sprintf("pod %s: %s", name, staleWhy(pm, snap.Time, snap.StaleAfter)))
				continue
			}
			if pm == nil {
				other, found := servedModel(snap, v.Namespace, name)
				if !found {
					unscraped = append(unscraped, name)
					continue
				}
				why += fmt.Sprintf(" for model_name %q; it reports model_name %q (check the served model name)", v.ModelID, other)
			}
			problems = append(problems, fmt.Sprintf("pod %s: %s", name, why))
			continue
		}
		if pm.Running >= 1 && pm.MeanRunning >= 1 && pm.Generated == 0 {
			stalled = append(stalled, name)
		}
		in.Replicas = append(in.Replicas, saturation.ReplicaMetrics{
			Pod: name, KVUsage: pm.KVUsage, Waiting: pm.Waiting, Running: pm.Running, KVCapacityTokens: pm.KVCapacityTokens,
			MeanITL: pm.MeanITL, MeanRunning: pm.MeanRunning, MeanPrefill: pm.MeanPrefill,
		})
	}
	return in, problems, stale, unscraped, stalled
}

// variantPods returns the variant's pods now: those it lists, or, when it lists none (nil),
// the model's pods reporting metrics that are named for its scale target as a
// Deployment's ("<target>-<hash>-<suffix>") or a StatefulSet's ("<target>-<ordinal>") are,
// sorted; "llama-canary-<hash>-<suffix>" is not "llama"'s.
func variantPods(v saturation.VariantState, mm *collector.ModelMetrics) []string {
	if v.Pods != nil {
		return v.Pods
	}
	var pods []string
	if v.TargetName == "" || mm == nil {
		return pods
	}
	for name := range mm.Pods {
		rest, ok := strings.CutPrefix(name, v.TargetName+"-")
		if ok && strings.Count(rest, "-") <= 1 && !slices.Contains(strings.Split(rest, "-"), "") {
			pods = append(pods, name)
		}
	}
	sort.Strings(pods)
	return pods
}

// servedModel finds which collected model a pod reports metrics for, if any.
func servedModel(snap *collector.Snapshot, namespace, pod string) (string, bool) {
	for k, m := range snap.Models {
		if k.Namespace == namespace && m.Pods[pod] != nil {
			return k.ModelID, true
		}
	}
	return "", false
}

func staleWhy(pm *collector.PodMetrics, at time.Time, staleAfter time.Duration) string {
	if pm.LastSample.IsZero() {
		return "stale sample (time of the latest sample unknown)"
	}
	return fmt.Sprintf("stale sample (latest %v old, limit %v)", at.Sub(pm.LastSample).Round(time.Second), staleAfter)
}

func allMinZero(vs []saturation.VariantState) bool {
	for _, v := range vs {
		if v.Min > 0 {
			return false
		}
	}
	return true
}

func (p *Planner) holdAll(now time.Time, vs []saturation.VariantState, ds []Decision, reason, msg string, mc config.ModelConfig) []Decision {
	for i, v := range vs {
		ds[i].MetricsAvailable = false
		ds[i].MetricsReason = reason
		ds[i].MetricsMessage = msg
		t := p.holdTarget(now, v)
		p.finish(now, v, &ds[i], t, t, AnalyzerHold, "holding current target: "+msg, mc, false)
	}
	return ds
}

// oldestCreated is the earliest known creation time of the variants (zero when
// none is known).
func oldestCreated(vs []saturation.VariantState) time.Time {
	var oldest time.Time
	for _, v := range vs {
		if !v.Created.IsZero() && (oldest.IsZero() || v.Created.Before(oldest)) {
			oldest = v.Created
		}
	}
	return oldest
}

// woke tells whether the model's replicas came up from zero within sustainWindow: from
// the first cycle after a scale from zero that sees one ready, however long it took to
// start.
func (m *modelMemory) woke(now time.Time, vs []saturation.VariantState) bool {
	if m.wokeAt.IsZero() {
		return false
	}
	if m.upAt.IsZero() {
		for _, v := range vs {
			if v.Ready > 0 {
				m.upAt = now
				break
			}
		}
	}
	return m.upAt.IsZero() || now.Sub(m.upAt) <= sustainWindow
}

// fromZero handles a model whose variants are all at zero replicas.
func (p *Planner) fromZero(now time.Time, snap collector.Snapshot, mm *collector.ModelMetrics, vs []saturation.VariantState, ds []Decision, mem *modelMemory, mc config.ModelConfig) []Decision {
	waiting := mm.ScaleFromZeroWaiting
	if err, failed := snap.Failed[collector.QueryScaleFromZero]; failed && mc.ScaleToZero {
		return p.holdAll(now, vs, ds, v1alpha1.ReasonPrometheusError,
			fmt.Sprintf("scale-from-zero signal query failed: %v", err), mc)
	}
	signal := fmt.Sprintf("scale-from-zero signal %.0f", zeroIfNaN(waiting))
	if math.IsNaN(waiting) {
		signal = "scale-from-zero signal has no series (treated as no waiting request)"
	}
	for i := range ds {
		ds[i].Inputs["scaleFromZeroWaiting"] = zeroIfNaN(waiting)
		ds[i].MetricsMessage = "no replica running; " + signal
	}
	var why string
	switch {
	case !mc.ScaleToZero:
		why = "scale-to-zero is not enabled for this model, so it must run"
	case waiting > 0:
		why = fmt.Sprintf("scale from zero: %.0f requests waiting for the model", waiting)
		mem.wokeAt, mem.upAt = now, time.Time{}
	default:
		for i, v := range vs {
			p.finish(now, v, &ds[i], 0, 0, AnalyzerScaleFromZero,
				"at zero and no request waiting: "+signal, mc, true)
		}
		return ds
	}
	best := -1
	for i, v := range vs {
		if best < 0 || v.Cost < vs[best].Cost || (v.Cost == vs[best].Cost && v.Name < vs[best].Name) {
			best = i
		}
	}
	for i, v := range vs {
		rec := v.Min
		reason := why
		if i == best {
			rec = max(v.Min, 1)
			reason = why + fmt.Sprintf("; starting %d on the cheapest variant (cost %g)", rec, v.Cost)
		}
		p.finish(now, v, &ds[i], rec, v.Current, AnalyzerScaleFromZero, reason, mc, false)
	}
	return ds
}

func zeroIfNaN(f float64) float64 {
	if math.IsNaN(f) {
		return 0
	}
	return f
}
