//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// Feature 4: scale to zero after the retention period, and back from zero when requests
// wait in the router's flow-control queue (the HPAScaleToZero feature gate is on in
// kind/cluster.yaml).
func TestScaleToZeroAndBack(t *testing.T) {
	f := features.New("scale to zero and back").
		Assess("scenario assertions pass", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			requireAssertionsPass(t, runScenario(t, "scale-to-zero"))
			return ctx
		}).
		Assess("the way back is the router's queue signal", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			o := runScenario(t, "scale-to-zero")
			var woke []string
			for _, d := range o.Record.Decisions {
				if d.Desired >= 1 && strings.Contains(d.Reason, "scale from zero:") {
					woke = append(woke, d.Reason)
				}
			}
			assert.NotEmpty(t, woke, "a controller decision scaled the variant up from zero on requests waiting in the router")
			t.Logf("wake-up decisions: %q", woke)
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
