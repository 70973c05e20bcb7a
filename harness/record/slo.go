package record

import "github.com/saturn-autoscaler/saturn/harness/scenario"

// SLOOf returns the latency objective of a scenario: the targets of its
// first sloAttainment assertion, else the maxima of its ttft/itl latency
// assertions, else scenario.DefaultSLOTTFT and DefaultSLOITL.
func SLOOf(sc *scenario.Scenario) SLO {
	if s := sc.Spec.SLO; s != nil && (s.TTFT > 0 || s.ITL > 0) {
		return SLO{TTFT: s.TTFT, ITL: s.ITL}
	}
	var slo SLO
	for _, a := range sc.Spec.Assertions {
		if s := a.SLOAttainment; s != nil {
			return SLO{TTFT: s.TTFT, ITL: s.ITL}
		}
	}
	for _, a := range sc.Spec.Assertions {
		l := a.Latency
		if l == nil || l.Class != "" {
			continue
		}
		switch l.Metric {
		case scenario.MetricTTFT:
			if slo.TTFT == 0 || l.Max < slo.TTFT {
				slo.TTFT = l.Max
			}
		case scenario.MetricITL:
			if slo.ITL == 0 || l.Max < slo.ITL {
				slo.ITL = l.Max
			}
		}
	}
	if slo.TTFT == 0 {
		slo.TTFT = scenario.DefaultSLOTTFT
	}
	if slo.ITL == 0 {
		slo.ITL = scenario.DefaultSLOITL
	}
	return slo
}
