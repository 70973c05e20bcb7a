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

	"github.com/saturn-autoscaler/saturn/harness/record"
)

// sampleSlack is how far apart the harness may see two variants' parts of one
// controller decision (the sampler reads the cluster every 2 s).
const sampleSlack = 5 * time.Second

// Feature 8: with H100 and L40S variants of one model, added replicas go to the cheaper one;
// the expensive one grows only when the cheaper one is at its maximum.
func TestMultiVariantPrefersCheaper(t *testing.T) {
	f := features.New("multi-variant cost preference").
		Assess("the cheaper variant gets the replicas", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			o := runScenario(t, "multi-variant")
			requireAssertionsPass(t, o)
			l40sUp, h100Up := firstScaleUp(o.Record, "l40s"), firstScaleUp(o.Record, "h100")
			require.GreaterOrEqual(t, l40sUp, time.Duration(0), "the spike scaled the cheaper L40S variant up")
			if h100Up >= 0 {
				assert.LessOrEqual(t, l40sUp, h100Up+sampleSlack, "L40S grows no later than H100")
			}
			l40sMax := variantMax(o.Record, "l40s")
			for _, s := range scales(o, "h100") {
				if s.To <= s.From {
					continue
				}
				assert.True(t, decidedNear(o.Record, "l40s", s.Time, l40sMax),
					"at %v H100 grew %d -> %d while L40S was not asked for its maximum %d", s.Time, s.From, s.To, l40sMax)
			}
			assert.GreaterOrEqual(t, maxDesired(o, "l40s"), maxDesired(o, "h100"), "the cheaper variant holds at least as many replicas")
			return ctx
		}).Feature()
	testenv.Test(t, f)
}

// firstScaleUp is when a variant first grew (-1: never).
func firstScaleUp(rec *record.Record, variant string) time.Duration {
	for _, s := range rec.Scales {
		if s.Variant == variant && s.To > s.From {
			return s.Time
		}
	}
	return -1
}

func variantMax(rec *record.Record, variant string) int {
	for _, v := range rec.Meta.Variants {
		if v.Name == variant {
			return v.MaxReplicas
		}
	}
	return 0
}

// decidedNear reports whether the controller asked for want replicas of variant
// within sampleSlack of at.
func decidedNear(rec *record.Record, variant string, at time.Duration, want int) bool {
	for _, d := range rec.Decisions {
		if d.Variant == variant && d.Desired == want && d.Time >= at-sampleSlack && d.Time <= at+sampleSlack {
			return true
		}
	}
	return false
}
