package saturation

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/config"
)

// epsilon absorbs floating-point noise when comparing token counts.
const epsilon = 1e-9

// MaxTargetReplicas bounds any variant's target, whatever the inputs claim.
const MaxTargetReplicas = 10000

// Capacity is saturn's default analyzer: it sizes the pool of a model in one decision
// from KV tokens in use, waiting requests and per-replica KV capacity.
type Capacity struct{}

// NewCapacity returns the capacity analyzer.
func NewCapacity() Capacity { return Capacity{} }

// Name implements Analyzer.
func (Capacity) Name() string { return config.AnalyzerCapacity }

// pool is the model-level picture the capacity analyzer reasons about.
type pool struct {
	tokens          bool      // capacities known: units are tokens; else fractions of a replica
	capacity        []float64 // per variant, in units
	usedUnits       float64
	waiting         float64 // sizing waiting (sustained when known), summed over ready pods
	peakWaiting     float64 // 1-minute peak waiting, summed
	waitUnits       float64
	demand          float64 // usedUnits + waitUnits
	utilTarget      float64 // kvCacheThreshold - kvSpareTrigger
	needUnits       float64 // demand / utilTarget
	supplyUnits     float64 // sum over variants of current x capacity
	supplyReplicas  int
	readyWithMetric int
	pending         int // starting replicas, counted as supply
	stuck           int // failed replicas, not counted as supply
	queueing        int // ready pods holding a sustained queue of queueLengthThreshold or more
	needQueueRepl   int // ceil(waiting / queueLengthThreshold): the queue rule, used only while no saturation concurrency is known

	running     float64 // running requests, summed
	meanRunning float64 // running requests averaged over the last minute, summed (running where unknown)
	queuedConc  float64 // waiting requests counted in the KV demand and the concurrency (per pod at most queueLengthThreshold)
	concurrency float64 // max(running, meanRunning) x growth + queuedConc (drainConc with a backlog) + overflow
	overflow    float64 // running requests beyond the SLO capacity of the replicas they run on
	overflowOn  []string
	// concSupplyReady sums what the ready pods hold at their concurrency targets (the
	// overflow's baseline).
	concSupplyReady float64
	// maxOverload is the largest running / SLO capacity ratio among the variants (0 = none over).
	maxOverload  float64
	growth       float64 // requests in flight at the forecast rate / in flight now (>= 1)
	forecast     float64 // forecast arrival rate at the lead time (req/s); 0 = no forecast
	residenceSec float64 // time in system at the operating point (s); 0 = unknown
	// backlog is what the ready replicas hold beyond the forecast rate's need and their
	// targets, drainSec how long they take to drain it once new replicas take the
	// arrivals, drainConc the concurrency the pool is sized for meanwhile (drain). 0 = none.
	backlog, drainConc, drainSec float64
	// imbalance is the router's: the busiest pod's request rate over its variant's mean,
	// the largest among the variants (1 = even or unknown).
	imbalance  float64
	conc       concurrencyModel
	throughput []float64 // requests/s one replica serves at its concurrency target, per variant; 0 = unknown
	inSystem   []float64 // a request's time in a replica at its concurrency target (s), per variant; 0 = unknown
	concSupply float64   // sum over variants of serving replicas x per-replica concurrency capacity
	// concSupplyDown is concSupply with each replica at the concurrency a consolidation
	// relies on (concurrencyModel.consolidation).
	concSupplyDown float64
	tune           config.CapacityTuning
}

