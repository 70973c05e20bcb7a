package hpa

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// TargetType is the External metric target type.
type TargetType string

// Metric target types supported for External metrics.
const (
	Value        TargetType = "Value"
	AverageValue TargetType = "AverageValue"
)

// PolicyType is the unit of a scaling policy.
type PolicyType string

// Scaling policy types.
const (
	Pods    PolicyType = "Pods"
	Percent PolicyType = "Percent"
)

// SelectPolicy chooses between several policies.
type SelectPolicy string

// Policy selection modes.
const (
	Max      SelectPolicy = "Max"
	Min      SelectPolicy = "Min"
	Disabled SelectPolicy = "Disabled"
)

// Policy limits the change of replicas within a period.
type Policy struct {
	Type   PolicyType
	Value  int32
	Period time.Duration
}

// Rules is one direction of an HPA's behavior.
type Rules struct {
	// StabilizationWindow is nil for the direction's default (0 up, 300 s down).
	StabilizationWindow *time.Duration
	Select              SelectPolicy
	Policies            []Policy
	// Tolerance overrides Config.Tolerance for this direction (the
	// autoscaling/v2 field of Kubernetes >= 1.33); nil inherits it.
	Tolerance *float64
}

// Defaults of kube-controller-manager.
const (
	DefaultTolerance  = 0.1
	DefaultSyncPeriod = 15 * time.Second
)

// DefaultScaleUp is the default scale-up behavior: no stabilization, at
// most +100% or +4 pods (whichever is more) per 15 s.
func DefaultScaleUp() Rules {
	w := time.Duration(0)
	return Rules{StabilizationWindow: &w, Select: Max, Policies: []Policy{
		{Type: Percent, Value: 100, Period: 15 * time.Second},
		{Type: Pods, Value: 4, Period: 15 * time.Second},
	}}
}

// DefaultScaleDown is the default scale-down behavior: a 300 s
// stabilization window, at most -100% per 15 s.
func DefaultScaleDown() Rules {
	w := 300 * time.Second
	return Rules{StabilizationWindow: &w, Select: Max, Policies: []Policy{
		{Type: Percent, Value: 100, Period: 15 * time.Second},
	}}
}

// Config is an HPA spec for one External metric.
type Config struct {
	MinReplicas int32
	MaxReplicas int32
	Target      TargetType
	// TargetValue is target.value or target.averageValue.
	TargetValue float64
	// Tolerance is 0 for DefaultTolerance; a negative value disables it.
	Tolerance  float64
	SyncPeriod time.Duration
	// ScaleUp and ScaleDown are nil for the defaults.
	ScaleUp   *Rules
	ScaleDown *Rules
}

// withDefaults fills unset fields with kube-controller-manager defaults.
func (c Config) withDefaults() Config {
	if c.Tolerance == 0 {
		c.Tolerance = DefaultTolerance
	} else if c.Tolerance < 0 {
		c.Tolerance = 0
	}
	if c.SyncPeriod == 0 {
		c.SyncPeriod = DefaultSyncPeriod
	}
	if c.Target == "" {
		c.Target = AverageValue
	}
	up, down := DefaultScaleUp(), DefaultScaleDown()
	c.ScaleUp = mergeRules(c.ScaleUp, up)
	c.ScaleDown = mergeRules(c.ScaleDown, down)
	return c
}

func mergeRules(r *Rules, def Rules) *Rules {
	if r == nil {
		return &def
	}
	out := *r
	if out.StabilizationWindow == nil {
		out.StabilizationWindow = def.StabilizationWindow
	}
	if out.Select == "" {
		out.Select = Max
	}
	if len(out.Policies) == 0 {
		out.Policies = def.Policies
	}
	return &out
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.MinReplicas < 0 {
		errs = append(errs, fmt.Errorf("minReplicas %d: must be >= 0", c.MinReplicas))
	}
	if c.MaxReplicas < 1 || c.MaxReplicas < c.MinReplicas {
		errs = append(errs, fmt.Errorf("maxReplicas %d: must be >= 1 and >= minReplicas", c.MaxReplicas))
	}
	if c.Target != "" && c.Target != Value && c.Target != AverageValue {
		errs = append(errs, fmt.Errorf("target type %q: must be Value or AverageValue", c.Target))
	}
	if c.TargetValue <= 0 {
		errs = append(errs, fmt.Errorf("target value %g: must be > 0", c.TargetValue))
	}
	for _, d := range []struct {
		dir string
		r   *Rules
	}{{"scaleUp", c.ScaleUp}, {"scaleDown", c.ScaleDown}} {
		dir, r := d.dir, d.r
		if r == nil {
			continue
		}
		if r.Select != "" && r.Select != Max && r.Select != Min && r.Select != Disabled {
			errs = append(errs, fmt.Errorf("behavior.%s.selectPolicy %q: must be Max, Min or Disabled", dir, r.Select))
		}
		if w := r.StabilizationWindow; w != nil && (*w < 0 || *w > time.Hour) {
			errs = append(errs, fmt.Errorf("behavior.%s.stabilizationWindowSeconds %v: must be within 0..3600s", dir, *w))
		}
		for i, p := range r.Policies {
			if p.Type != Pods && p.Type != Percent {
				errs = append(errs, fmt.Errorf("behavior.%s.policies[%d].type %q: must be Pods or Percent", dir, i, p.Type))
			}
			if p.Value <= 0 {
				errs = append(errs, fmt.Errorf("behavior.%s.policies[%d].value %d: must be > 0", dir, i, p.Value))
			}
			if p.Period <= 0 || p.Period > 30*time.Minute {
				errs = append(errs, fmt.Errorf("behavior.%s.policies[%d].periodSeconds %v: must be within 1..1800s", dir, i, p.Period))
			}
		}
	}
	return errors.Join(errs...)
}

