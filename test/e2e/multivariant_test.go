//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// Feature 8: with H100 and L40S variants of one model, added replicas go to the cheaper one.
func TestMultiVariantPrefersCheaper(t *testing.T) {
	f := features.New("multi-variant cost preference").
		Assess("the cheaper variant gets the replicas", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			o := runScenario(t, "multi-variant")
			requireAssertionsPass(t, o)
			require.NotEmpty(t, o.Record.Scales, "the spike scaled something")
			first := o.Record.Scales[0]
			assert.Equal(t, "l40s", first.Variant, "the first replicas added go to the cheaper L40S variant")
			assert.Greater(t, first.To, first.From)
			assert.GreaterOrEqual(t, maxDesired(o, "l40s"), maxDesired(o, "h100"), "the cheaper variant holds at least as many replicas")
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
