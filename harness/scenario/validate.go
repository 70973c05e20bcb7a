package scenario

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
)

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// maxRate bounds rates so generation stays meaningful (1M requests/s is far beyond any
// cluster the twin models).
const maxRate = 1e6

// Validate defaults s (see Default) and returns an ErrorList of its problems (nil when valid).
// Errors carry field paths; Load also locates them by line and column.
func (s *Scenario) Validate() error {
	s.Default()
	sink := newErrorSink(s.Source)
	s.validate(sink)
	return sink.err()
}

type validator struct {
	*errorSink
	s *Scenario
}

func (s *Scenario) validate(sink *errorSink) {
	v := validator{errorSink: sink, s: s}
	if s.APIVersion != APIVersion {
		v.field("apiVersion", "got %q; expected %q", s.APIVersion, APIVersion)
	}
	if s.Kind != Kind {
		v.field("kind", "got %q; expected %q", s.Kind, Kind)
	}
	if !dnsLabel.MatchString(s.Metadata.Name) {
		v.field("metadata.name", "got %q; expected a name of lowercase letters, digits and '-' (at most 63)", s.Metadata.Name)
	}
	sp := &s.Spec
	if sp.Duration <= 0 {
		v.field("spec.duration", "must be > 0 (e.g. \"10m\"); it defaults to the sum of the traffic phases")
	}
	if _, ok := KnownModels[sp.Model.Name]; !ok {
		v.field("spec.model.name", "unknown model %q; known: %s", sp.Model.Name, strings.Join(sortedKeys(KnownModels), ", "))
	}
	v.engine("spec.model.engine", sp.Model.Engine)
	v.variants()
	v.autoscaler()
	v.positive("spec.prometheus.scrapeInterval", sp.Prometheus.ScrapeInterval)
	v.router()
	v.positive("spec.slo.ttft", sp.SLO.TTFT)
	v.positive("spec.slo.itl", sp.SLO.ITL)
	v.traffic()
	v.faults()
	v.assertions()
}

func (v validator) positive(path string, d time.Duration) {
	if d <= 0 {
		v.field(path, "must be > 0, got %s", d)
	}
}

func (v validator) nonNegative(path string, d time.Duration) {
	if d < 0 {
		v.field(path, "must be >= 0, got %s", d)
	}
}

func (v validator) oneOf(path, got string, allowed ...string) bool {
	if slices.Contains(allowed, got) {
		return true
	}
	v.field(path, "got %q; allowed: %s", got, strings.Join(allowed, ", "))
	return false
}

func (v validator) engine(path string, e Engine) {
	if e.MaxNumSeqs < 0 {
		v.field(path+".maxNumSeqs", "must be >= 1, got %d", e.MaxNumSeqs)
	}
	if e.MaxNumBatchedTokens < 0 {
		v.field(path+".maxNumBatchedTokens", "must be >= 1, got %d", e.MaxNumBatchedTokens)
	}
	if e.GPUMemoryUtilization < 0 || e.GPUMemoryUtilization > 1 {
		v.field(path+".gpuMemoryUtilization", "must be in (0, 1], got %g", e.GPUMemoryUtilization)
	}
	if e.TensorParallelSize < 0 || e.TensorParallelSize > 8 || e.TensorParallelSize&(e.TensorParallelSize-1) != 0 {
		v.field(path+".tensorParallelSize", "must be 1, 2, 4 or 8, got %d", e.TensorParallelSize)
	}
	if e.BlockSize != 0 && !slices.Contains([]int{8, 16, 32, 64, 128}, e.BlockSize) {
		v.field(path+".blockSize", "must be 8, 16, 32, 64 or 128, got %d", e.BlockSize)
	}
	if max := KnownModels[v.s.Spec.Model.Name].MaxModelLen; e.MaxModelLen < 0 || (max > 0 && e.MaxModelLen > max) {
		v.field(path+".maxModelLen", "must be in [1, %d] (the model's context), got %d", max, e.MaxModelLen)
	}
}

