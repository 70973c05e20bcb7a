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

// Feature 9: the controller's pod is replaced under load. While it is down no decision is
// made and the HPA holds the replicas; the new controller's first decision already sizes
// by the ITL line, which it read from Prometheus' history rather than re-learned. A minute
// later a replica is killed and replaced.
func TestControllerRestartUnderLoad(t *testing.T) {
	f := features.New("controller restart").
		Assess("the new controller sizes by the ITL line at once", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			o := runScenario(t, "controller-restart")
			requireAssertionsPass(t, o)
			sc, _ := loadScenario(t, "controller-restart")
			require.Len(t, sc.Spec.Faults, 2)
			r, k := sc.Spec.Faults[0].ControllerRestart, sc.Spec.Faults[1].KillReplica
			require.NotNil(t, r)
			require.NotNil(t, k)
			var before, after *record.Decision
			for i, d := range o.Record.Decisions {
				// The fault is injected within a second or so of its time, and a decision
				// recorded just before it may be sampled a cycle late.
				assert.False(t, d.Time > r.At+5*time.Second && d.Time < r.At+r.Downtime, "a decision at %v while the controller is down: %s", d.Time, d.Reason)
				if d.Time <= r.At {
					before = &o.Record.Decisions[i]
				} else if d.Time >= r.At+r.Downtime && after == nil {
					after = &o.Record.Decisions[i]
				}
			}
			require.NotNil(t, before, "decisions before the restart")
			require.NotNil(t, after, "decisions after the restart")
			assert.Contains(t, before.Reason, "by the fitted ITL")
			assert.Contains(t, after.Reason, "by the fitted ITL", "the new controller's first decision (at %v)", after.Time)

			// The killed replica goes within seconds of the fault and another becomes
			// ready in its place.
			var gone string
			var goneAt time.Duration
			for _, e := range o.Record.Lifecycle {
				if gone == "" && e.Time >= k.At && (e.State == record.ReplicaStopped || e.State == record.ReplicaFailed) {
					gone, goneAt = e.Replica, e.Time
				}
			}
			require.NotEmpty(t, gone, "a replica stopped after %v", k.At)
			assert.Less(t, goneAt, k.At+15*time.Second, "%s stopped at %v", gone, goneAt)
			replaced := false
			for _, e := range o.Record.Lifecycle {
				replaced = replaced || (e.Time > k.At && e.State == record.ReplicaReady && e.Replica != gone)
			}
			assert.True(t, replaced, "a new replica became ready after the kill")
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
