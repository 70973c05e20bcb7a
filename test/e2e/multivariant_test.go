//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// Feature 8: with H100 and L40S variants of one model, added replicas go to the cheaper one.
func TestMultiVariantPrefersCheaper(t *testing.T) {
	f := features.New("multi-variant cost preference").
		Assess("the cheaper variant gets the replicas", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			o := runScenario(t, "multi-variant")
			requireAssertionsPass(t, o)
			assert.Greater(t, maxDesired(o, "l40s"), 1, "the cheaper L40S variant scaled up")
			assert.Equal(t, 1, maxDesired(o, "h100"), "the expensive H100 variant stayed at its initial size")
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