func (v validator) variants() {
	sp := &v.s.Spec
	if len(sp.Variants) == 0 {
		v.field("spec.variants", "at least one variant is required")
	}
	seen := map[string]bool{}
	for i, vr := range sp.Variants {
		p := fmt.Sprintf("spec.variants[%d]", i)
		if !dnsLabel.MatchString(vr.Name) {
			v.field(p+".name", "got %q; expected a name of lowercase letters, digits and '-'", vr.Name)
		} else if seen[vr.Name] {
			v.field(p+".name", "duplicate variant name %q", vr.Name)
		}
		seen[vr.Name] = true
		if _, ok := KnownAccelerators[vr.Accelerator]; !ok {
			v.field(p+".accelerator", "unknown accelerator %q; known: %s", vr.Accelerator, strings.Join(sortedKeys(KnownAccelerators), ", "))
		}
		if vr.Cost < 0 {
			v.field(p+".cost", "must be >= 0, got %g", vr.Cost)
		}
		minR, initR := *vr.MinReplicas, *vr.InitialReplicas
		switch {
		case minR < 0:
			v.field(p+".minReplicas", "must be >= 0, got %d", minR)
		case minR == 0 && !sp.Autoscaler.ScaleToZero.Enabled:
			v.field(p+".minReplicas", "0 needs spec.autoscaler.scaleToZero.enabled: true")
		case vr.MaxReplicas < 1 || vr.MaxReplicas > 1000:
			v.field(p+".maxReplicas", "must be in [1, 1000], got %d", vr.MaxReplicas)
		case minR > vr.MaxReplicas:
			v.field(p+".minReplicas", "minReplicas %d > maxReplicas %d", minR, vr.MaxReplicas)
		case initR < minR || initR > vr.MaxReplicas:
			v.field(p+".initialReplicas", "must be within [minReplicas, maxReplicas] = [%d, %d], got %d", minR, vr.MaxReplicas, initR)
		}
		v.durationDist(p+".startup.scheduling", vr.Startup.Scheduling)
		v.durationDist(p+".startup.weightsLoading", vr.Startup.WeightsLoading)
		v.engine(p+".engine", vr.Engine)
	}
}

func (v validator) durationDist(path string, d DurationDist) {
	if !v.oneOf(path+".type", d.Type, DistConstant, DistUniform, DistNormal, DistLognormal) {
		return
	}
	if d.Value < 0 || d.Min < 0 || d.Max < 0 || d.Mean < 0 || d.StdDev < 0 {
		v.field(path, "durations must be >= 0")
		return
	}
	if d.Max != 0 && d.Min > d.Max {
		v.field(path+".min", "min %s > max %s", d.Min, d.Max)
	}
	switch d.Type {
	case DistUniform:
		if d.Max == 0 {
			v.field(path+".max", "uniform needs max > 0 (and min <= max)")
		}
	case DistNormal, DistLognormal:
		if d.Mean <= 0 {
			v.field(path+".mean", "%s needs mean > 0", d.Type)
		}
	}
}

