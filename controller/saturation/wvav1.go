package saturation

import (
	"fmt"
	"strings"

	"github.com/saturn-autoscaler/saturn/controller/config"
)

// minNonSaturatedForScaleDown is WVA's floor of non-saturated replicas for the N-1 check.
const minNonSaturatedForScaleDown = 2

// WVAV1 is WVA v0.5.1's saturation analyzer. minReplicas/maxReplicas (saturn extensions)
// are honoured as extra bounds; without them the behaviour is WVA's.
type WVAV1 struct{}

// NewWVAV1 returns the wva-v1 analyzer.
func NewWVAV1() WVAV1 { return WVAV1{} }

// Name implements Analyzer.
func (WVAV1) Name() string { return config.AnalyzerWVAV1 }

// wvaAnalysis holds the pooled figures of WVA's analysis.
type wvaAnalysis struct {
	total, nonSaturated, saturated int
	avgSpareKV, avgSpareQueue      float64
	scaleUp                        bool
	scaleUpWhy                     string
	scaleDownSafe                  bool
	scaleDownWhy                   string
}

func analyzeWVA(in ModelInput) wvaAnalysis {
	t := in.Thresholds
	var a wvaAnalysis
	var spareKV, spareQ float64
	for _, v := range in.Variants {
		for _, r := range v.Replicas {
			a.total++
			if r.KVUsage >= t.KvCacheThreshold || r.Waiting >= t.QueueLengthThreshold {
				a.saturated++
				continue
			}
			spareKV += t.KvCacheThreshold - r.KVUsage
			spareQ += t.QueueLengthThreshold - r.Waiting
			a.nonSaturated++
		}
	}
	if a.nonSaturated > 0 {
		a.avgSpareKV = spareKV / float64(a.nonSaturated)
		a.avgSpareQueue = spareQ / float64(a.nonSaturated)
	}
	kvLow := a.avgSpareKV < t.KvSpareTrigger
	qLow := a.avgSpareQueue < t.QueueSpareTrigger
	switch {
	case kvLow && qLow:
		a.scaleUpWhy = fmt.Sprintf("average spare KV %.3f < kvSpareTrigger %.3f and average spare queue %.1f < queueSpareTrigger %.1f",
			a.avgSpareKV, t.KvSpareTrigger, a.avgSpareQueue, t.QueueSpareTrigger)
	case kvLow:
		a.scaleUpWhy = fmt.Sprintf("average spare KV %.3f < kvSpareTrigger %.3f", a.avgSpareKV, t.KvSpareTrigger)
	case qLow:
		a.scaleUpWhy = fmt.Sprintf("average spare queue %.1f < queueSpareTrigger %.1f", a.avgSpareQueue, t.QueueSpareTrigger)
	}
	a.scaleUp = kvLow || qLow

	if a.nonSaturated < minNonSaturatedForScaleDown {
		a.scaleDownWhy = fmt.Sprintf("only %d non-saturated replicas (need %d for the N-1 check)", a.nonSaturated, minNonSaturatedForScaleDown)
		return a
	}
	n := float64(a.nonSaturated)
	factor := n / (n - 1)
	spareKVAfter := t.KvCacheThreshold - (t.KvCacheThreshold-a.avgSpareKV)*factor
	spareQAfter := t.QueueLengthThreshold - (t.QueueLengthThreshold-a.avgSpareQueue)*factor
	a.scaleDownSafe = spareKVAfter >= t.KvSpareTrigger && spareQAfter >= t.QueueSpareTrigger
	verdict := "safe"
	if !a.scaleDownSafe {
		verdict = "unsafe"
	}
	a.scaleDownWhy = fmt.Sprintf("N-1 check %s: with %d instead of %d non-saturated replicas spare KV would be %.3f (trigger %.3f) and spare queue %.1f (trigger %.1f)",
		verdict, a.nonSaturated-1, a.nonSaturated, spareKVAfter, t.KvSpareTrigger, spareQAfter, t.QueueSpareTrigger)
	return a
}

