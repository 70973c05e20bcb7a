package scenario

import (
	"fmt"
	"math"
	"time"
)

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
			if c.Prefix.Groups < 1 || c.Prefix.Groups > maxPrefixGroups {
				v.field(cp+".prefix.groups", "must be in [1, %d], got %d", maxPrefixGroups, c.Prefix.Groups)
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
