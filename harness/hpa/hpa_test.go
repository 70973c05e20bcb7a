package hpa

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func dur(d time.Duration) *time.Duration { return &d }

// step is one sync: at offset, with metric value (ok unless missing).
type step struct {
	at      time.Duration
	metric  float64
	missing bool
	want    int32
	reason  string
}

func run(t *testing.T, h *HPA, start int32, steps []step) {
	t.Helper()
	cur := start
	for i, s := range steps {
		res := h.Sync(t0.Add(s.at), Input{Current: cur, Ready: cur, Metric: s.metric, MetricOK: !s.missing})
		require.Equal(t, s.want, res.Desired, "step %d at %v (metric %g, current %d): reason %s", i, s.at, s.metric, cur, res.Reason)
		if s.reason != "" {
			assert.Equal(t, s.reason, res.Reason, "step %d", i)
		}
		assert.Equal(t, res.Desired != cur, res.Rescale)
		cur = res.Desired
	}
}

func TestHPA(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		start int32
		steps []step
	}{
		{
			name: "average value: desired = ceil(total/target)", start: 2,
			cfg:   Config{MinReplicas: 1, MaxReplicas: 10, TargetValue: 1},
			steps: []step{{at: 0, metric: 3, want: 3}},
		},
		{
			name: "within 10% tolerance nothing changes", start: 10,
			cfg:   Config{MinReplicas: 1, MaxReplicas: 20, TargetValue: 1},
			steps: []step{{at: 0, metric: 10.9, want: 10}, {at: 15 * time.Second, metric: 9.1, want: 10}, {at: 30 * time.Second, metric: 12, want: 12}},
		},
		{
			name: "value target scales ready pods by the usage ratio", start: 4,
			cfg:   Config{MinReplicas: 1, MaxReplicas: 20, Target: Value, TargetValue: 100},
			steps: []step{{at: 0, metric: 200, want: 8}},
		},
		{
			name: "default scale-up: max(100%, 4 pods) per 15s", start: 1,
			cfg: Config{MinReplicas: 1, MaxReplicas: 40, TargetValue: 1},
			steps: []step{
				{at: 0, metric: 30, want: 5, reason: "ScaleUpLimit"},
				{at: 15 * time.Second, metric: 30, want: 10},
				{at: 30 * time.Second, metric: 30, want: 20},
				{at: 45 * time.Second, metric: 30, want: 30},
			},
		},
		{
			name: "scale-up limit counts events inside the period", start: 1,
			cfg: Config{MinReplicas: 1, MaxReplicas: 40, TargetValue: 1, SyncPeriod: 5 * time.Second},
			steps: []step{
				{at: 0, metric: 30, want: 5},
				{at: 5 * time.Second, metric: 30, want: 5, reason: "ScaleUpLimit"},
				{at: 10 * time.Second, metric: 30, want: 5},
				{at: 15 * time.Second, metric: 30, want: 10},
			},
		},
		{
			name: "default scale-down waits for the 300s stabilization window", start: 10,
			cfg: Config{MinReplicas: 1, MaxReplicas: 20, TargetValue: 1},
			steps: []step{
				{at: 0, metric: 10, want: 10},
				{at: 15 * time.Second, metric: 2, want: 10, reason: "ScaleDownStabilized"},
				{at: 299 * time.Second, metric: 2, want: 10},
				{at: 301 * time.Second, metric: 2, want: 2, reason: "ScaleRecommended"}, // the recommendation of 10 at 0 s left the window
			},
		},
		{
			name: "docs example: Percent 10 or Pods 4 per 60s, Max picks the bigger change", start: 80,
			cfg: Config{MinReplicas: 1, MaxReplicas: 100, TargetValue: 1, ScaleDown: &Rules{
				StabilizationWindow: dur(0), Select: Max,
				Policies: []Policy{{Type: Pods, Value: 4, Period: time.Minute}, {Type: Percent, Value: 10, Period: time.Minute}},
			}},
			steps: []step{
				{at: 0, metric: 10, want: 72, reason: "ScaleDownLimit"},
				{at: 30 * time.Second, metric: 10, want: 72},
				{at: 61 * time.Second, metric: 10, want: 64},
			},
		},
		{
			name: "selectPolicy Min picks the smaller change", start: 80,
			cfg: Config{MinReplicas: 1, MaxReplicas: 100, TargetValue: 1, ScaleDown: &Rules{
				StabilizationWindow: dur(0), Select: Min,
				Policies: []Policy{{Type: Pods, Value: 4, Period: time.Minute}, {Type: Percent, Value: 10, Period: time.Minute}},
			}},
			steps: []step{{at: 0, metric: 10, want: 76}},
		},
		{
			name: "scale-down Disabled never removes pods", start: 8,
			cfg:   Config{MinReplicas: 1, MaxReplicas: 10, TargetValue: 1, ScaleDown: &Rules{StabilizationWindow: dur(0), Select: Disabled}},
			steps: []step{{at: 0, metric: 1, want: 8}, {at: time.Hour, metric: 1, want: 8}},
		},
		{
			name: "docs example: Percent 900 lets 1 pod become 10 at once", start: 1,
			cfg: Config{MinReplicas: 1, MaxReplicas: 100, TargetValue: 1, ScaleUp: &Rules{
				StabilizationWindow: dur(0), Policies: []Policy{{Type: Percent, Value: 900, Period: 15 * time.Second}},
			}},
			steps: []step{{at: 0, metric: 50, want: 10}},
		},
		{
			name: "scale-up stabilization uses the lowest recent recommendation", start: 2,
			cfg: Config{MinReplicas: 1, MaxReplicas: 100, TargetValue: 1, ScaleUp: &Rules{StabilizationWindow: dur(60 * time.Second)}},
			steps: []step{
				{at: 0, metric: 2, want: 2},
				{at: 15 * time.Second, metric: 6, want: 2, reason: "ScaleUpStabilized"},
				{at: 61 * time.Second, metric: 6, want: 6},
			},
		},
		{
			name: "max replicas clamp", start: 3,
			cfg:   Config{MinReplicas: 1, MaxReplicas: 5, TargetValue: 1},
			steps: []step{{at: 0, metric: 5.5, want: 5}, {at: 15 * time.Second, metric: 50, want: 5}},
		},
		{
			name: "out of range current replicas are brought into range first", start: 9,
			cfg:   Config{MinReplicas: 2, MaxReplicas: 5, TargetValue: 1},
			steps: []step{{at: 0, metric: 9, want: 5, reason: "TooManyReplicas"}},
		},
		{
			name: "per-direction tolerance: scale up on +5%, ignore -20%", start: 20,
			cfg: Config{MinReplicas: 1, MaxReplicas: 40, TargetValue: 1,
				ScaleUp:   &Rules{Tolerance: func() *float64 { f := 0.01; return &f }()},
				ScaleDown: &Rules{StabilizationWindow: dur(0), Tolerance: func() *float64 { f := 0.25; return &f }()}},
			steps: []step{{at: 0, metric: 21, want: 21}, {at: 15 * time.Second, metric: 17, want: 21}, {at: 30 * time.Second, metric: 10, want: 10}},
		},
		{
			name: "a missing metric holds", start: 6,
			cfg:   Config{MinReplicas: 1, MaxReplicas: 10, TargetValue: 1},
			steps: []step{{at: 0, missing: true, want: 6, reason: "FailedGetExternalMetric"}},
		},
		{
			name: "zero replicas with minReplicas > 0: autoscaling disabled", start: 0,
			cfg:   Config{MinReplicas: 1, MaxReplicas: 10, TargetValue: 1},
			steps: []step{{at: 0, metric: 5, want: 0, reason: "ScalingDisabled"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := New(tc.cfg)
			require.NoError(t, err)
			run(t, h, tc.start, tc.steps)
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"max below min", Config{MinReplicas: 3, MaxReplicas: 2, TargetValue: 1}, "maxReplicas 2"},
		{"no target", Config{MinReplicas: 1, MaxReplicas: 2}, "target value 0"},
		{"bad type", Config{MaxReplicas: 2, TargetValue: 1, Target: "Utilization"}, `target type "Utilization"`},
		{"bad policy", Config{MaxReplicas: 2, TargetValue: 1, ScaleUp: &Rules{Policies: []Policy{{Type: "Nodes", Value: 1, Period: time.Second}}}}, "behavior.scaleUp.policies[0].type"},
		{"bad select", Config{MaxReplicas: 2, TargetValue: 1, ScaleDown: &Rules{Select: "Avg"}}, "behavior.scaleDown.selectPolicy"},
		{"window too long", Config{MaxReplicas: 2, TargetValue: 1, ScaleDown: &Rules{StabilizationWindow: dur(2 * time.Hour)}}, "stabilizationWindowSeconds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestKEDA(t *testing.T) {
	k, err := NewKEDA(KEDAConfig{MinReplicaCount: 0, MaxReplicaCount: 10, Threshold: 1})
	require.NoError(t, err)
	cur := int32(0)
	sync := func(at time.Duration, metric float64) Result {
		r := k.Sync(t0.Add(at), Input{Current: cur, Ready: cur, Metric: metric, MetricOK: true})
		cur = r.Desired
		return r
	}
	assert.Equal(t, int32(0), sync(0, 0).Desired, "inactive at zero stays at zero")
	assert.Equal(t, int32(0), sync(15*time.Second, 3).Desired, "activation waits for the next polling interval")
	r := sync(30*time.Second, 3)
	assert.Equal(t, int32(1), r.Desired)
	assert.Equal(t, "KEDAScaledObjectActivated", r.Reason)
	assert.Equal(t, int32(3), sync(45*time.Second, 3).Desired, "the HPA takes over from one replica")
	// Inactive from 60 s: cooldown 300 s after the last active poll (30 s).
	for at := 60 * time.Second; at < 330*time.Second; at += 15 * time.Second {
		require.NotZero(t, sync(at, 0).Desired, "at %v", at)
	}
	r = sync(330*time.Second, 0)
	assert.Equal(t, int32(0), r.Desired)
	assert.Equal(t, "KEDAScaledObjectCooledDown", r.Reason)

	_, err = NewKEDA(KEDAConfig{MinReplicaCount: 2, MaxReplicaCount: 1, Threshold: 1})
	require.Error(t, err)
}

func TestDirect(t *testing.T) {
	d := Direct{Min: 1, Max: 5}
	assert.Equal(t, Result{Desired: 5, Rescale: true, Reason: "Direct"}, d.Sync(t0, Input{Current: 2, Metric: 9, MetricOK: true}))
	assert.Equal(t, Result{Desired: 1, Rescale: true, Reason: "Direct"}, d.Sync(t0, Input{Current: 2, Metric: 0, MetricOK: true}))
	assert.Equal(t, int32(2), d.Sync(t0, Input{Current: 2, MetricOK: false}).Desired)
}
