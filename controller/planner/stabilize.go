package planner

import (
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// finish records rec, stabilizes it against base (normally the current replicas), applies
// the variant's bounds and fills the decision. exact skips stabilization (holds,
// scale-to-zero, staying at zero).
func (p *Planner) finish(now time.Time, v saturation.VariantState, d *Decision, rec, base int, analyzer, reason string, mc config.ModelConfig, exact bool) {
	m := p.variantMem(now, v)
	m.recs = append(m.recs, recommendation{now, rec})
	keep := max(mc.ScaleUpStabilizationWindow, mc.ScaleDownStabilizationWindow)
	cut := 0
	for cut < len(m.recs)-1 && now.Sub(m.recs[cut].at) > keep {
		cut++
	}
	m.recs = m.recs[cut:]

	desired := rec
	note := ""
	if !exact {
		switch {
		case rec > base && mc.ScaleUpStabilizationWindow > 0:
			lowest := rec
			for _, r := range m.recs {
				if now.Sub(r.at) < mc.ScaleUpStabilizationWindow && r.replicas < lowest {
					lowest = r.replicas
				}
			}
			desired = max(lowest, base)
			if desired != rec {
				note = fmt.Sprintf("; scale-up to %d held at %d by the %v scale-up stabilization window", rec, desired, mc.ScaleUpStabilizationWindow)
			}
		case rec < base:
			highest := rec
			for _, r := range m.recs {
				if now.Sub(r.at) < mc.ScaleDownStabilizationWindow && r.replicas > highest {
					highest = r.replicas
				}
			}
			desired = min(highest, base)
			if desired != rec {
				note = fmt.Sprintf("; scale-down to %d held at %d: the %v scale-down stabilization window saw %d recommended",
					rec, desired, mc.ScaleDownStabilizationWindow, highest)
			}
		}
	}
	if !exact || rec > 0 {
		if desired < v.Min {
			note += fmt.Sprintf("; raised to minReplicas %d", v.Min)
			desired = v.Min
		}
	}
	if v.Max > 0 && desired > v.Max {
		note += fmt.Sprintf("; capped at maxReplicas %d", v.Max)
		desired = v.Max
	}
	desired = min(max(desired, 0), saturation.MaxTargetReplicas)
	m.lastDesired, m.hasDesired = desired, true

	d.Recommended = rec
	d.Desired = desired
	d.Analyzer = analyzer
	d.Reason = reason + note
	d.Inputs["recommended"] = float64(rec)
	d.Inputs["desired"] = float64(desired)
}