func (v validator) autoscaler() {
	a := &v.s.Spec.Autoscaler
	p := "spec.autoscaler"
	v.oneOf(p+".analyzer", a.Analyzer, AnalyzerCapacity, AnalyzerWVAv1)
	v.positive(p+".interval", a.Interval)
	t := a.Thresholds
	unit := func(name string, x float64) {
		if x <= 0 || x > 1 {
			v.field(p+".thresholds."+name, "must be in (0, 1], got %g", x)
		}
	}
	unit("kvCacheThreshold", *t.KVCacheThreshold)
	unit("kvSpareTrigger", *t.KVSpareTrigger)
	if *t.KVSpareTrigger >= *t.KVCacheThreshold {
		v.field(p+".thresholds.kvSpareTrigger", "must be < kvCacheThreshold (%g), got %g", *t.KVCacheThreshold, *t.KVSpareTrigger)
	}
	if *t.QueueLengthThreshold <= 0 {
		v.field(p+".thresholds.queueLengthThreshold", "must be > 0, got %g", *t.QueueLengthThreshold)
	}
	if *t.QueueSpareTrigger < 0 || *t.QueueSpareTrigger >= *t.QueueLengthThreshold {
		v.field(p+".thresholds.queueSpareTrigger", "must be in [0, queueLengthThreshold (%g)), got %g", *t.QueueLengthThreshold, *t.QueueSpareTrigger)
	}
	v.nonNegative(p+".stabilization.scaleUp", *a.Stabilization.ScaleUp)
	v.nonNegative(p+".stabilization.scaleDown", *a.Stabilization.ScaleDown)
	v.oneOf(p+".actuation.mode", a.Actuation.Mode, ActuationHPA, ActuationKEDA, ActuationDirect)
	h := a.Actuation.HPA
	v.positive(p+".actuation.hpa.syncPeriod", h.SyncPeriod)
	if *h.Tolerance < 0 || *h.Tolerance >= 1 {
		v.field(p+".actuation.hpa.tolerance", "must be in [0, 1), got %g", *h.Tolerance)
	}
	v.rules(p+".actuation.hpa.behavior.scaleUp", h.Behavior.ScaleUp)
	v.rules(p+".actuation.hpa.behavior.scaleDown", h.Behavior.ScaleDown)
	v.positive(p+".actuation.keda.pollingInterval", a.Actuation.KEDA.PollingInterval)
	v.positive(p+".actuation.keda.cooldownPeriod", a.Actuation.KEDA.CooldownPeriod)
	v.positive(p+".scaleToZero.retentionPeriod", a.ScaleToZero.RetentionPeriod)
}

func (v validator) rules(path string, r *HPAScalingRules) {
	if w := *r.StabilizationWindowSeconds; w < 0 || w > 3600 {
		v.field(path+".stabilizationWindowSeconds", "must be in [0, 3600], got %d", w)
	}
	v.oneOf(path+".selectPolicy", r.SelectPolicy, SelectMax, SelectMin, SelectDisabled)
	if len(r.Policies) == 0 && r.SelectPolicy != SelectDisabled {
		v.field(path+".policies", "at least one policy is required unless selectPolicy is Disabled")
	}
	for i, pol := range r.Policies {
		pp := fmt.Sprintf("%s.policies[%d]", path, i)
		v.oneOf(pp+".type", pol.Type, PolicyPods, PolicyPercent)
		if pol.Value <= 0 {
			v.field(pp+".value", "must be > 0, got %d", pol.Value)
		}
		if pol.PeriodSeconds <= 0 || pol.PeriodSeconds > 1800 {
			v.field(pp+".periodSeconds", "must be in [1, 1800], got %d", pol.PeriodSeconds)
		}
	}
	if r.Tolerance != nil && (*r.Tolerance < 0 || *r.Tolerance >= 1) {
		v.field(path+".tolerance", "must be in [0, 1), got %g", *r.Tolerance)
	}
}

func (v validator) router() {
	r := v.s.Spec.Router
	v.oneOf("spec.router.policy", r.Policy, RouterRoundRobin, RouterLeastQueue, RouterKVQueueScorer)
	w := r.Weights
	for name, x := range map[string]float64{"queue": *w.Queue, "kvCache": *w.KVCache, "prefixCache": *w.PrefixCache} {
		if x < 0 {
			v.field("spec.router.weights."+name, "must be >= 0, got %g", x)
		}
	}
	if r.Policy == RouterKVQueueScorer && *w.Queue+*w.KVCache+*w.PrefixCache == 0 {
		v.field("spec.router.weights", "kv-queue-scorer needs at least one weight > 0")
	}
}

func (v validator) rateValue(path string, x float64) {
	if x < 0 || x > maxRate {
		v.field(path, "must be in [0, %g] requests/s, got %g", float64(maxRate), x)
	}
}