func buildPool(in ModelInput) pool {
	t := in.Thresholds
	p := pool{tokens: true, capacity: make([]float64, len(in.Variants)), tune: in.Capacity.WithDefaults()}
	p.utilTarget = t.KvCacheThreshold - t.KvSpareTrigger
	if p.utilTarget <= 0 {
		p.utilTarget = t.KvCacheThreshold
	}
	var capSum float64
	var capN int
	for i, v := range in.Variants {
		var vs float64
		for _, r := range v.Replicas {
			p.readyWithMetric++
			if r.KVCapacityTokens <= 0 {
				p.tokens = false
			}
			vs += r.KVCapacityTokens
		}
		if len(v.Replicas) > 0 {
			p.capacity[i] = vs / float64(len(v.Replicas))
			capSum += vs
			capN += len(v.Replicas)
		}
		p.pending += v.Starting()
		p.stuck += v.Pending() - v.Starting()
	}
	if !p.tokens || capN == 0 {
		p.tokens = false
		for i := range p.capacity {
			p.capacity[i] = 1
		}
	} else {
		mean := capSum / float64(capN)
		for i := range p.capacity {
			if p.capacity[i] <= 0 { // variant without a reporting replica: assume the model's mean
				p.capacity[i] = mean
			}
		}
	}
	p.conc = buildConcurrency(in, p.capacity, p.tokens)
	for i, v := range in.Variants {
		var vRunning float64
		for _, r := range v.Replicas {
			vRunning += math.Max(r.Running, nonNeg(r.MeanRunning))
			c := 1.0
			if p.tokens {
				c = r.KVCapacityTokens
			}
			p.usedUnits += r.KVUsage * c
			w := r.SizingWaiting()
			p.waiting += w
			// A queue is a backlog on its pod (queued requests do not move to new replicas):
			// it counts in the KV demand and the concurrency up to queueLengthThreshold per
			// pod, so that a backlog does not size the pool on its own; the queue rule and the
			// saturation it reveals (running at the replica's limit) size the rest.
			p.queuedConc += math.Min(w, t.QueueLengthThreshold)
			p.peakWaiting += r.Waiting
			p.running += r.Running
			if finite(r.MeanRunning) && r.MeanRunning > 0 {
				p.meanRunning += r.MeanRunning
			} else {
				p.meanRunning += r.Running
			}
			if w >= t.QueueLengthThreshold {
				p.queueing++
			}
		}
		// A variant running more than its replicas hold at the ITL objective misses the SLO
		// there, whatever room other variants have: the router sends it that share. The
		// excess counts as demand, so that the pool grows until the router's share for
		// the variant fits.
		p.concSupplyReady += float64(len(v.Replicas)) * p.conc.capacity[i]
		if held := float64(len(v.Replicas)) * p.conc.capacity[i]; p.conc.bySLO[i] && held > 0 && vRunning > held && finite(vRunning/held) {
			p.maxOverload = math.Max(p.maxOverload, vRunning/held)
			p.overflowOn = append(p.overflowOn, fmt.Sprintf("%s at %.2fx", v.Name, vRunning/held))
		}
		serving := v.Serving()
		p.supplyUnits += float64(serving) * p.capacity[i]
		p.supplyReplicas += serving
		p.concSupply += float64(serving) * p.conc.capacity[i]
		p.concSupplyDown += float64(serving) * p.conc.consolidation(i)
	}
	p.throughput, p.inSystem = make([]float64, len(in.Variants)), make([]float64, len(in.Variants))
	if out := in.Load.MeanOutputTokens; finite(out) && out > 0 {
		for i, v := range in.Variants {
			// Little's law at the operating point: the requests a replica runs over the
			// time each spends in it (its prefill, then its output tokens at the ITL at that
			// load: LatencyModel.InSystem).
			if w := v.Latency.InSystem(p.conc.capacity[i], out); v.Latency.Known && finite(w) && w > 0 {
				p.inSystem[i] = w
				p.throughput[i] = p.conc.capacity[i] / w
			} else if t := p.conc.priorThroughput[i]; t > 0 {
				// Ranked by its prior; its time in system stays unknown (the residence is
				// what the measured variants show).
				p.throughput[i] = t
			}
		}
	}
	p.imbalance = loadImbalance(in)
	p.growth = 1
	inFlight := math.Max(p.running, p.meanRunning)
	if l := in.Load; l.Known && inFlight > 0 && l.CompletionRate >= minForecastRate {
		// Size for the arrival rate expected when a replica asked for now is ready: by
		// Little's law it keeps rate x time-in-system requests in flight. The time in
		// system is the one at the replicas' operating point when the latency model gives
		// it (generated tokens x the ITL at the per-replica target), else the one measured
		// now (requests in flight / completions), which an overloaded pool inflates.
		p.forecast = math.Max(l.ArrivalRate+math.Max(l.Trend, 0)*l.Lead.Seconds(), l.Step)
		need := inFlight * p.forecast / l.CompletionRate
		if w := p.residence(in.Variants); w > 0 {
			p.residenceSec = w
			need = p.forecast * w
		}
		// The growth is relative to the requests in flight over the last minute (the KV
		// usage is that minute's peak; the running gauge alone is one noisy instant).
		if g := need / inFlight; finite(g) {
			p.growth = math.Min(math.Max(g, 1), maxGrowth)
		}
		if p.residenceSec > 0 && l.Lead > 0 {
			p.drain(in, need, inFlight+p.waiting, l.Lead)
		}
	}
	if p.backlog > 0 {
		p.concurrency = p.drainConc
	} else {
		p.concurrency = inFlight*p.growth + p.queuedConc
	}
	// A variant over its SLO capacity while the pool has room is the router's doing: it
	// gives that variant a share the others' spare room cannot take. Assuming the share
	// follows the pool's size, the pool must grow by the variant's overload factor for
	// the share to fit: the pool-wide demand times that factor, the excess counted as
	// overflow. The demand, not the supply: replicas already added for the share would
	// otherwise be multiplied again at every cycle the router keeps the variant over
	// (prefix affinity does), and the pool grew without bound. With one serving variant
	// there is no share: its overload is the pool's, which the concurrency (and its
	// backlog) already counts.
	if need := p.concurrency * p.maxOverload; p.maxOverload > 1 && servingVariants(in) > 1 {
		p.overflow = need - p.concurrency
		p.concurrency = need
	}
	if p.tokens && finite(in.MeanPromptTokens) && in.MeanPromptTokens > 0 {
		p.waitUnits = p.queuedConc * in.MeanPromptTokens
	}
	p.demand = p.usedUnits*p.growth + p.waitUnits
	p.needUnits = p.demand / p.utilTarget
	if !p.conc.anyLearned {
		// Until a saturation concurrency is known the queue sizes the pool at
		// queueLengthThreshold waiting per replica, at most doubling it per decision (a
		// backlog on one pod does not move to new replicas; the next cycles see the rest).
		p.needQueueRepl = int(math.Min(math.Ceil(p.waiting/t.QueueLengthThreshold-epsilon), math.Max(2*float64(p.supplyReplicas), 1)))
	}
	return p
}

