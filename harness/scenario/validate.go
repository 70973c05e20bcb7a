package scenario

import (
	"fmt"
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
