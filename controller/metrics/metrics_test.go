package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObserve(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := New(reg)
	require.NoError(t, err)

	a := Variant{Name: "qwen-l40s", Namespace: "llm-d", Accelerator: "L40S"}
	b := Variant{Name: "qwen-h100", Namespace: "llm-d", Accelerator: "H100"}
	m.Set(a, 2, 5)
	m.Scaled(a, 2, 5, "kv_saturated")
	m.Set(a, 5, 5)
	m.Scaled(a, 5, 5, "steady") // no operation
	m.Set(b, 0, 1)
	m.Scaled(b, 0, 1, "scale_from_zero")
	m.Set(b, 4, 3)
	m.Scaled(b, 4, 3, "spare_capacity")

	want := `
# HELP wva_current_replicas Current number of replicas for each variant
# TYPE wva_current_replicas gauge
wva_current_replicas{accelerator_type="H100",namespace="llm-d",variant_name="qwen-h100"} 4
wva_current_replicas{accelerator_type="L40S",namespace="llm-d",variant_name="qwen-l40s"} 5
# HELP wva_desired_ratio Ratio of the desired number of replicas and the current number of replicas for each variant
# TYPE wva_desired_ratio gauge
wva_desired_ratio{accelerator_type="H100",namespace="llm-d",variant_name="qwen-h100"} 0.75
wva_desired_ratio{accelerator_type="L40S",namespace="llm-d",variant_name="qwen-l40s"} 1
# HELP wva_desired_replicas Desired number of replicas for each variant
# TYPE wva_desired_replicas gauge
wva_desired_replicas{accelerator_type="H100",namespace="llm-d",variant_name="qwen-h100"} 3
wva_desired_replicas{accelerator_type="L40S",namespace="llm-d",variant_name="qwen-l40s"} 5
# HELP wva_replica_scaling_total Total number of replica scaling operations
# TYPE wva_replica_scaling_total counter
wva_replica_scaling_total{direction="down",namespace="llm-d",reason="spare_capacity",variant_name="qwen-h100"} 1
wva_replica_scaling_total{direction="up",namespace="llm-d",reason="kv_saturated",variant_name="qwen-l40s"} 1
wva_replica_scaling_total{direction="up",namespace="llm-d",reason="scale_from_zero",variant_name="qwen-h100"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want)))

	m.Forget("qwen-h100", "llm-d")
	assert.Equal(t, 1, testutil.CollectAndCount(m.desired))
	assert.Equal(t, 1, testutil.CollectAndCount(m.scaling))
}

func TestRatio(t *testing.T) {
	tests := []struct {
		current, desired int
		want             float64
	}{
		{0, 0, 0}, {0, 3, 3}, {2, 1, 0.5}, {4, 4, 1}, {3, 6, 2},
	}
	for _, tt := range tests {
		assert.InDelta(t, tt.want, Ratio(tt.current, tt.desired), 1e-12, "current=%d desired=%d", tt.current, tt.desired)
	}
}

func TestNewTwiceOnOneRegistryFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := New(reg)
	require.NoError(t, err)
	_, err = New(reg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "wva_")
}