// Analyze implements Analyzer.
func (w WVAV1) Analyze(in ModelInput) Result {
	if err := validateInput(in); err != nil {
		return hold(w.Name(), in, "holding current replicas: "+err.Error())
	}
	a := analyzeWVA(in)
	res := Result{
		Analyzer: w.Name(),
		Targets:  make([]Target, len(in.Variants)),
		Inputs: map[string]float64{
			"replicasWithMetrics": float64(a.total),
			"nonSaturated":        float64(a.nonSaturated),
			"saturated":           float64(a.saturated),
			"avgSpareKV":          a.avgSpareKV,
			"avgSpareQueue":       a.avgSpareQueue,
		},
	}
	summary := fmt.Sprintf("%d replicas report metrics, %d saturated; average spare KV %.3f, spare queue %.1f",
		a.total, a.saturated, a.avgSpareKV, a.avgSpareQueue)
	for i, v := range in.Variants {
		res.Targets[i] = Target{Variant: v.Name, Replicas: v.Current}
	}
	if a.total == 0 {
		res.Reason = "no replica reports metrics; holding current replicas"
		for i := range res.Targets {
			res.Targets[i].Reason = res.Reason
		}
		return res
	}

	// WVA analyses only variants with at least one replica reporting metrics.
	analysed := make([]int, 0, len(in.Variants))
	for i, v := range in.Variants {
		if len(v.Replicas) > 0 {
			analysed = append(analysed, i)
		} else {
			res.Targets[i].Reason = fmt.Sprintf("no replica reports metrics; keeping %d", v.Current)
		}
	}

	var transitions []string
	for _, i := range analysed {
		v := in.Variants[i]
		if v.Desired != 0 && v.Desired != v.Current {
			transitions = append(transitions, fmt.Sprintf("%s desired %d != current %d", v.Name, v.Desired, v.Current))
		}
		if len(v.Replicas) != v.Current {
			transitions = append(transitions, fmt.Sprintf("%s replicas with metrics %d != current %d", v.Name, len(v.Replicas), v.Current))
		}
	}
	if len(transitions) > 0 {
		res.Reason = summary + "; model in transition (" + strings.Join(transitions, "; ") + "), scaling blocked"
		for _, i := range analysed {
			v := in.Variants[i]
			if v.Desired != 0 && v.Desired != v.Current {
				res.Targets[i] = Target{Variant: v.Name, Replicas: v.Desired, Reason: fmt.Sprintf("model in transition; keeping previous desired %d", v.Desired)}
			} else {
				res.Targets[i] = Target{Variant: v.Name, Replicas: v.Current, Reason: fmt.Sprintf("model in transition; keeping current %d", v.Current)}
			}
		}
		return res
	}

	for _, i := range analysed {
		v := in.Variants[i]
		res.Targets[i] = Target{Variant: v.Name, Replicas: len(v.Replicas), Reason: fmt.Sprintf("no change: %s", summary)}
	}

	switch {
	case a.scaleUp:
		best := -1
		for _, i := range analysed {
			v := in.Variants[i]
			if v.Pending() > 0 || !v.HasHeadroom(res.Targets[i].Replicas) {
				continue
			}
			if best < 0 || v.Cost < in.Variants[best].Cost ||
				(v.Cost == in.Variants[best].Cost && v.Name < in.Variants[best].Name) {
				best = i
			}
		}
		if best < 0 {
			res.Reason = summary + "; scale-up needed (" + a.scaleUpWhy + ") but no variant can take a replica (pending replicas or maxReplicas)"
			break
		}
		v := in.Variants[best]
		res.Targets[best].Replicas++
		res.Targets[best].Reason = fmt.Sprintf("scale up %d -> %d on the cheapest variant (cost %g): %s",
			len(v.Replicas), res.Targets[best].Replicas, v.Cost, a.scaleUpWhy)
		res.Reason = summary + "; scale up: " + a.scaleUpWhy
	case a.scaleDownSafe:
		worst := -1
		for _, i := range analysed {
			v := in.Variants[i]
			if res.Targets[i].Replicas <= max(v.Min, 1) {
				continue
			}
			if worst < 0 || v.Cost > in.Variants[worst].Cost ||
				(v.Cost == in.Variants[worst].Cost && v.Name > in.Variants[worst].Name) {
				worst = i
			}
		}
		if worst < 0 {
			res.Reason = summary + "; " + a.scaleDownWhy + ", but every variant is at its minimum"
			break
		}
		v := in.Variants[worst]
		res.Targets[worst].Replicas--
		res.Targets[worst].Reason = fmt.Sprintf("scale down %d -> %d on the most expensive variant (cost %g): %s",
			len(v.Replicas), res.Targets[worst].Replicas, v.Cost, a.scaleDownWhy)
		res.Reason = summary + "; scale down: " + a.scaleDownWhy
	default:
		res.Reason = summary + "; no change: " + a.scaleDownWhy
	}
	return res
}