// drain sizes the pool for a backlog: requests the ready replicas hold beyond what the
// forecast rate keeps in flight at the operating point (need) and beyond their own
// targets, the rest of a surge that met too few replicas. Queued requests do not move
// between vLLM replicas: until replicas asked for now are ready (the lead time) the ready
// ones keep taking the arrivals they cannot serve, and from then on they drain what they
// hold at their saturated rate M while the router sends new arrivals to the new
// replicas, which must then carry the forecast rate alone. The ready replicas count as
// busy for the share of a lead time their drain lasts beyond it ((backlog + (forecast -
// M) x lead) / M, capped at one lead time): a backlog they clear before new replicas
// could start adds nothing beyond the forecast's need, one that outlasts another lead
// time adds the ready replicas' targets to it. Counting the backlog whole, as requests to
// hold at once, bought replicas that became ready when it was gone and then sat through
// the stabilization window.
func (p *pool) drain(in ModelInput, need, inFlight float64, lead time.Duration) {
	held := math.Max(need, p.concSupplyReady)
	if inFlight <= held || !finite(inFlight-held) || !(p.concSupplyReady > 0) {
		return
	}
	var drainRate float64 // the ready replicas' saturated request rate
	for i, v := range in.Variants {
		full := p.conc.saturation[i]
		if full <= 0 {
			full = PriorSaturationConcurrency
		}
		sat := v.Latency.throughputAt(full, in.Load.MeanOutputTokens)
		if !(sat > 0) {
			sat = p.throughput[i]
		}
		drainRate += float64(len(v.Replicas)) * sat
	}
	if !(drainRate > 0) || !finite(drainRate) {
		return
	}
	h := lead.Seconds()
	p.backlog = inFlight - held
	p.drainSec = math.Max(p.backlog+(p.forecast-drainRate)*h, 0) / drainRate
	busy := math.Min(p.drainSec/h, 1)
	p.drainConc = need + busy*p.concSupplyReady
}

