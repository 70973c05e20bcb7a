package saturation

import (
	"fmt"
	"math"
	"strings"
)

// What a replica of an accelerator serves relative to another before either was measured
// under this model's traffic: published vLLM throughputs at saturation on the same model,
// relative to an H100. A variant whose ITL line is fitted needs no prior; one that never
// ran (at zero replicas) or just started is given the throughput of a measured variant of
// the same model scaled by the ratio of their priors, so that the cost per request per
// second ranks every variant and a scale-up onto it is sized by what it will hold.

// acceleratorPrior is one accelerator's published throughput relative to an H100 replica.
type acceleratorPrior struct {
	name     string
	aliases  []string // lower-case substrings of an accelerator label that name it
	relative float64
	source   string
}

// acceleratorPriors: one GPU per replica, the same model and precision on both sides.
var acceleratorPriors = []acceleratorPrior{
	{"H100", []string{"h100"}, 1, "the reference"},
	{"A100", []string{"a100"}, 1 / 2.06, "Lambda's vLLM benchmark: H100-80GB-SXM 3281 vs A100-80GB-SXM 1591 output tok/s, Mistral-7B BF16, 2.06x"},
	{"L40S", []string{"l40s"}, 1 / 3.52, "MLPerf Inference v5.1 (Red Hat, vLLM 0.10): Llama-3.1-8B offline, H100 5777 vs L40S 1642 tok/s, 3.52x"},
	// ASSUMPTION: no published vLLM throughput exists for the Max 1550; the ratio is that of
	// the BF16 GEMM rate measured on Aurora (~273 TFLOPS) to an H100's 45% of its 989.5.
	{"Intel-Max-1550", []string{"max-1550", "max1550", "max_1550", "max 1550"}, 273 / (0.45 * 989.5), "an assumption: Aurora's measured BF16 GEMM rate against an H100's at 45% of peak"},
}

// priorFor returns the prior of the accelerator a label names, matched case-insensitively
// on its aliases (so "H100", "nvidia-h100-80gb" and "NVIDIA-H100-SXM5-80GB" are all an
// H100); ok is false for an accelerator without one.
func priorFor(accelerator string) (acceleratorPrior, bool) {
	a := strings.ToLower(accelerator)
	for _, p := range acceleratorPriors {
		for _, alias := range p.aliases {
			if strings.Contains(a, alias) {
				return p, true
			}
		}
	}
	return acceleratorPrior{}, false
}

// priorCapacity fills, for the variants whose capacity comes neither from their own ITL
// line nor from a saturation of their own, the throughput (requests/s per replica) and the
// concurrency target a prior gives: the measured variant's throughput at its target times
// the ratio of the two accelerators' priors, and the requests that throughput keeps in
// flight for the measured variant's time in system (at most itlCeiling of vLLM's default
// batch). The measured variant is the one with the most latency samples among those with a
// line and a prior. Nothing is filled without a mean output length or such a variant.
func (m *concurrencyModel) priorCapacity(in ModelInput) {
	out := in.Load.MeanOutputTokens
	if !finite(out) || out <= 0 {
		return
	}
	ref, refPrior := -1, acceleratorPrior{}
	for i, v := range in.Variants {
		p, ok := priorFor(v.Accelerator)
		if !ok || !m.bySLO[i] || (ref >= 0 && v.Latency.Samples <= in.Variants[ref].Latency.Samples) {
			continue
		}
		ref, refPrior = i, p
	}
	if ref < 0 {
		return
	}
	rv := in.Variants[ref]
	inSystem := rv.Latency.InSystem(m.capacity[ref], out)
	if !(inSystem > 0) || !finite(inSystem) {
		return
	}
	refThroughput := m.capacity[ref] / inSystem
	for i, v := range in.Variants {
		p, ok := priorFor(v.Accelerator)
		if !ok || m.bySLO[i] || m.saturation[i] > 0 {
			continue
		}
		thr := refThroughput * p.relative / refPrior.relative
		capacity := math.Min(thr*inSystem, itlCeiling*PriorSaturationConcurrency)
		if !(thr > 0) || !finite(thr) || capacity < minConcurrencyCapacity {
			continue
		}
		// Capped at the batch limit, the replica runs faster than the reference at that
		// load: its throughput is still the prior's, its time in system shorter.
		m.capacity[i], m.priorThroughput[i] = capacity, thr
		m.learned[i], m.anyLearned = true, true
		m.source[i] = fmt.Sprintf("prior until its ITL line is fitted: %s's %.3g req/s at its target x %.2f, %s / %s by %s",
			rv.Name, refThroughput, p.relative/refPrior.relative, p.name, refPrior.name, priorSources(p, refPrior))
	}
}

// priorSources names where the ratio of two priors comes from (each relative to an H100).
func priorSources(ps ...acceleratorPrior) string {
	var out []string
	for _, p := range ps {
		if p.relative != 1 {
			out = append(out, p.source)
		}
	}
	if len(out) == 0 {
		return "the same accelerator"
	}
	return strings.Join(out, "; ")
}