func (v validator) traffic() {
	t := &v.s.Spec.Traffic
	p := "spec.traffic"
	names := map[string]bool{}
	var total time.Duration
	for i, ph := range t.Phases {
		pp := fmt.Sprintf("%s.phases[%d]", p, i)
		if ph.Name == "" {
			v.field(pp+".name", "is required (assertions refer to phases by name)")
		} else if names[ph.Name] {
			v.field(pp+".name", "duplicate phase name %q", ph.Name)
		}
		names[ph.Name] = true
		v.positive(pp+".duration", ph.Duration)
		total += ph.Duration
		if ph.Rate != nil {
			v.rate(pp+".rate", *ph.Rate)
		} else if t.Diurnal == nil && t.Trace == nil {
			v.field(pp+".rate", "is required when spec.traffic has neither diurnal nor trace")
		}
		if *ph.Arrivals != t.Arrivals { // a copy of the default is checked once, below
			v.arrivals(pp+".arrivals", *ph.Arrivals)
		}
	}
	if total > v.s.Spec.Duration && v.s.Spec.Duration > 0 {
		v.field(p+".phases", "phases last %s, longer than spec.duration %s", total, v.s.Spec.Duration)
	}
	v.arrivals(p+".arrivals", t.Arrivals)
	if d := t.Diurnal; d != nil {
		dp := p + ".diurnal"
		v.rateValue(dp+".base", d.Base)
		if d.Amplitude < 0 || d.Amplitude > d.Base {
			v.field(dp+".amplitude", "must be in [0, base] so the rate stays >= 0; got amplitude %g with base %g (peak %g)", d.Amplitude, d.Base, d.Peak)
		}
		v.positive(dp+".period", d.Period)
		v.nonNegative(dp+".peakAt", *d.PeakAt)
	}
	for i, sk := range t.Spikes {
		sp := fmt.Sprintf("%s.spikes[%d]", p, i)
		v.nonNegative(sp+".at", sk.At)
		v.positive(sp+".duration", sk.Duration)
		switch {
		case sk.Rate != nil && sk.Multiplier != 0:
			v.field(sp, "give either multiplier or rate, not both")
		case sk.Rate != nil:
			v.rateValue(sp+".rate", *sk.Rate)
		case sk.Multiplier <= 0 || sk.Multiplier > 1000:
			v.field(sp+".multiplier", "must be in (0, 1000] (or give rate), got %g", sk.Multiplier)
		}
		if t.Trace != nil {
			v.field(sp, "spikes apply to synthetic traffic, not to trace replay (use trace.rateMultiplier)")
		}
	}
	if t.Trace != nil {
		v.trace()
		return
	}
	if len(t.Phases) == 0 && t.Diurnal == nil {
		v.field(p, "needs phases, diurnal or trace")
	}
	v.classes()
}

func (v validator) rate(path string, r Rate) {
	if r.Constant != nil {
		v.rateValue(path+".constant", *r.Constant)
		if r.From != nil || r.To != nil {
			v.field(path, "give either constant or from/to (a ramp), not both")
		}
		return
	}
	if r.From == nil || r.To == nil {
		v.field(path, "give constant, or both from and to for a ramp")
		return
	}
	v.rateValue(path+".from", *r.From)
	v.rateValue(path+".to", *r.To)
	if v.oneOf(path+".shape", r.Shape, RampLinear, RampExponential) && r.Shape == RampExponential && (*r.From <= 0 || *r.To <= 0) {
		v.field(path, "an exponential ramp needs from > 0 and to > 0")
	}
}

func (v validator) arrivals(path string, a Arrivals) {
	if !v.oneOf(path+".process", a.Process, ProcessPoisson, ProcessGamma, ProcessConstant) {
		return
	}
	if a.Process == ProcessGamma && (a.CV <= 0 || a.CV > 10) {
		v.field(path+".cv", "gamma arrivals need cv in (0, 10] (1 is Poisson-like, > 1 bursty), got %g", a.CV)
	}
	if a.Process != ProcessGamma && a.CV != 0 {
		v.field(path+".cv", "cv applies only to process: gamma")
	}
}