// servingVariants counts the variants with a ready replica reporting metrics.
func servingVariants(in ModelInput) int {
	n := 0
	for _, v := range in.Variants {
		if len(v.Replicas) > 0 {
			n++
		}
	}
	return n
}

const (
	// minForecastRate: below this completion rate (req/s) the rates are too noisy to
	// forecast from; the pool is sized on the requests in flight.
	minForecastRate = 0.2
	// maxGrowth bounds the forecast growth of one decision (a burst measured over a short
	// window must not size the pool on its own).
	maxGrowth = 8.0
)

// loadImbalance is the router's imbalance across the pods of a variant: the busiest pod's
// request rate over the mean of its variant's pods, the largest among the variants, within
// [1, maxImbalance]. A pod's rate is its mean running requests over their time in it
// (Little's law; the time by the variant's line at that load, LatencyModel.InSystem), so a
// pod near its limit, whose running requests grow faster than its rate, does not read as
// imbalance. 1 when no variant has two pods with a known rate.
func loadImbalance(in ModelInput) float64 {
	out := in.Load.MeanOutputTokens
	worst := 1.0
	if !finite(out) || out <= 0 {
		return worst
	}
	for _, v := range in.Variants {
		if !v.Latency.Known || len(v.Replicas) < 2 {
			continue
		}
		var sum, hi float64
		var n int
		for _, r := range v.Replicas {
			run := r.Running
			if finite(r.MeanRunning) && r.MeanRunning > 0 {
				run = r.MeanRunning
			}
			w := v.Latency.InSystem(run, out)
			if !finite(run) || run < 0 || !(w > 0) || !finite(w) {
				continue
			}
			x := run / w
			sum += x
			hi = math.Max(hi, x)
			n++
		}
		if n >= 2 && sum > 0 {
			worst = math.Max(worst, hi*float64(n)/sum)
		}
	}
	return math.Min(worst, maxImbalance)
}

// residence is a request's time in system (seconds) at the variants' operating points,
// weighted by the variants' concurrency supply; 0 when no variant's is known.
func (p pool) residence(vs []VariantInput) float64 {
	var sum, weight float64
	for i, v := range vs {
		if w := math.Max(float64(v.Current), 1) * p.conc.capacity[i]; p.inSystem[i] > 0 && finite(w) {
			sum += w * p.inSystem[i]
			weight += w
		}
	}
	if weight <= 0 {
		return 0
	}
	return sum / weight
}

// concurrencyReplicas is the number of replicas the concurrency needs at the targets of
// the variants (weighted by their current supply); 0 when no saturation is known.
func (p pool) concurrencyReplicas() int {
	if !p.conc.anyLearned || p.supplyReplicas <= 0 || p.concSupply <= 0 {
		return 0
	}
	perReplica := p.concSupply / float64(p.supplyReplicas)
	return int(math.Min(math.Ceil(p.concurrency/perReplica-epsilon), 1e9))
}

