package saturation_test

import (
	"fmt"

	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// Two L40S replicas (20,000 KV tokens each) are 90% full with 20 requests running and 6
// waiting each; an H100 variant costs more. L40S replicas were seen saturating at 24
// running requests (the planner remembers it), and this model is tuned to size replicas
// at half of that. The capacity analyzer sizes the pool in one decision: the KV demand
// and the concurrency (60 requests: each pod's queue counts up to queueLengthThreshold;
// 12 per L40S replica, 30 per H100 replica, whose KV cache is 2.5 times larger) both need
// one more replica.
func ExampleCapacity_Analyze() {
	in := saturation.ModelInput{
		Namespace: "prod", ModelID: "meta-llama/Llama-3.1-8B-Instruct",
		MeanPromptTokens: 900,
		Thresholds:       config.DefaultModelConfig().Thresholds,
		Capacity:         config.CapacityTuning{ConcurrencyTarget: 0.5},
		Variants: []saturation.VariantInput{
			{
				VariantState: saturation.VariantState{Name: "llama-l40s", Cost: 5, Current: 2, Ready: 2, Max: 4},
				Replicas: []saturation.ReplicaMetrics{
					{Pod: "llama-l40s-1", KVUsage: 0.9, Running: 20, Waiting: 6, KVCapacityTokens: 20000},
					{Pod: "llama-l40s-2", KVUsage: 0.9, Running: 20, Waiting: 6, KVCapacityTokens: 20000},
				},
				SaturationConcurrency: 24,
			},
			{
				VariantState: saturation.VariantState{Name: "llama-h100", Cost: 20, Current: 1, Ready: 1},
				Replicas:     []saturation.ReplicaMetrics{{Pod: "llama-h100-1", KVUsage: 0.5, Running: 10, KVCapacityTokens: 50000}},
			},
		},
	}
	res := saturation.NewCapacity().Analyze(in)
	for _, t := range res.Targets {
		fmt.Printf("%s -> %d\n", t.Variant, t.Replicas)
	}
	fmt.Println(res.Reason)
	// Output:
	// llama-l40s -> 3
	// llama-h100 -> 1
	// scale up +1 on llama-l40s: KV demand 70000 tokens (61000 in use + 10 waiting x 900 mean prompt tokens) needs 100000 tokens at 70% utilisation; supply 3 replicas = 90000 tokens; concurrency 60 (50 running + 10 of 12 waiting), llama-l40s 12.0 per replica (50% of saturation at 24 running, observed), llama-h100 30.0 per replica (saturation not seen on this variant, lowest target of the model x 2.50 KV capacity ratio): needs 4 replicas; 2 replicas queueing >= 5
}

// The same pool under WVA v0.5.1's rule: both L40S replicas are saturated, so only the
// H100 replica's spare room counts, and the cheapest variant gets one more replica.
func ExampleWVAV1_Analyze() {
	in := saturation.ModelInput{
		Thresholds: config.DefaultModelConfig().Thresholds,
		Variants: []saturation.VariantInput{
			{
				VariantState: saturation.VariantState{Name: "llama-l40s", Cost: 5, Current: 2, Ready: 2},
				Replicas:     []saturation.ReplicaMetrics{{Pod: "a", KVUsage: 0.9, Waiting: 6}, {Pod: "b", KVUsage: 0.9, Waiting: 6}},
			},
			{
				VariantState: saturation.VariantState{Name: "llama-h100", Cost: 20, Current: 1, Ready: 1},
				Replicas:     []saturation.ReplicaMetrics{{Pod: "c", KVUsage: 0.75}},
			},
		},
	}
	res := saturation.NewWVAV1().Analyze(in)
	for _, t := range res.Targets {
		fmt.Printf("%s -> %d\n", t.Variant, t.Replicas)
	}
	fmt.Println(res.Reason)
	// Output:
	// llama-l40s -> 3
	// llama-h100 -> 1
	// 3 replicas report metrics, 2 saturated; average spare KV 0.050, spare queue 5.0; scale up: average spare KV 0.050 < kvSpareTrigger 0.100
}
