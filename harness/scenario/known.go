package scenario

import "slices"

// ModelInfo is what the scenario package needs to know about a model profile.
type ModelInfo struct {
	// MaxModelLen is the model's maximum context (prompt + output tokens).
	MaxModelLen int
}

// AcceleratorInfo is what the scenario package needs to know about an accelerator profile.
type AcceleratorInfo struct {
	// Cost per replica-hour used when a variant gives none (llm-d's sample costs, cents/hour).
	Cost float64
}

// KnownModels are the model profile names a scenario may use, kept in sync with
// simulator/profiles (TestKnownNamesMatchSimulatorProfiles checks they agree).
// Max lengths are the models' max_position_embeddings.
var KnownModels = map[string]ModelInfo{
	"Qwen/Qwen3-0.6B":                   {MaxModelLen: 40960},
	"meta-llama/Llama-3.1-8B-Instruct":  {MaxModelLen: 131072},
	"Qwen/Qwen3-14B":                    {MaxModelLen: 40960},
	"meta-llama/Llama-3.1-70B-Instruct": {MaxModelLen: 131072},
}

// KnownAccelerators are the accelerator profile names a scenario may use (the llm-d guide's
// names). Costs: llm-d autoscaler samples give H100 100, A100 40, L40S 32 cents/hour; no public
// figure exists for the Intel Max 1550, 60 is an assumption (between A100 and H100).
var KnownAccelerators = map[string]AcceleratorInfo{
	"L40S":           {Cost: 32},
	"A100":           {Cost: 40},
	"H100":           {Cost: 100},
	"Intel-Max-1550": {Cost: 60},
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