// Input is what one HPA sync observes.
type Input struct {
	// Current is the scale subresource's spec.replicas.
	Current int32
	// Ready is the number of ready pods (used by target type Value).
	Ready int32
	// Metric is the External metric's value (summed over its series);
	// MetricOK is false when the metric could not be fetched.
	Metric   float64
	MetricOK bool
}

// Result is the outcome of one sync.
type Result struct {
	Desired int32
	// Rescale is true when Desired differs from Input.Current.
	Rescale bool
	// Reason is the condition reason the HPA would report
	// (ScaleUpLimit, TooManyReplicas, ScaleDownStabilized...).
	Reason string
}

type recommendation struct {
	replicas int32
	at       time.Time
}

type scaleEvent struct {
	change int32
	at     time.Time
}

// HPA is the state of one HorizontalPodAutoscaler.
type HPA struct {
	cfg         Config
	recs        []recommendation
	up, down    []scaleEvent
	longestUp   time.Duration
	longestDown time.Duration
	initialised bool
}

// New returns an HPA for cfg (defaults applied).
func New(cfg Config) (*HPA, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid HPA spec: %w", err)
	}
	h := &HPA{cfg: cfg.withDefaults()}
	for _, p := range h.cfg.ScaleUp.Policies {
		h.longestUp = max(h.longestUp, p.Period)
	}
	for _, p := range h.cfg.ScaleDown.Policies {
		h.longestDown = max(h.longestDown, p.Period)
	}
	return h, nil
}

// SyncPeriod is how often the driver must call Sync.
func (h *HPA) SyncPeriod() time.Duration { return h.cfg.SyncPeriod }

// Config returns the effective configuration (defaults applied).
func (h *HPA) Config() Config { return h.cfg }

// Sync runs one reconcile of the HPA at now and records the resulting scale
// event; the caller applies Result.Desired when Result.Rescale is true.
func (h *HPA) Sync(now time.Time, in Input) Result {
	cur := in.Current
	var desired int32
	var reason string
	switch {
	case cur == 0 && h.cfg.MinReplicas != 0:
		return Result{Desired: 0, Reason: "ScalingDisabled"}
	case cur > h.cfg.MaxReplicas:
		desired, reason = h.cfg.MaxReplicas, "TooManyReplicas"
	case cur < h.cfg.MinReplicas:
		desired, reason = h.cfg.MinReplicas, "TooFewReplicas"
	default:
		if !in.MetricOK {
			return Result{Desired: cur, Reason: "FailedGetExternalMetric"}
		}
		proposal := h.replicasForMetric(in)
		desired, reason = h.normalize(now, cur, proposal)
	}
	if desired != cur {
		h.storeScaleEvent(now, cur, desired)
	}
	return Result{Desired: desired, Rescale: desired != cur, Reason: reason}
}

// replicasForMetric is the metric's replica proposal before behaviors.
func (h *HPA) replicasForMetric(in Input) int32 {
	cur := in.Current
	switch h.cfg.Target {
	case Value:
		ratio := in.Metric / h.cfg.TargetValue
		if cur == 0 {
			return ceil32(ratio)
		}
		if math.Abs(1-ratio) <= h.tolerance(ratio) {
			return cur
		}
		return ceil32(ratio * float64(in.Ready))
	default: // AverageValue
		if cur == 0 {
			return ceil32(in.Metric / h.cfg.TargetValue)
		}
		ratio := in.Metric / (h.cfg.TargetValue * float64(cur))
		if math.Abs(1-ratio) <= h.tolerance(ratio) {
			return cur
		}
		return ceil32(in.Metric / h.cfg.TargetValue)
	}
}

// tolerance is the tolerance of the direction the usage ratio points to.
func (h *HPA) tolerance(ratio float64) float64 {
	r := h.cfg.ScaleDown
	if ratio > 1 {
		r = h.cfg.ScaleUp
	}
	if r.Tolerance != nil {
		return *r.Tolerance
	}
	return h.cfg.Tolerance
}

