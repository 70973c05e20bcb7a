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
	desired, note = p.limitScaleDown(now, m, v, desired, base, analyzer, mc, exact, note)
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

// ScaleDownPolicyPeriod is the period of the capacity analyzer's scale-down policy: one
// decision takes a variant no lower than the highest current replicas of this period
// minus ScaleDownMaxFraction of them (at least one replica), like an HPA scale-down
// policy of type Percent. Each step is then observed before the next: the analyzer
// recomputes the safe target from fresh metrics every cycle.
const ScaleDownPolicyPeriod = time.Minute

func (p *Planner) limitScaleDown(now time.Time, m *variantMemory, v saturation.VariantState, desired, base int, analyzer string, mc config.ModelConfig, exact bool, note string) (int, string) {
	keep := m.currents[:0]
	for _, c := range m.currents {
		if now.Sub(c.at) < ScaleDownPolicyPeriod && !c.at.After(now) {
			keep = append(keep, c)
		}
	}
	m.currents = append(keep, recommendation{now, v.Current})
	if exact || analyzer != config.AnalyzerCapacity || desired >= base {
		return desired, note
	}
	highest := 0
	for _, c := range m.currents {
		highest = max(highest, c.replicas)
	}
	f := mc.Capacity.WithDefaults().ScaleDownMaxFraction
	floor := highest - max(int(float64(highest)*f+1e-9), 1)
	if desired >= floor {
		return desired, note
	}
	limited := min(floor, base)
	return limited, note + fmt.Sprintf("; scale-down to %d limited to %d: at most %.0f%% of the %d replicas of the last %v per decision",
		desired, limited, f*100, highest, ScaleDownPolicyPeriod)
}