func (p pool) describe(in ModelInput) string {
	var b strings.Builder
	if p.tokens {
		fmt.Fprintf(&b, "KV demand %.0f tokens (%.0f in use", p.demand, p.usedUnits)
		if p.waitUnits > 0 {
			fmt.Fprintf(&b, " + %.0f waiting x %.0f mean prompt tokens", p.queuedConc, in.MeanPromptTokens)
		}
		fmt.Fprintf(&b, ") needs %.0f tokens at %.0f%% utilisation; supply %d replicas = %.0f tokens",
			p.needUnits, p.utilTarget*100, p.supplyReplicas, p.supplyUnits)
	} else {
		fmt.Fprintf(&b, "KV in use %.2f replica-equivalents (capacity unknown: vllm:cache_config_info missing) needs %.2f replicas at %.0f%% utilisation; supply %d replicas",
			p.usedUnits, p.needUnits, p.utilTarget*100, p.supplyReplicas)
	}
	if p.growth > 1 {
		fmt.Fprintf(&b, "; concurrency %.0f (%.0f running x %.2f forecast growth + %.0f of %.0f waiting", p.concurrency, p.running, p.growth, p.queuedConc, p.waiting)
	} else {
		fmt.Fprintf(&b, "; concurrency %.0f (%.0f running + %.0f of %.0f waiting", p.concurrency, p.running, p.queuedConc, p.waiting)
	}
	if p.peakWaiting > p.waiting {
		fmt.Fprintf(&b, " sustained, 1m peak %.0f", p.peakWaiting)
	}
	if p.backlog > 0 {
		fmt.Fprintf(&b, "; a backlog of %.0f beyond the forecast's need and the ready replicas' targets, which they drain for %v after a lead time: concurrency %.0f",
			p.backlog, time.Duration(p.drainSec*float64(time.Second)).Round(time.Second), p.drainConc)
	}
	if p.overflow > 0 {
		fmt.Fprintf(&b, " + %.0f for the router's share on %s, over its sloITL capacity", p.overflow, strings.Join(p.overflowOn, ", "))
	}
	fmt.Fprintf(&b, ")")
	if l := in.Load; l.Known {
		fmt.Fprintf(&b, "; arrivals %.2f req/s (%.2f completed", l.ArrivalRate, l.CompletionRate)
		if l.Trend != 0 {
			fmt.Fprintf(&b, ", trend %+.3f req/s per s", l.Trend)
		}
		if l.Step > 0 {
			fmt.Fprintf(&b, ", a step up to %.2f req/s within the rate window", l.Step)
		}
		fmt.Fprintf(&b, "), forecast %.2f req/s in %v", p.forecast, l.Lead.Round(time.Second))
		if p.residenceSec > 0 {
			fmt.Fprintf(&b, " x %.1fs in system at the target ITL (%.0f output tokens)", p.residenceSec, l.MeanOutputTokens)
		}
	}
	if !p.conc.anyLearned {
		fmt.Fprintf(&b, ", saturation not observed yet")
	}
	for i, v := range in.Variants {
		if p.conc.learned[i] && p.conc.saturation[i] > 0 && !strings.Contains(p.conc.source[i], "sloITL") {
			fmt.Fprintf(&b, ", %s %.1f per replica (%.0f%% of saturation at %.0f running, %s)",
				v.Name, p.conc.capacity[i], p.tune.ConcurrencyTarget*100, p.conc.saturation[i], p.conc.source[i])
		} else {
			fmt.Fprintf(&b, ", %s %.1f per replica (%s)", v.Name, p.conc.capacity[i], p.conc.source[i])
		}
	}
	if n := p.concurrencyReplicas(); n > 0 {
		fmt.Fprintf(&b, ": needs %d replicas", n)
	}
	if !p.conc.anyLearned && p.waiting > 0 {
		fmt.Fprintf(&b, "; %.0f waiting need %d replicas at %g per replica", p.waiting, p.needQueueRepl, in.Thresholds.QueueLengthThreshold)
	}
	if p.queueing > 0 {
		fmt.Fprintf(&b, "; %d replicas queueing >= %g", p.queueing, in.Thresholds.QueueLengthThreshold)
	}
	if p.pending > 0 {
		fmt.Fprintf(&b, "; %d starting replicas counted as supply", p.pending)
	}
	if p.stuck > 0 {
		fmt.Fprintf(&b, "; %d stuck replicas not counted", p.stuck)
	}
	return b.String()
}

// Analyze implements Analyzer. Result.Inputs holds finite numbers only (records encode
// them as JSON): unknown figures such as a NaN mean prompt length are left out.
func (c Capacity) Analyze(in ModelInput) Result {
	res := c.analyze(in)
	for k, v := range res.Inputs {
		if !finite(v) {
			delete(res.Inputs, k)
		}
	}
	return res
}