func (v validator) classes() {
	t := &v.s.Spec.Traffic
	names := map[string]bool{}
	sum := 0.0
	for i, c := range t.Classes {
		cp := fmt.Sprintf("spec.traffic.classes[%d]", i)
		if c.Name == "" {
			v.field(cp+".name", "is required with several classes")
		} else if names[c.Name] {
			v.field(cp+".name", "duplicate class name %q", c.Name)
		}
		names[c.Name] = true
		if c.Share <= 0 || c.Share > 1 {
			v.field(cp+".share", "must be in (0, 1], got %g", c.Share)
		}
		sum += c.Share
		v.length(cp+".prompt", c.Prompt)
		v.length(cp+".output", c.Output)
		if c.Prefix != nil {
			if c.Prefix.Groups < 1 {
				v.field(cp+".prefix.groups", "must be >= 1, got %d", c.Prefix.Groups)
			}
			if c.Prefix.Tokens < 1 {
				v.field(cp+".prefix.tokens", "must be >= 1, got %d", c.Prefix.Tokens)
			}
		}
	}
	if len(t.Classes) > 0 && math.Abs(sum-1) > 1e-6 {
		v.field("spec.traffic.classes", "shares sum to %.6g; they must sum to 1", sum)
	}
}

// maxTokens bounds any length parameter (no model has a longer context).
const maxTokens = 1 << 20

func (v validator) length(path string, l LengthDist) {
	if !v.oneOf(path+".type", l.Type, DistConstant, DistUniform, DistNormal, DistLognormal, DistEmpirical) {
		return
	}
	for name, x := range map[string]int{"value": l.Value, "min": l.Min, "max": l.Max} {
		if x < 0 || x > maxTokens {
			v.field(path+"."+name, "must be in [0, %d] tokens, got %d", maxTokens, x)
		}
	}
	if l.Max != 0 && l.Min > l.Max {
		v.field(path+".min", "min %d > max %d", l.Min, l.Max)
	}
	switch l.Type {
	case DistConstant:
		if l.Value < 1 {
			v.field(path+".value", "a constant length needs value >= 1")
		}
	case DistUniform:
		if l.Min < 1 || l.Max < 1 {
			v.field(path, "uniform needs min >= 1 and max >= min")
		}
	case DistNormal, DistLognormal:
		if l.Mean < 1 || l.Mean > maxTokens {
			v.field(path+".mean", "%s needs mean in [1, %d], got %g", l.Type, maxTokens, l.Mean)
		}
		if l.StdDev < 0 || l.StdDev > maxTokens {
			v.field(path+".stddev", "must be in [0, %d], got %g", maxTokens, l.StdDev)
		}
	case DistEmpirical:
		if len(l.Values) == 0 {
			v.field(path+".values", "empirical needs at least one {value, weight}")
		}
		for i, wv := range l.Values {
			if wv.Value < 1 || wv.Value > maxTokens {
				v.field(fmt.Sprintf("%s.values[%d].value", path, i), "must be in [1, %d], got %d", maxTokens, wv.Value)
			}
			if wv.Weight <= 0 || wv.Weight > 1e9 {
				v.field(fmt.Sprintf("%s.values[%d].weight", path, i), "must be in (0, 1e9], got %g", wv.Weight)
			}
		}
	}
}

