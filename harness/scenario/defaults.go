package scenario

import (
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/config"
)

// Default values applied by Default (and so by Load).
const (
	DefaultSeed            = 1
	DefaultMaxReplicas     = 10
	DefaultInterval        = 30 * time.Second
	DefaultScrapeInterval  = 15 * time.Second
	DefaultRetentionPeriod = 10 * time.Minute
	DefaultScheduling      = 5 * time.Second
	DefaultWeightsLoading  = 60 * time.Second
	DefaultPromptTokens    = 256
	DefaultOutputTokens    = 128
	DefaultTraceClass      = "trace"
	DefaultClass           = "default"
)

func ptr[T any](v T) *T { return &v }

// Default fills every unset field with its documented default. It is idempotent and never
// fails; Validate reports what defaulting cannot fix.
func (s *Scenario) Default() {
	sp := &s.Spec
	if sp.Seed == 0 {
		sp.Seed = DefaultSeed
	}
	if sp.Duration == 0 {
		for _, p := range sp.Traffic.Phases {
			sp.Duration += p.Duration
		}
	}
	if sp.Model.Engine.EnablePrefixCaching == nil {
		sp.Model.Engine.EnablePrefixCaching = ptr(true)
	}
	for i := range sp.Variants {
		defaultVariant(&sp.Variants[i], sp.Autoscaler.ScaleToZero.Enabled)
	}
	defaultAutoscaler(&sp.Autoscaler)
	if sp.Prometheus.ScrapeInterval == 0 {
		sp.Prometheus.ScrapeInterval = DefaultScrapeInterval
	}
	defaultRouter(&sp.Router)
	defaultTraffic(&sp.Traffic)
	for i := range sp.Faults {
		defaultFault(&sp.Faults[i], sp.Duration)
	}
	defaultSLO(sp)
	for i := range sp.Assertions {
		defaultAssertion(&sp.Assertions[i], sp.Variants, *sp.SLO)
	}
}

// Default SLO targets when neither spec.slo nor an assertion gives one.
const (
	DefaultSLOTTFT = 2 * time.Second
	DefaultSLOITL  = 100 * time.Millisecond
)

func defaultSLO(sp *Spec) {
	if sp.SLO == nil {
		sp.SLO = &SLO{}
	}
	for _, a := range sp.Assertions {
		if c := a.SLOAttainment; c != nil {
			if sp.SLO.TTFT == 0 {
				sp.SLO.TTFT = c.TTFT
			}
			if sp.SLO.ITL == 0 {
				sp.SLO.ITL = c.ITL
			}
		}
	}
	for _, a := range sp.Assertions {
		if c := a.Latency; c != nil {
			if c.Metric == MetricTTFT && sp.SLO.TTFT == 0 {
				sp.SLO.TTFT = c.Max
			}
			if c.Metric == MetricITL && sp.SLO.ITL == 0 {
				sp.SLO.ITL = c.Max
			}
		}
	}
	if sp.SLO.TTFT == 0 {
		sp.SLO.TTFT = DefaultSLOTTFT
	}
	if sp.SLO.ITL == 0 {
		sp.SLO.ITL = DefaultSLOITL
	}
}

func defaultVariant(v *Variant, scaleToZero bool) {
	if v.Cost == 0 {
		v.Cost = KnownAccelerators[v.Accelerator].Cost
	}
	if v.MinReplicas == nil {
		if scaleToZero {
			v.MinReplicas = ptr(0)
		} else {
			v.MinReplicas = ptr(1)
		}
	}
	if v.MaxReplicas == 0 {
		v.MaxReplicas = max(DefaultMaxReplicas, *v.MinReplicas)
	}
	if v.InitialReplicas == nil {
		v.InitialReplicas = ptr(max(*v.MinReplicas, 1))
	}
	defaultDurationDist(&v.Startup.Scheduling, DefaultScheduling)
	defaultDurationDist(&v.Startup.WeightsLoading, DefaultWeightsLoading)
}

func defaultDurationDist(d *DurationDist, value time.Duration) {
	if d.Type != "" {
		return
	}
	d.Type = DistConstant
	if *d == (DurationDist{Type: DistConstant}) {
		d.Value = value
	}
}