func (c Capacity) analyze(in ModelInput) Result {
	if err := validateInput(in); err != nil {
		return hold(c.Name(), in, "holding current replicas: "+err.Error())
	}
	p := buildPool(in)
	res := Result{
		Analyzer: c.Name(),
		Targets:  make([]Target, len(in.Variants)),
		Inputs: map[string]float64{
			"demand":           p.demand,
			"inUse":            p.usedUnits,
			"waiting":          p.waiting,
			"meanPromptTokens": in.MeanPromptTokens,
			"need":             p.needUnits,
			"supply":           p.supplyUnits,
			"supplyReplicas":   float64(p.supplyReplicas),
			"running":          p.running,
			"peakWaiting":      p.peakWaiting,
			"concurrency":      p.concurrency,
			"concSupply":       p.concSupply,
			"concReplicas":     float64(p.concurrencyReplicas()),
			"queueing":         float64(p.queueing),
			"pending":          float64(p.pending),
			"stuck":            float64(p.stuck),
			"utilTarget":       p.utilTarget,
			"growth":           p.growth,
			"overflow":         p.overflow,
			"forecastRate":     p.forecast,
			"arrivalRate":      in.Load.ArrivalRate,
			"completionRate":   in.Load.CompletionRate,
			"trend":            in.Load.Trend,
			"step":             in.Load.Step,
			"leadSeconds":      in.Load.Lead.Seconds(),
			"residenceSeconds": p.residenceSec,
			"imbalance":        p.imbalance,
			"backlog":          p.backlog,
		},
	}
	if p.tokens {
		res.Inputs["tokenUnits"] = 1
	}
	for i, v := range in.Variants {
		res.Targets[i] = Target{Variant: v.Name, Replicas: v.Current}
	}
	summary := p.describe(in)
	if !finite(p.needUnits) || !finite(p.supplyUnits) {
		return hold(c.Name(), in, "holding current replicas: demand or supply overflows ("+summary+")")
	}
	if p.readyWithMetric == 0 {
		res.Reason = "no ready replica reports metrics; holding current replicas (" + summary + ")"
		for i := range res.Targets {
			res.Targets[i].Reason = res.Reason
		}
		return res
	}

	for i := range in.Variants {
		if p.conc.learned[i] {
			res.Inputs["saturationConcurrency"] = math.Max(res.Inputs["saturationConcurrency"], p.conc.saturation[i])
		}
	}
	deficitUnits := p.needUnits - p.supplyUnits
	deficitConc := 0.0
	if p.conc.anyLearned {
		deficitConc = p.concurrency - p.concSupply
	}
	deficitRepl := p.needQueueRepl - p.supplyReplicas
	if deficitUnits > epsilon*math.Max(1, p.needUnits) || deficitConc > epsilon*math.Max(1, p.concurrency) || deficitRepl > 0 {
		c.scaleUp(in, p, deficitUnits, deficitConc, deficitRepl, &res, summary)
		return res
	}
	c.scaleDown(in, p, &res, summary)
	return res
}

func (Capacity) scaleUp(in ModelInput, p pool, deficitUnits, deficitConc float64, deficitRepl int, res *Result, summary string) {
	order, perThroughput := byValue(in, p, true)
	added := make([]int, len(in.Variants))
	for _, i := range order {
		if deficitUnits <= epsilon && deficitConc <= epsilon && deficitRepl <= 0 {
			break
		}
		v := in.Variants[i]
		k := 0
		if deficitUnits > epsilon {
			k = int(math.Min(math.Ceil(deficitUnits/p.capacity[i]-epsilon), MaxTargetReplicas))
		}
		if deficitConc > epsilon {
			k = max(k, int(math.Min(math.Ceil(deficitConc/p.conc.capacity[i]-epsilon), MaxTargetReplicas)))
		}
		k = max(k, deficitRepl, 0)
		k = min(k, max(MaxTargetReplicas-v.Current, 0))
		if v.Max > 0 {
			k = min(k, max(v.Max-v.Current, 0))
		}
		if k == 0 {
			continue
		}
		added[i] = k
		deficitUnits -= float64(k) * p.capacity[i]
		deficitConc -= float64(k) * p.conc.capacity[i]
		deficitRepl -= k
	}
	var parts []string
	for i, v := range in.Variants {
		if added[i] == 0 {
			res.Targets[i].Reason = "no change on this variant: " + summary
			continue
		}
		res.Targets[i].Replicas = v.Current + added[i]
		res.Targets[i].Reason = fmt.Sprintf("scale up %d -> %d (%s, %s): %s", v.Current, v.Current+added[i], costNote(v, p, i, perThroughput), headroomNote(v.VariantState), summary)
		parts = append(parts, fmt.Sprintf("+%d on %s", added[i], v.Name))
	}
	switch {
	case len(parts) == 0:
		res.Reason = "scale-up needed but every variant is at maxReplicas: " + summary
	case deficitUnits > epsilon || deficitConc > epsilon || deficitRepl > 0:
		res.Reason = "scale up " + strings.Join(parts, ", ") + " (every variant now at maxReplicas, still short): " + summary
	default:
		res.Reason = "scale up " + strings.Join(parts, ", ") + ": " + summary
	}
	for i := range res.Targets {
		if added[i] == 0 && len(parts) == 0 {
			res.Targets[i].Reason = res.Reason
		}
	}
}

