package crd

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// chartCopy is the chart's copy of the CRD (charts/saturn/crds), which Helm installs.
const chartCopy = "../../charts/saturn/crds/llmd.ai_variantautoscalings.yaml"

func TestChartShipsTheGeneratedCRD(t *testing.T) {
	data, err := os.ReadFile(chartCopy)
	require.NoError(t, err, "the chart must ship the CRD: cp config/crd/llmd.ai_variantautoscalings.yaml charts/saturn/crds/")
	require.Equal(t, string(VariantAutoscalingYAML), string(data),
		"charts/saturn/crds is stale: cp config/crd/llmd.ai_variantautoscalings.yaml charts/saturn/crds/")
}
