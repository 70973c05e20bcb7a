package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHelmUpgradeArgs(t *testing.T) {
	h := Helm{Binary: "helm", Kubeconfig: "/k"}
	args := h.upgradeArgs(Release{Name: "saturn", Chart: "charts/saturn", Namespace: "saturn-system", Wait: true, Timeout: 2 * time.Minute}, "/v.yaml")
	assert.Equal(t, []string{"upgrade", "--install", "saturn", "charts/saturn", "--namespace", "saturn-system", "--create-namespace",
		"--kubeconfig", "/k", "--values", "/v.yaml", "--wait", "--timeout", "2m0s"}, args)
	args = Helm{}.upgradeArgs(Release{Name: "a", Chart: "c", Namespace: "n"}, "")
	assert.Equal(t, []string{"upgrade", "--install", "a", "c", "--namespace", "n", "--create-namespace"}, args)
}

func TestHelmReportsMissingBinaryAndFailures(t *testing.T) {
	err := Helm{}.UpgradeInstall(context.Background(), Release{Name: "a", Chart: "c", Namespace: "n"})
	require.ErrorContains(t, err, "bin/helm")
	err = Helm{Binary: "false"}.UpgradeInstall(context.Background(), Release{Name: "a", Chart: "c", Namespace: "n", Values: map[string]any{"x": 1}})
	require.ErrorContains(t, err, "helm upgrade --install a")
}