func headroomNote(v VariantState) string {
	if v.Max <= 0 {
		return "cheapest with headroom"
	}
	return fmt.Sprintf("cheapest with headroom, max %d", v.Max)
}

func (Capacity) scaleDown(in ModelInput, p pool, res *Result, summary string) {
	holdAll := func(why string) {
		res.Reason = "no change: " + summary + "; " + why
		for i := range res.Targets {
			res.Targets[i].Reason = res.Reason
		}
	}
	if p.pending > 0 {
		holdAll("no scale-down while replicas are starting")
		return
	}
	if p.queueing > 0 {
		holdAll("no scale-down while a replica holds a queue")
		return
	}
	if p.backlog > 0 {
		holdAll("no scale-down while the ready replicas hold a backlog")
		return
	}
	removed := make([]int, len(in.Variants))
	supplyUnits, supplyRepl, concSupply := p.supplyUnits, p.supplyReplicas, p.concSupplyDown
	// With the concurrency from the forecast rate at the operating point, the remaining
	// replicas are held to rateScaleDownHeadroom of their targets on average, and the
	// busiest of them (the router's imbalance) to its target, down to one replica as to
	// any other count. Otherwise to scaleDownHeadroom.
	headroom := func() float64 {
		if p.residenceSec <= 0 {
			return scaleDownHeadroom
		}
		return math.Min(rateScaleDownHeadroom, 1/p.imbalance)
	}
	blocked := ""
	downOrder, perThroughput := byValue(in, p, false)
	for _, i := range downOrder {
		v := in.Variants[i]
		for v.Current-removed[i] > max(v.Min, 1) {
			nextUnits := supplyUnits - p.capacity[i]
			nextRepl := supplyRepl - 1
			nextConc := concSupply - p.conc.consolidation(i)
			if nextRepl < 1 {
				break
			}
			if p.needUnits > nextUnits+epsilon*math.Max(1, p.needUnits) {
				blocked = "removing one more replica would break the KV target"
				break
			}
			removed[i]++
			conc := p.concurrencyAt(in, removed)
			removed[i]--
			if h := headroom(); conc > nextConc*h+epsilon {
				blocked = fmt.Sprintf("removing one more replica would put concurrency %.0f over %.0f%% of the remaining %.0f", conc, h*100, nextConc)
				if h < rateScaleDownHeadroom && h != scaleDownHeadroom {
					blocked += fmt.Sprintf(" (the busiest replica takes %.2fx the mean: the router's imbalance)", p.imbalance)
				}
				break
			}
			removed[i]++
			supplyUnits, supplyRepl, concSupply = nextUnits, nextRepl, nextConc
		}
	}
	var parts []string
	for i, v := range in.Variants {
		if removed[i] == 0 {
			continue
		}
		res.Targets[i].Replicas = v.Current - removed[i]
		res.Targets[i].Reason = fmt.Sprintf("scale down %d -> %d (most expensive first, %s; the pool without them still holds the KV demand and the concurrency): %s",
			v.Current, v.Current-removed[i], costNote(v, p, i, perThroughput), summary)
		parts = append(parts, fmt.Sprintf("-%d on %s", removed[i], v.Name))
	}
	if blocked == "" {
		blocked = "every variant is at its minimum"
	}
	if len(parts) == 0 {
		res.Reason = "no change: " + summary + "; " + blocked
	} else {
		res.Reason = "scale down " + strings.Join(parts, ", ") + ": " + summary + "; stopped: " + blocked
	}
	for i := range res.Targets {
		if removed[i] == 0 {
			res.Targets[i].Reason = res.Reason
		}
	}
}

