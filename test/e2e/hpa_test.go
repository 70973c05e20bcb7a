//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// Feature 2: the chart's HPA scales Llama-3.1-8B on H100 up under a spike through the
// controller's external metrics API, within the scenario's bound, and p99 TTFT holds.
func TestHPAScalesUpUnderSpike(t *testing.T) {
	f := features.New("HPA scale-up under a spike").
		Assess("scenario assertions pass", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			o := runScenario(t, "spike-h100")
			requireAssertionsPass(t, o)
			up := scales(o, "h100")
			require.NotEmpty(t, up, "the HPA scaled the deployment")
			assert.Equal(t, "hpa", up[0].Source)
			assert.Greater(t, up[0].To, up[0].From)
			return ctx
		}).Feature()
	testenv.Test(t, f)
}

// Feature 3: after the spike, replicas come down, no earlier than the HPA's scale-down
// stabilization window after the last scale-up.
func TestScaleDownHonoursStabilization(t *testing.T) {
	f := features.New("scale-down after the load stops").
		Assess("replicas fall after the window", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			o := runScenario(t, "spike-h100")
			sc, _ := loadScenario(t, "spike-h100")
			window := time.Duration(*sc.Spec.Autoscaler.Actuation.HPA.Behavior.ScaleDown.StabilizationWindowSeconds) * time.Second
			var lastUp, firstDown time.Duration = -1, -1
			for _, s := range scales(o, "h100") {
				if s.To > s.From {
					lastUp = s.Time
				} else if firstDown < 0 && lastUp >= 0 {
					firstDown = s.Time
				}
			}
			require.GreaterOrEqual(t, lastUp, time.Duration(0), "the spike scaled up")
			require.GreaterOrEqual(t, firstDown, time.Duration(0), "replicas came down after the spike")
			assert.GreaterOrEqual(t, firstDown-lastUp, window-5*time.Second, "scale-down waited for the stabilization window")
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
