package profiles

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Model describes the architecture of one served model: the facts the
// engine needs to size weights and KV cache and to count FLOPs.
type Model struct {
	// Name is the Hugging Face model id ("meta-llama/Llama-3.1-8B-Instruct").
	Name string `json:"name"`
	// Source names the public document (model card, config.json) the facts come from.
	Source string `json:"source"`

	// Params is the total number of parameters, embeddings included.
	Params float64 `json:"params"`
	// Layers is num_hidden_layers.
	Layers int `json:"layers"`
	// HiddenSize is hidden_size.
	HiddenSize int `json:"hiddenSize"`
	// IntermediateSize is the MLP intermediate_size.
	IntermediateSize int `json:"intermediateSize"`
	// AttentionHeads is num_attention_heads.
	AttentionHeads int `json:"attentionHeads"`
	// KVHeads is num_key_value_heads (grouped-query attention).
	KVHeads int `json:"kvHeads"`
	// HeadDim is head_dim.
	HeadDim int `json:"headDim"`
	// VocabSize is vocab_size.
	VocabSize int `json:"vocabSize"`
	// MaxModelLen is the longest context the model supports (max_position_embeddings).
	MaxModelLen int `json:"maxModelLen"`
	// DTypeBytes is the size of one weight and one KV element (2 for BF16).
	DTypeBytes int `json:"dtypeBytes"`
	// DefaultTensorParallelSize is the tensor-parallel size used when none is given.
	DefaultTensorParallelSize int `json:"defaultTensorParallelSize"`
	// TensorParallelSizes lists the valid tensor-parallel sizes.
	TensorParallelSizes []int `json:"tensorParallelSizes"`
}

// WeightBytes is the size of all weights in bytes.
func (m Model) WeightBytes() float64 { return m.Params * float64(m.DTypeBytes) }

// KVBytesPerToken is the KV cache size of one token across all devices:
// keys and values for every layer and KV head.
func (m Model) KVBytesPerToken() float64 {
	return 2 * float64(m.Layers) * float64(m.KVHeads) * float64(m.HeadDim) * float64(m.DTypeBytes)
}

// Validate checks that every field is present and consistent.
func (m Model) Validate() error {
	var errs []error
	field := func(name string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("model %q: field %s: %s", m.Name, name, fmt.Sprintf(format, args...)))
	}
	if m.Name == "" {
		field("name", "must not be empty")
	}
	if m.Source == "" {
		field("source", "must name where the facts come from")
	}
	if !(m.Params >= 1e6) || math.IsInf(m.Params, 0) {
		field("params", "must be the parameter count (at least 1e6), got %v", m.Params)
	}
	ints := []struct {
		name string
		v    int
		max  int
	}{
		{"layers", m.Layers, 1024},
		{"hiddenSize", m.HiddenSize, 1 << 20},
		{"intermediateSize", m.IntermediateSize, 1 << 22},
		{"attentionHeads", m.AttentionHeads, 4096},
		{"kvHeads", m.KVHeads, 4096},
		{"headDim", m.HeadDim, 4096},
		{"vocabSize", m.VocabSize, 1 << 24},
		{"maxModelLen", m.MaxModelLen, 1 << 26},
		{"dtypeBytes", m.DTypeBytes, 8},
		{"defaultTensorParallelSize", m.DefaultTensorParallelSize, 64},
	}
	for _, f := range ints {
		if f.v <= 0 || f.v > f.max {
			field(f.name, "must be between 1 and %d, got %d", f.max, f.v)
		}
	}
	if m.KVHeads > 0 && m.AttentionHeads > 0 && m.AttentionHeads%m.KVHeads != 0 {
		field("kvHeads", "must divide attentionHeads (%d), got %d", m.AttentionHeads, m.KVHeads)
	}
	if len(m.TensorParallelSizes) == 0 {
		field("tensorParallelSizes", "must list at least one size")
	}
	for i, tp := range m.TensorParallelSizes {
		if err := m.checkTP(tp); err != nil {
			field(fmt.Sprintf("tensorParallelSizes[%d]", i), "%v", err)
		}
	}
	if m.DefaultTensorParallelSize > 0 && !slices.Contains(m.TensorParallelSizes, m.DefaultTensorParallelSize) {
		field("defaultTensorParallelSize", "must be one of tensorParallelSizes %v, got %d", m.TensorParallelSizes, m.DefaultTensorParallelSize)
	}
	return errors.Join(errs...)
}

// CheckTensorParallelSize reports whether tp is one of the model's valid sizes.
func (m Model) CheckTensorParallelSize(tp int) error {
	if !slices.Contains(m.TensorParallelSizes, tp) {
		return fmt.Errorf("tensor parallel size %d is not valid for model %q: use one of %v", tp, m.Name, m.TensorParallelSizes)
	}
	return nil
}

func (m Model) checkTP(tp int) error {
	if tp <= 0 || tp > 64 {
		return fmt.Errorf("must be between 1 and 64, got %d", tp)
	}
	if m.AttentionHeads > 0 && m.AttentionHeads%tp != 0 {
		return fmt.Errorf("%d does not divide attentionHeads (%d)", tp, m.AttentionHeads)
	}
	if m.KVHeads > 0 && m.KVHeads%tp != 0 && tp%m.KVHeads != 0 {
		return fmt.Errorf("%d neither divides nor is a multiple of kvHeads (%d)", tp, m.KVHeads)
	}
	return nil
}