// concurrencyAt is the concurrency the pool holds, at the forecast rate, once removed
// replicas are gone and the rest run at the concurrency a consolidation relies on: the
// forecast times the time in system there (Little's law, each variant's ITL line at that
// load, weighted by the replicas that remain), plus the queued requests. Set against what
// those replicas hold, it is the throughput they serve there, as the pool's concurrency
// (the time in system at the replicas' targets) is against their targets; the pool's own
// would compare a slower request with a smaller supply where the line is trusted less far
// than its target. p.concurrency when the time in system is not known from the lines, or
// a backlog or an overflow sizes the pool.
func (p pool) concurrencyAt(in ModelInput, removed []int) float64 {
	out := in.Load.MeanOutputTokens
	if p.residenceSec <= 0 || p.backlog > 0 || p.overflow > 0 || !(out > 0) || !finite(out) {
		return p.concurrency
	}
	var sum, weight float64
	for i, v := range in.Variants {
		n := float64(v.Serving() - removed[i])
		c := p.conc.consolidation(i)
		if n <= 0 || !v.Latency.Known {
			continue
		}
		w := v.Latency.InSystem(c, out)
		if !(w > 0) || !finite(w) {
			continue
		}
		sum += n * c * w
		weight += n * c
	}
	if !(weight > 0) {
		return p.concurrency
	}
	return p.forecast*sum/weight + p.queuedConc
}

// byValue orders the variants by cost per unit of throughput (cost / the requests per
// second a replica serves at its concurrency target) when every variant's throughput is
// known, else by cost per replica; cheapest first (ascending) or most expensive first.
// perThroughput tells which order was used. A replica three times as fast at twice the
// price is the cheaper way to add capacity.
func nonNeg(f float64) float64 {
	if !finite(f) || f < 0 {
		return 0
	}
	return f
}

func byValue(in ModelInput, p pool, ascending bool) (order []int, perThroughput bool) {
	perThroughput = len(in.Variants) > 0 && len(p.throughput) == len(in.Variants)
	for _, t := range p.throughput {
		if !(t > 0) || !finite(t) {
			perThroughput = false
		}
	}
	if !perThroughput {
		return byCost(in, ascending), false
	}
	idx := make([]int, len(in.Variants))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ia, ib := idx[a], idx[b]
		ca, cb := in.Variants[ia].Cost/p.throughput[ia], in.Variants[ib].Cost/p.throughput[ib]
		if ca != cb {
			return (ca < cb) == ascending
		}
		return (in.Variants[ia].Name < in.Variants[ib].Name) == ascending
	})
	return idx, true
}

// costNote says what a variant costs in the order's terms.
func costNote(v VariantInput, p pool, i int, perThroughput bool) string {
	if perThroughput {
		return fmt.Sprintf("cost %g, %.3g per req/s at %.3g req/s per replica", v.Cost, v.Cost/p.throughput[i], p.throughput[i])
	}
	return fmt.Sprintf("cost %g", v.Cost)
}

// byCost returns variant indexes by cost, cheapest first (ascending) or most expensive
// first, ties broken by name (first name first when ascending, last name first otherwise).
func byCost(in ModelInput, ascending bool) []int {
	idx := make([]int, len(in.Variants))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		va, vb := in.Variants[idx[a]], in.Variants[idx[b]]
		if va.Cost != vb.Cost {
			return (va.Cost < vb.Cost) == ascending
		}
		return (va.Name < vb.Name) == ascending
	})
	return idx
}
