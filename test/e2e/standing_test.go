//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	harness "github.com/saturn-autoscaler/saturn/harness/e2e"
)

// standing deploys scenarios/e2e/steady.yaml's variants and controller without traffic
// and removes them when the test ends; it returns the scaled Deployment's name.
func standing(ctx context.Context, t *testing.T) string {
	t.Helper()
	sc, _ := loadScenario(t, "steady")
	bp, err := blueprint.For(sc)
	require.NoError(t, err)
	require.NoError(t, suite.InstallController(ctx, bp))
	require.NoError(t, suite.DeployVariants(ctx, sc, bp))
	t.Cleanup(func() { _ = suite.Teardown(context.Background(), sc) })
	return harness.DeploymentName(sc, sc.Spec.Variants[0].Name)
}

func poll(ctx context.Context, t *testing.T, timeout time.Duration, what string, cond func(context.Context) (bool, error)) {
	t.Helper()
	require.NoError(t, wait.PollUntilContextTimeout(ctx, 2*time.Second, timeout, true, cond), "waiting for %s", what)
}

// Feature 5: Prometheus is down for two minutes after the load drops (the scenario's
// prometheusOutage: the driver scales its Deployment to 0 and back). The blind controller
// reports MetricsAvailable=False and changes nothing: the busy phase's replicas hold. Once
// Prometheus is back the controller sees the lower load and scales down.
func TestPrometheusOutageHoldsReplicas(t *testing.T) {
	f := features.New("prometheus outage").
		Assess("replicas hold while Prometheus is down, then follow the load", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			o := runScenario(t, "prometheus-outage")
			requireAssertionsPass(t, o)
			sc, _ := loadScenario(t, "prometheus-outage")
			require.Len(t, sc.Spec.Faults, 1)
			out := sc.Spec.Faults[0].PrometheusOutage
			require.NotNil(t, out)
			end := out.Start + out.Duration
			var blind, seeing int
			for _, d := range o.Record.Decisions {
				switch {
				// Two cycles to notice; the last decision with metrics may be sampled late.
				case d.Time > out.Start+25*time.Second && d.Time < end:
					assert.False(t, d.MetricsOK, "a decision with metrics at %v while Prometheus is down: %s", d.Time, d.Reason)
					blind++
				case d.Time > end+time.Minute:
					assert.True(t, d.MetricsOK, "a decision without metrics at %v, a minute after Prometheus returned: %s", d.Time, d.Reason)
					seeing++
				}
			}
			assert.Positive(t, blind, "decisions during the outage")
			assert.Positive(t, seeing, "decisions after it")
			return ctx
		}).Feature()
	testenv.Test(t, f)
}

// Feature 7: the llm-d guide's verification query answers from the controller's own
// external metrics API (no Prometheus Adapter).
func TestExternalMetricsAPIAnswersGuideQuery(t *testing.T) {
	f := features.New("external metrics API").
		Assess("inferno_desired_replicas answers", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			name := standing(ctx, t)
			path := fmt.Sprintf("/apis/external.metrics.k8s.io/v1beta1/namespaces/%s/inferno_desired_replicas", suite.Namespace)
			var body []byte
			poll(ctx, t, 3*time.Minute, "the external metric", func(ctx context.Context) (bool, error) {
				raw, err := suite.Clientset.CoreV1().RESTClient().Get().AbsPath(path).DoRaw(ctx)
				if err != nil {
					return false, nil
				}
				body = raw
				return true, nil
			})
			var list struct {
				Kind  string `json:"kind"`
				Items []struct {
					MetricName   string            `json:"metricName"`
					MetricLabels map[string]string `json:"metricLabels"`
					Value        string            `json:"value"`
				} `json:"items"`
			}
			require.NoError(t, json.Unmarshal(body, &list), string(body))
			assert.Equal(t, "ExternalMetricValueList", list.Kind)
			require.NotEmpty(t, list.Items, string(body))
			var found bool
			for _, it := range list.Items {
				found = found || it.MetricLabels["variant_name"] == name
			}
			assert.True(t, found, "an item for variant %s in %s", name, body)
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
