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
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/cluster"
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

// Feature 5: during a Prometheus outage the controller holds replicas and reports
// MetricsAvailable=False; it recovers when Prometheus returns.
func TestPrometheusOutageHoldsReplicas(t *testing.T) {
	f := features.New("prometheus outage").
		Assess("replicas hold and the condition says why", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			name := standing(ctx, t)
			key := types.NamespacedName{Namespace: suite.Namespace, Name: name}
			var before appsv1.Deployment
			require.NoError(t, suite.Client.Get(ctx, key, &before))

			p := suite.Prometheus
			require.NoError(t, cluster.ScaleDeployment(ctx, suite.Client, p.Namespace, p.Name, 0))
			t.Cleanup(func() {
				_ = cluster.ScaleDeployment(context.Background(), suite.Client, p.Namespace, p.Name, 1)
				_ = cluster.WaitDeploymentReady(context.Background(), suite.Client, p.Namespace, p.Name, 1, 3*time.Minute)
			})
			poll(ctx, t, 3*time.Minute, "MetricsAvailable=False", func(ctx context.Context) (bool, error) {
				var va v1alpha1.VariantAutoscaling
				if err := suite.Client.Get(ctx, key, &va); err != nil {
					return false, nil
				}
				c := va.GetCondition(v1alpha1.TypeMetricsAvailable)
				return c != nil && c.Status == "False", nil
			})
			time.Sleep(30 * time.Second) // two more decision cycles without metrics
			var during appsv1.Deployment
			require.NoError(t, suite.Client.Get(ctx, key, &during))
			assert.Equal(t, *before.Spec.Replicas, *during.Spec.Replicas, "no scaling on missing metrics")

			require.NoError(t, cluster.ScaleDeployment(ctx, suite.Client, p.Namespace, p.Name, 1))
			require.NoError(t, cluster.WaitDeploymentReady(ctx, suite.Client, p.Namespace, p.Name, 1, 3*time.Minute))
			poll(ctx, t, 3*time.Minute, "MetricsAvailable=True again", func(ctx context.Context) (bool, error) {
				var va v1alpha1.VariantAutoscaling
				if err := suite.Client.Get(ctx, key, &va); err != nil {
					return false, nil
				}
				c := va.GetCondition(v1alpha1.TypeMetricsAvailable)
				return c != nil && c.Status == "True", nil
			})
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