func defaultAutoscaler(a *Autoscaler) {
	if a.Analyzer == "" {
		a.Analyzer = config.DefaultAnalyzer
	}
	if a.Interval == 0 {
		a.Interval = DefaultInterval
	}
	t := &a.Thresholds
	// The controller's defaults (WVA v0.5.1's wva-saturation-scaling-config).
	if t.KVCacheThreshold == nil {
		t.KVCacheThreshold = ptr(config.DefaultKvCacheThreshold)
	}
	if t.QueueLengthThreshold == nil {
		t.QueueLengthThreshold = ptr(config.DefaultQueueLengthThreshold)
	}
	if t.KVSpareTrigger == nil {
		t.KVSpareTrigger = ptr(config.DefaultKvSpareTrigger)
	}
	if t.QueueSpareTrigger == nil {
		t.QueueSpareTrigger = ptr(config.DefaultQueueSpareTrigger)
	}
	if a.Stabilization.ScaleUp == nil {
		a.Stabilization.ScaleUp = ptr(time.Duration(0))
	}
	if a.Stabilization.ScaleDown == nil {
		a.Stabilization.ScaleDown = ptr(5 * time.Minute)
	}
	if a.Actuation.Mode == "" {
		a.Actuation.Mode = ActuationHPA
	}
	h := &a.Actuation.HPA
	if h.SyncPeriod == 0 {
		h.SyncPeriod = defaultHPASyncTime
	}
	if h.Tolerance == nil {
		h.Tolerance = ptr(0.1)
	}
	// The behavior charts/saturn gives the HPA (and KEDA's HPA): no stabilization window of
	// its own, since the controller applies the scenario's stabilization windows before it
	// publishes a target, and 10 pods per 15 s either way. Kubernetes' own defaults (a 300 s
	// scale-down window) would add a second window on top of the controller's, which no
	// saturn install has; a scenario that wants them states them.
	if h.Behavior.ScaleUp == nil {
		h.Behavior.ScaleUp = &HPAScalingRules{}
	}
	defaultRules(h.Behavior.ScaleUp, ChartHPAStabilizationSeconds, []HPAPolicy{
		{Type: PolicyPods, Value: ChartHPAPodsPerPeriod, PeriodSeconds: ChartHPAPeriodSeconds},
	})
	if h.Behavior.ScaleDown == nil {
		h.Behavior.ScaleDown = &HPAScalingRules{}
	}
	defaultRules(h.Behavior.ScaleDown, ChartHPAStabilizationSeconds, []HPAPolicy{
		{Type: PolicyPods, Value: ChartHPAPodsPerPeriod, PeriodSeconds: ChartHPAPeriodSeconds},
	})
	// charts/saturn's ScaledObject: the controller publishes zero only after the model's
	// scale-to-zero retention period, so KEDA's own cooldown (its default is 5m) is kept
	// short rather than added to it.
	if a.Actuation.KEDA.PollingInterval == 0 {
		a.Actuation.KEDA.PollingInterval = ChartKEDAPollingSeconds * time.Second
	}
	if a.Actuation.KEDA.CooldownPeriod == 0 {
		a.Actuation.KEDA.CooldownPeriod = ChartKEDACooldownSeconds * time.Second
	}
	if a.ScaleToZero.RetentionPeriod == 0 {
		a.ScaleToZero.RetentionPeriod = DefaultRetentionPeriod
	}
}

// The HPA behavior of charts/saturn's values.yaml (hpa.behavior), the scenario's default in
// both directions, and its ScaledObject's keda.pollingInterval and keda.cooldownPeriod;
// TestActuationDefaultsAreTheCharts holds them equal.
const (
	ChartHPAStabilizationSeconds = 0
	ChartHPAPodsPerPeriod        = 10
	ChartHPAPeriodSeconds        = 15
	ChartKEDAPollingSeconds      = 15
	ChartKEDACooldownSeconds     = 30
)