func (v validator) trace() {
	t := v.s.Spec.Traffic.Trace
	p := "spec.traffic.trace"
	v.oneOf(p+".format", t.Format, TraceAzure, TraceBurstGPT, TraceMooncake)
	if t.Path == "" {
		v.field(p+".path", "is required (relative to the scenario file)")
	}
	if t.TimeScale <= 0 || t.TimeScale > 1e6 {
		v.field(p+".timeScale", "must be in (0, 1e6], got %g", t.TimeScale)
	}
	if t.RateMultiplier <= 0 || t.RateMultiplier > 1000 {
		v.field(p+".rateMultiplier", "must be in (0, 1000], got %g", t.RateMultiplier)
	}
	if len(v.s.Spec.Traffic.Classes) > 0 {
		v.field("spec.traffic.classes", "classes apply to synthetic traffic; a trace gives lengths itself")
	}
	if v.s.Spec.Traffic.Diurnal != nil {
		v.field("spec.traffic.diurnal", "diurnal applies to synthetic traffic, not to trace replay")
	}
}

func (v validator) variantRef(path, name string, required bool) {
	if name == "" {
		if required {
			v.field(path, "is required with several variants; one of: %s", strings.Join(v.variantNames(), ", "))
		}
		return
	}
	if _, ok := v.s.Spec.Variant(name); !ok {
		v.field(path, "unknown variant %q; one of: %s", name, strings.Join(v.variantNames(), ", "))
	}
}

func (v validator) variantNames() []string {
	var names []string
	for _, vr := range v.s.Spec.Variants {
		names = append(names, vr.Name)
	}
	return names
}

func (v validator) withinRun(path string, at time.Duration) {
	if at < 0 || at >= v.s.Spec.Duration {
		v.field(path, "must be within the run [0, %s), got %s", v.s.Spec.Duration, at)
	}
}

func (v validator) faults() {
	for i, f := range v.s.Spec.Faults {
		p := fmt.Sprintf("spec.faults[%d]", i)
		n := 0
		if o := f.PrometheusOutage; o != nil {
			n++
			v.withinRun(p+".prometheusOutage.start", o.Start)
			v.positive(p+".prometheusOutage.duration", o.Duration)
		}
		if d := f.ScrapeDelay; d != nil {
			n++
			v.positive(p+".scrapeDelay.delay", d.Delay)
			v.withinRun(p+".scrapeDelay.start", d.Start)
			v.positive(p+".scrapeDelay.duration", d.Duration)
		}
		if k := f.KillReplica; k != nil {
			n++
			v.withinRun(p+".killReplica.at", k.At)
			v.variantRef(p+".killReplica.variant", k.Variant, true)
			if k.Count < 1 {
				v.field(p+".killReplica.count", "must be >= 1, got %d", k.Count)
			}
		}
		if s := f.SlowStart; s != nil {
			n++
			v.variantRef(p+".slowStart.variant", s.Variant, true)
			v.positive(p+".slowStart.extra", s.Extra)
			v.withinRun(p+".slowStart.start", s.Start)
			v.positive(p+".slowStart.duration", s.Duration)
		}
		if u := f.UnresponsiveReplica; u != nil {
			n++
			v.withinRun(p+".unresponsiveReplica.at", u.At)
			v.variantRef(p+".unresponsiveReplica.variant", u.Variant, true)
			v.positive(p+".unresponsiveReplica.duration", u.Duration)
		}
		if n != 1 {
			v.field(p, "set exactly one of prometheusOutage, scrapeDelay, killReplica, slowStart, unresponsiveReplica (got %d)", n)
		}
	}
}