func ceil32(x float64) int32 {
	if math.IsNaN(x) || x <= 0 {
		return 0
	}
	if x >= math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(math.Ceil(x))
}

// normalize applies stabilization windows, then rate policies and min/max,
// in the order of normalizeDesiredReplicasWithBehaviors.
func (h *HPA) normalize(now time.Time, cur, proposal int32) (int32, string) {
	if !h.initialised {
		h.recs = append(h.recs, recommendation{cur, now})
		h.initialised = true
	}
	stabilized, reason := h.stabilize(now, cur, proposal)
	return h.limitRate(now, cur, stabilized, reason)
}

func (h *HPA) stabilize(now time.Time, cur, proposal int32) (int32, string) {
	upCutoff := now.Add(-*h.cfg.ScaleUp.StabilizationWindow)
	downCutoff := now.Add(-*h.cfg.ScaleDown.StabilizationWindow)
	upRec, downRec := proposal, proposal
	old := -1
	for i, r := range h.recs {
		if r.at.After(upCutoff) {
			upRec = min(upRec, r.replicas)
		}
		if r.at.After(downCutoff) {
			downRec = max(downRec, r.replicas)
		}
		if r.at.Before(upCutoff) && r.at.Before(downCutoff) {
			old = i
		}
	}
	rec := cur
	if rec < upRec {
		rec = upRec
	}
	if rec > downRec {
		rec = downRec
	}
	if old >= 0 {
		h.recs[old] = recommendation{proposal, now}
	} else {
		h.recs = append(h.recs, recommendation{proposal, now})
	}
	reason := "ScaleRecommended"
	if rec != proposal {
		if proposal > cur {
			reason = "ScaleUpStabilized"
		} else {
			reason = "ScaleDownStabilized"
		}
	}
	return rec, reason
}

func (h *HPA) limitRate(now time.Time, cur, desired int32, reason string) (int32, string) {
	switch {
	case desired > cur:
		limit := scaleUpLimit(now, cur, h.up, h.down, h.cfg.ScaleUp)
		if limit < cur {
			limit = cur
		}
		allowed, why := h.cfg.MaxReplicas, "TooManyReplicas"
		if allowed > limit {
			allowed, why = limit, "ScaleUpLimit"
		}
		if desired > allowed {
			return allowed, why
		}
	case desired < cur:
		limit := scaleDownLimit(now, cur, h.up, h.down, h.cfg.ScaleDown)
		if limit > cur {
			limit = cur
		}
		allowed, why := h.cfg.MinReplicas, "TooFewReplicas"
		if allowed < limit {
			allowed, why = limit, "ScaleDownLimit"
		}
		if desired < allowed {
			return allowed, why
		}
	}
	return desired, reason
}

func changeInPeriod(now time.Time, period time.Duration, events []scaleEvent) int32 {
	cutoff := now.Add(-period)
	var n int32
	for _, e := range events {
		if e.at.After(cutoff) {
			n += e.change
		}
	}
	return n
}

func scaleUpLimit(now time.Time, cur int32, up, down []scaleEvent, r *Rules) int32 {
	if r.Select == Disabled {
		return cur
	}
	result, pick := int32(math.MinInt32), maxInt32
	if r.Select == Min {
		result, pick = math.MaxInt32, minInt32
	}
	for _, p := range r.Policies {
		start := cur - changeInPeriod(now, p.Period, up) + changeInPeriod(now, p.Period, down)
		var proposed int32
		if p.Type == Pods {
			proposed = start + p.Value
		} else {
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		}
		result = pick(result, proposed)
	}
	return result
}

func scaleDownLimit(now time.Time, cur int32, up, down []scaleEvent, r *Rules) int32 {
	if r.Select == Disabled {
		return cur
	}
	result, pick := int32(math.MaxInt32), minInt32
	if r.Select == Min {
		result, pick = math.MinInt32, maxInt32
	}
	for _, p := range r.Policies {
		start := cur - changeInPeriod(now, p.Period, up) + changeInPeriod(now, p.Period, down)
		var proposed int32
		if p.Type == Pods {
			proposed = start - p.Value
		} else {
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		}
		result = pick(result, proposed)
	}
	return result
}

func maxInt32(a, b int32) int32 { return max(a, b) }
func minInt32(a, b int32) int32 { return min(a, b) }

// storeScaleEvent remembers a rescale for the rate policies and forgets
// events older than the longest policy period.
func (h *HPA) storeScaleEvent(now time.Time, from, to int32) {
	if to > from {
		h.up = append(prune(now, h.up, h.longestUp), scaleEvent{to - from, now})
	} else {
		h.down = append(prune(now, h.down, h.longestDown), scaleEvent{from - to, now})
	}
}

func prune(now time.Time, events []scaleEvent, keep time.Duration) []scaleEvent {
	cutoff := now.Add(-keep)
	out := events[:0]
	for _, e := range events {
		if e.at.After(cutoff) {
			out = append(out, e)
		}
	}
	return out
}
