package profiles

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

func TestBuiltinProfiles(t *testing.T) {
	assert.Equal(t, []string{"A100", "H100", "Intel-Max-1550", "L40S"}, AcceleratorNames())
	assert.Equal(t, []string{"Qwen/Qwen3-0.6B", "Qwen/Qwen3-14B", "meta-llama/Llama-3.1-70B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"}, ModelNames())

	// Datasheet facts from the reference table.
	facts := map[string]struct{ bw, tflops, cost float64 }{
		"H100":           {3350, 989.5, 1.00},
		"A100":           {2039, 312, 0.40},
		"L40S":           {864, 362.05, 0.32},
		"Intel-Max-1550": {3276.8, 839, 0.60},
	}
	for name, f := range facts {
		a, err := LookupAccelerator(name)
		require.NoError(t, err)
		assert.Equal(t, f.bw, a.MemoryBandwidthGBps, name)
		assert.Equal(t, f.tflops, a.BF16TFLOPS, name)
		assert.Equal(t, f.cost, a.CostPerHour, name)
		assert.NotEmpty(t, a.Source, name)
		assert.NotEmpty(t, a.CostSource, name)
	}
	h100, _ := LookupAccelerator("h100")
	assert.Equal(t, 0.45, h100.Efficiency.MatmulCompute)
	assert.Equal(t, 0.30, h100.Efficiency.DecodeAttentionCompute)

	m, err := LookupModel("meta-llama/llama-3.1-8b-instruct")
	require.NoError(t, err)
	assert.Equal(t, 32, m.Layers)
	assert.Equal(t, 8, m.KVHeads)
	assert.Equal(t, 131072.0, m.KVBytesPerToken(), "128 KiB of KV per token in BF16")
	assert.InDelta(t, 16.06e9, m.WeightBytes(), 0.01e9)

	big, err := LookupModel("meta-llama/Llama-3.1-70B-Instruct")
	require.NoError(t, err)
	assert.Equal(t, 4, big.DefaultTensorParallelSize)
	require.NoError(t, big.CheckTensorParallelSize(8))
	require.Error(t, big.CheckTensorParallelSize(2))
}

func TestLookupUnknown(t *testing.T) {
	_, err := LookupAccelerator("B200")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "H100", "the error lists the valid names")
	_, err = LookupModel("gpt-5")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Qwen/Qwen3-0.6B")
}

func TestLoadFiles(t *testing.T) {
	cases := []struct {
		file  string
		model bool
		err   string // substring; empty = valid
	}{
		{"valid-accelerator.yaml", false, ""},
		{"invalid-accelerator-unknown-field.yaml", false, `unknown field "tflops"`},
		{"invalid-accelerator-efficiency.yaml", false, "efficiency.matmulCompute"},
		{"invalid-accelerator-duration.yaml", false, "50 microseconds"},
		{"valid-model.yaml", true, ""},
		{"invalid-model-kvheads.yaml", true, "field kvHeads"},
		{"invalid-model-tp.yaml", true, "tensorParallelSizes[1]"},
		{"missing.yaml", true, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			var err error
			if tc.model {
				_, err = LoadModelFile(path)
			} else {
				_, err = LoadAcceleratorFile(path)
			}
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
	tp, err := LoadModelFile(filepath.Join("testdata", "invalid-model-tp.yaml"))
	_ = tp
	assert.Contains(t, err.Error(), "defaultTensorParallelSize", "every bad field is reported")
}

func TestRoundTrip(t *testing.T) {
	for _, name := range AcceleratorNames() {
		a, err := LookupAccelerator(name)
		require.NoError(t, err)
		data, err := yaml.Marshal(a)
		require.NoError(t, err)
		b, err := ParseAccelerator(name, data)
		require.NoError(t, err)
		assert.Equal(t, a, b)
	}
	for _, name := range ModelNames() {
		m, err := LookupModel(name)
		require.NoError(t, err)
		data, err := yaml.Marshal(m)
		require.NoError(t, err)
		n, err := ParseModel(name, data)
		require.NoError(t, err)
		assert.Equal(t, m, n)
	}
}

func FuzzParseAccelerator(f *testing.F) {
	for _, file := range []string{"valid-accelerator.yaml", "invalid-accelerator-unknown-field.yaml", "invalid-accelerator-efficiency.yaml", "invalid-accelerator-duration.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("name: [1, 2"))
	f.Add([]byte("overheads: {perStep: 1e400}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAccelerator("fuzz", data)
		if err != nil {
			return
		}
		// Anything accepted is valid and survives a round trip.
		require.NoError(t, a.Validate())
		out, err := yaml.Marshal(a)
		require.NoError(t, err)
		b, err := ParseAccelerator("fuzz", out)
		require.NoError(t, err)
		require.Equal(t, a, b)
	})
}

func FuzzParseModel(f *testing.F) {
	for _, file := range []string{"valid-model.yaml", "invalid-model-kvheads.yaml", "invalid-model-tp.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("tensorParallelSizes: [0, -1, 99999999999]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseModel("fuzz", data)
		if err != nil {
			return
		}
		require.NoError(t, m.Validate())
		require.NoError(t, m.CheckTensorParallelSize(m.DefaultTensorParallelSize))
		require.Positive(t, m.KVBytesPerToken())
	})
}