func (v validator) assertions() {
	for i, a := range v.s.Spec.Assertions {
		p := fmt.Sprintf("spec.assertions[%d]", i)
		if a.Phase != "" {
			if _, _, ok := v.s.Spec.Phase(a.Phase); !ok {
				var names []string
				for _, ph := range v.s.Spec.Traffic.Phases {
					names = append(names, ph.Name)
				}
				v.field(p+".phase", "unknown phase %q; phases: %s", a.Phase, strings.Join(names, ", "))
			}
		}
		n := 0
		if c := a.Replicas; c != nil {
			n++
			v.variantRef(p+".replicas.variant", c.Variant, true)
			switch {
			case c.Min == nil && c.Max == nil:
				v.field(p+".replicas", "give min, max or both")
			case c.Min != nil && *c.Min < 0:
				v.field(p+".replicas.min", "must be >= 0, got %d", *c.Min)
			case c.Min != nil && c.Max != nil && *c.Min > *c.Max:
				v.field(p+".replicas.min", "min %d > max %d", *c.Min, *c.Max)
			}
		}
		if c := a.ScaleUpWithin; c != nil {
			n++
			v.variantRef(p+".scaleUpWithin.variant", c.Variant, true)
			v.positive(p+".scaleUpWithin.within", c.Within)
			if c.ToAtLeast < 0 {
				v.field(p+".scaleUpWithin.toAtLeast", "must be >= 0, got %d", c.ToAtLeast)
			}
		}
		if c := a.ScaleDownWithin; c != nil {
			n++
			v.variantRef(p+".scaleDownWithin.variant", c.Variant, true)
			v.positive(p+".scaleDownWithin.within", c.Within)
			if c.ToAtMost != nil && *c.ToAtMost < 0 {
				v.field(p+".scaleDownWithin.toAtMost", "must be >= 0, got %d", *c.ToAtMost)
			}
		}
		if c := a.MaxReplicaChanges; c != nil {
			n++
			v.variantRef(p+".maxReplicaChanges.variant", c.Variant, false)
			v.positive(p+".maxReplicaChanges.window", c.Window)
			if c.Count < 0 {
				v.field(p+".maxReplicaChanges.count", "must be >= 0, got %d", c.Count)
			}
		}
		if c := a.Latency; c != nil {
			n++
			v.oneOf(p+".latency.metric", c.Metric, MetricTTFT, MetricITL, MetricE2E)
			v.oneOf(p+".latency.percentile", c.Percentile, sortedKeys(Percentiles)...)
			v.positive(p+".latency.max", c.Max)
			v.classRef(p+".latency.class", c.Class)
		}
		if c := a.SLOAttainment; c != nil {
			n++
			v.nonNegative(p+".sloAttainment.ttft", c.TTFT)
			v.nonNegative(p+".sloAttainment.itl", c.ITL)
			if c.MinShare <= 0 || c.MinShare > 1 {
				v.field(p+".sloAttainment.minShare", "must be in (0, 1], got %g", c.MinShare)
			}
			v.classRef(p+".sloAttainment.class", c.Class)
		}
		if c := a.ErrorRate; c != nil {
			n++
			if c.Max < 0 || c.Max > 1 {
				v.field(p+".errorRate.max", "must be in [0, 1], got %g", c.Max)
			}
		}
		if c := a.GPUHours; c != nil {
			n++
			if c.Max <= 0 {
				v.field(p+".gpuHours.max", "must be > 0, got %g", c.Max)
			}
		}
		if c := a.Cost; c != nil {
			n++
			if c.Max <= 0 {
				v.field(p+".cost.max", "must be > 0, got %g", c.Max)
			}
		}
		if a.NothingLost != nil {
			n++
			if !*a.NothingLost {
				v.field(p+".nothingLost", "only true is meaningful; remove the assertion instead")
			}
		}
		if n != 1 {
			v.field(p, "set exactly one check of replicas, scaleUpWithin, scaleDownWithin, maxReplicaChanges, latency, sloAttainment, errorRate, gpuHours, cost, nothingLost (got %d)", n)
		}
	}
}

func (v validator) classRef(path, name string) {
	if name == "" {
		return
	}
	t := v.s.Spec.Traffic
	if t.Trace != nil {
		if name != t.Trace.Class {
			v.field(path, "unknown class %q; the trace's class is %q", name, t.Trace.Class)
		}
		return
	}
	var names []string
	for _, c := range t.Classes {
		if c.Name == name {
			return
		}
		names = append(names, c.Name)
	}
	v.field(path, "unknown class %q; classes: %s", name, strings.Join(names, ", "))
}