func defaultRules(r *HPAScalingRules, window int32, policies []HPAPolicy) {
	if r.StabilizationWindowSeconds == nil {
		r.StabilizationWindowSeconds = ptr(window)
	}
	if r.SelectPolicy == "" {
		r.SelectPolicy = SelectMax
	}
	if r.Policies == nil {
		r.Policies = policies
	}
}

func defaultRouter(r *Router) {
	if r.Policy == "" {
		r.Policy = RouterKVQueueScorer
	}
	if r.Weights.Queue == nil {
		r.Weights.Queue = ptr(1.0)
	}
	if r.Weights.KVCache == nil {
		r.Weights.KVCache = ptr(1.0)
	}
	if r.Weights.PrefixCache == nil {
		r.Weights.PrefixCache = ptr(0.0)
	}
}

func defaultTraffic(t *Traffic) {
	defaultArrivals(&t.Arrivals)
	for i := range t.Phases {
		p := &t.Phases[i]
		if p.Rate != nil && p.Rate.Constant == nil && p.Rate.Shape == "" {
			p.Rate.Shape = RampLinear
		}
		if p.Arrivals == nil {
			p.Arrivals = ptr(t.Arrivals)
		}
		defaultArrivals(p.Arrivals)
	}
	if d := t.Diurnal; d != nil {
		if d.Period == 0 {
			d.Period = 24 * time.Hour
		}
		if d.Amplitude == 0 && d.Peak != 0 {
			d.Amplitude = d.Peak - d.Base
		}
		if d.Peak == 0 {
			d.Peak = d.Base + d.Amplitude
		}
		if d.PeakAt == nil {
			d.PeakAt = ptr(d.Period / 2)
		}
	}
	if tr := t.Trace; tr != nil {
		if tr.TimeScale == 0 {
			tr.TimeScale = 1
		}
		if tr.RateMultiplier == 0 {
			tr.RateMultiplier = 1
		}
		if tr.Class == "" {
			tr.Class = DefaultTraceClass
		}
		return
	}
	if len(t.Classes) == 0 {
		t.Classes = []Class{{Name: DefaultClass, Share: 1}}
	}
	if len(t.Classes) == 1 && t.Classes[0].Share == 0 {
		t.Classes[0].Share = 1
	}
	for i := range t.Classes {
		c := &t.Classes[i]
		if c.Name == "" && len(t.Classes) == 1 {
			c.Name = DefaultClass
		}
		defaultLength(&c.Prompt, DefaultPromptTokens)
		defaultLength(&c.Output, DefaultOutputTokens)
	}
}

func defaultArrivals(a *Arrivals) {
	if a.Process == "" {
		a.Process = ProcessPoisson
	}
}

func defaultLength(l *LengthDist, value int) {
	for i := range l.Values {
		if l.Values[i].Weight == 0 {
			l.Values[i].Weight = 1
		}
	}
	if l.Type != "" {
		return
	}
	switch {
	case len(l.Values) > 0:
		l.Type = DistEmpirical
	case l.Value == 0 && l.Min == 0 && l.Max == 0 && l.Mean == 0 && l.StdDev == 0:
		l.Type, l.Value = DistConstant, value
	default:
		l.Type = DistConstant
	}
}

func defaultFault(f *Fault, runDuration time.Duration) {
	if k := f.KillReplica; k != nil && k.Count == 0 {
		k.Count = 1
	}
	if d := f.ScrapeDelay; d != nil && d.Duration == 0 && runDuration > d.Start {
		d.Duration = runDuration - d.Start
	}
	if r := f.ControllerRestart; r != nil && r.Downtime == 0 {
		r.Downtime = DefaultRestartDowntime
	}
	if s := f.SlowStart; s != nil && s.Duration == 0 && runDuration > s.Start {
		s.Duration = runDuration - s.Start
	}
}

