//go:build e2e

package e2e

import (
	"context"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// Feature 4: scale to zero after the retention period, and back from zero when requests
// wait (the HPAScaleToZero feature gate is on in kind/cluster.yaml).
func TestScaleToZeroAndBack(t *testing.T) {
	f := features.New("scale to zero and back").
		Assess("scenario assertions pass", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			requireAssertionsPass(t, runScenario(t, "scale-to-zero"))
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
