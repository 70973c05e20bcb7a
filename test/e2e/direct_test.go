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

// Feature 6: in direct actuation mode the controller patches the scale subresource (no HPA).
func TestDirectActuation(t *testing.T) {
	f := features.New("direct actuation").
		Assess("the controller scales the deployment itself", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			o := runScenario(t, "direct-h100")
			requireAssertionsPass(t, o)
			up := scales(o, "h100")
			require.NotEmpty(t, up)
			assert.Equal(t, "direct", up[0].Source)
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
