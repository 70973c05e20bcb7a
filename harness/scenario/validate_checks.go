package scenario

import (
	"fmt"
	"strings"
	"time"
)

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
		if r := f.ControllerRestart; r != nil {
			n++
			v.withinRun(p+".controllerRestart.at", r.At)
			v.positive(p+".controllerRestart.downtime", r.Downtime)
		}
		if n != 1 {
			v.field(p, "set exactly one of prometheusOutage, scrapeDelay, killReplica, slowStart, unresponsiveReplica, controllerRestart (got %d)", n)
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
			case c.Min == nil && c.Max == nil && !c.Held:
				v.field(p+".replicas", "give min, max, held: true, or several")
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