func defaultAssertion(a *Assertion, variants []Variant, slo SLO) {
	if c := a.SLOAttainment; c != nil && c.TTFT == 0 && c.ITL == 0 {
		c.TTFT, c.ITL = slo.TTFT, slo.ITL
	}
	only := ""
	if len(variants) == 1 {
		only = variants[0].Name
	}
	fill := func(v *string) {
		if *v == "" {
			*v = only
		}
	}
	switch {
	case a.Replicas != nil:
		fill(&a.Replicas.Variant)
	case a.ScaleUpWithin != nil:
		fill(&a.ScaleUpWithin.Variant)
	case a.ScaleDownWithin != nil:
		fill(&a.ScaleDownWithin.Variant)
	}
	if a.Name == "" {
		a.Name = a.describe()
	}
}

// describe derives an assertion's default name from its check.
func (a *Assertion) describe() string {
	var name string
	switch {
	case a.Replicas != nil:
		name = "replicas " + a.Replicas.Variant
	case a.ScaleUpWithin != nil:
		name = fmt.Sprintf("scale up %s within %s", a.ScaleUpWithin.Variant, a.ScaleUpWithin.Within)
	case a.ScaleDownWithin != nil:
		name = fmt.Sprintf("scale down %s within %s", a.ScaleDownWithin.Variant, a.ScaleDownWithin.Within)
	case a.MaxReplicaChanges != nil:
		name = fmt.Sprintf("at most %d replica changes per %s", a.MaxReplicaChanges.Count, a.MaxReplicaChanges.Window)
	case a.Latency != nil:
		name = fmt.Sprintf("%s %s <= %s", a.Latency.Metric, a.Latency.Percentile, a.Latency.Max)
	case a.SLOAttainment != nil:
		name = fmt.Sprintf("SLO attainment >= %g", a.SLOAttainment.MinShare)
	case a.ErrorRate != nil:
		name = fmt.Sprintf("error rate <= %g", a.ErrorRate.Max)
	case a.GPUHours != nil:
		name = fmt.Sprintf("GPU-hours <= %g", a.GPUHours.Max)
	case a.Cost != nil:
		name = fmt.Sprintf("cost <= %g", a.Cost.Max)
	case a.NothingLost != nil:
		name = "nothing lost"
	default:
		name = "assertion"
	}
	if a.Phase != "" {
		name += " in " + a.Phase
	}
	return name
}

// EngineFor merges the model's engine settings with a variant's overrides (non-zero wins).
func (s *Spec) EngineFor(v Variant) Engine {
	e := s.Model.Engine
	o := v.Engine
	if o.MaxNumSeqs != 0 {
		e.MaxNumSeqs = o.MaxNumSeqs
	}
	if o.MaxNumBatchedTokens != 0 {
		e.MaxNumBatchedTokens = o.MaxNumBatchedTokens
	}
	if o.GPUMemoryUtilization != 0 {
		e.GPUMemoryUtilization = o.GPUMemoryUtilization
	}
	if o.TensorParallelSize != 0 {
		e.TensorParallelSize = o.TensorParallelSize
	}
	if o.BlockSize != 0 {
		e.BlockSize = o.BlockSize
	}
	if o.MaxModelLen != 0 {
		e.MaxModelLen = o.MaxModelLen
	}
	if o.EnablePrefixCaching != nil {
		e.EnablePrefixCaching = o.EnablePrefixCaching
	}
	return e
}

// MaxModelLen is the context limit requests are clamped to: the smallest engine maxModelLen
// across variants if set, else the model's maximum context (0 for an unknown model).
func (s *Spec) MaxModelLen() int {
	limit := KnownModels[s.Model.Name].MaxModelLen
	for _, v := range s.Variants {
		if l := s.EngineFor(v).MaxModelLen; l > 0 && (limit == 0 || l < limit) {
			limit = l
		}
	}
	if l := s.Model.Engine.MaxModelLen; l > 0 && (limit == 0 || l < limit) {
		limit = l
	}
	return limit
}

// Variant returns the variant with the given name.
func (s *Spec) Variant(name string) (Variant, bool) {
	for _, v := range s.Variants {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}

// Phase returns the named phase and its start offset.
func (s *Spec) Phase(name string) (p Phase, start time.Duration, ok bool) {
	for _, ph := range s.Traffic.Phases {
		if ph.Name == name {
			return ph, start, true
		}
		start += ph.Duration
	}
	return Phase{}, 0, false
}
