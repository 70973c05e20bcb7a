package saturation

import (
	"fmt"

	"github.com/saturn-autoscaler/saturn/controller/config"
)

// pod is a compact replica description for tables: KV usage, waiting, capacity tokens.
type pod struct {
	kv, waiting, capacity float64
}

// variant builds a VariantInput whose ready pods report the given samples; current is
// len(pods)+pending.
func variant(name string, cost float64, pending int, pods ...pod) VariantInput {
	v := VariantInput{VariantState: VariantState{
		Name: name, Namespace: "ns", ModelID: "m", Cost: cost,
		Current: len(pods) + pending, Ready: len(pods),
	}}
	for i, p := range pods {
		v.Replicas = append(v.Replicas, ReplicaMetrics{
			Pod: fmt.Sprintf("%s-%d", name, i), KVUsage: p.kv, Waiting: p.waiting, KVCapacityTokens: p.capacity,
		})
	}
	return v
}

func withDesired(v VariantInput, d int) VariantInput { v.Desired = d; return v }
func withMin(v VariantInput, n int) VariantInput     { v.Min = n; return v }
func withMax(v VariantInput, n int) VariantInput     { v.Max = n; return v }
func withStuck(v VariantInput, n int) VariantInput   { v.Stuck = n; return v }

func defaults() config.Thresholds { return config.DefaultModelConfig().Thresholds }

func model(meanPrompt float64, vs ...VariantInput) ModelInput {
	return ModelInput{Namespace: "ns", ModelID: "m", Variants: vs, MeanPromptTokens: meanPrompt, Thresholds: defaults()}
}

func targets(r Result) map[string]int {
	out := map[string]int{}
	for _, t := range r.Targets {
		out[t.Variant] = t.Replicas
	}
	return out
}
