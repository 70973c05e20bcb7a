package saturn_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/saturn-autoscaler/saturn/controller/app"
)

// TestDeploymentArgsParse feeds the rendered container args to the
// controller's own flag set and validation, so chart and binary cannot drift.
func TestDeploymentArgsParse(t *testing.T) {
	for _, set := range [][]string{
		nil,
		{"--set", "wva.metricsAPI.enabled=true", "--set", "wva.actuation=direct", "--set", "hpa.enabled=false", "--set", "wva.prometheus.caCert=x",
			"--set", "wva.namespaceScoped=true", "--set", "wva.prometheus.useServiceAccountToken=true",
			"--set", "wva.metricsAPI.certManager.enabled=true", "--set", "wva.metricsAPI.certManager.issuerRef.name=x",
			"--set", "wva.stuckAfter=25m", "--set", "wva.controllerInstance=team-a"},
	} {
		objs := render(t, set...)
		d := find(objs, "Deployment", "")
		require.NotNil(t, d)
		c, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		args := toStrings(c[0].(map[string]any)["args"].([]any))
		require.Equal(t, "run", args[0])
		o := app.NewRunOptions()
		fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
		o.AddFlags(fs)
		for i := range args {
			args[i] = strings.ReplaceAll(args[i], "$(POD_NAMESPACE)", "saturn-system")
		}
		require.NoError(t, fs.Parse(args[1:]), "%v", args)
		require.NoError(t, o.Validate(), "%v", args)
		if set != nil {
			require.Equal(t, 25*time.Minute, o.StuckAfter, "wva.stuckAfter reaches --stuck-after")
			require.Equal(t, "team-a", o.ControllerInstance, "wva.controllerInstance reaches --controller-instance")
		} else {
			require.Equal(t, 15*time.Minute, o.StuckAfter, "the chart's default is the binary's")
			require.Empty(t, o.ControllerInstance)
		}
	}
}
