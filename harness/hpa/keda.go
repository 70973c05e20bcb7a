package hpa

import (
	"fmt"
	"time"
)

// KEDA defaults (ScaledObject spec).
const (
	DefaultPollingInterval = 30 * time.Second
	DefaultCooldownPeriod  = 300 * time.Second
)

// KEDAConfig is a ScaledObject with one Prometheus trigger of metricType
// AverageValue (KEDA's default).
type KEDAConfig struct {
	MinReplicaCount int32
	MaxReplicaCount int32
	// Threshold is the trigger's threshold (the HPA's averageValue target).
	Threshold float64
	// ActivationThreshold: the scaler is active when the metric exceeds it.
	ActivationThreshold float64
	PollingInterval     time.Duration
	CooldownPeriod      time.Duration
	// ScaleUp and ScaleDown are advanced.horizontalPodAutoscalerConfig.behavior.
	ScaleUp   *Rules
	ScaleDown *Rules
}

// KEDA models KEDA's operator: it owns the HPA it creates (minReplicas =
// max(minReplicaCount, 1)) and handles 0 <-> 1 itself: it activates the
// workload when the metric exceeds the activation threshold and scales it
// to zero after cooldownPeriod without activity, checking every
// pollingInterval.
type KEDA struct {
	cfg        KEDAConfig
	hpa        *HPA
	lastPoll   time.Time
	lastActive time.Time
	polled     bool
}

// NewKEDA returns a KEDA model for cfg (defaults applied).
func NewKEDA(cfg KEDAConfig) (*KEDA, error) {
	if cfg.PollingInterval == 0 {
		cfg.PollingInterval = DefaultPollingInterval
	}
	if cfg.CooldownPeriod == 0 {
		cfg.CooldownPeriod = DefaultCooldownPeriod
	}
	if cfg.MinReplicaCount < 0 || cfg.MaxReplicaCount < max(cfg.MinReplicaCount, 1) {
		return nil, fmt.Errorf("invalid ScaledObject: minReplicaCount %d, maxReplicaCount %d: need 0 <= min <= max and max >= 1", cfg.MinReplicaCount, cfg.MaxReplicaCount)
	}
	h, err := New(Config{
		MinReplicas: max(cfg.MinReplicaCount, 1), MaxReplicas: cfg.MaxReplicaCount,
		Target: AverageValue, TargetValue: cfg.Threshold,
		ScaleUp: cfg.ScaleUp, ScaleDown: cfg.ScaleDown,
	})
	if err != nil {
		return nil, fmt.Errorf("building the HPA of the ScaledObject: %w", err)
	}
	return &KEDA{cfg: cfg, hpa: h}, nil
}

// SyncPeriod is the HPA's sync period; KEDA's own polling runs within it.
func (k *KEDA) SyncPeriod() time.Duration { return k.hpa.SyncPeriod() }

// Sync runs KEDA's activation check (when a polling interval has passed)
// and then the HPA.
func (k *KEDA) Sync(now time.Time, in Input) Result {
	if !k.polled || now.Sub(k.lastPoll) >= k.cfg.PollingInterval {
		k.polled = true
		k.lastPoll = now
		active := in.MetricOK && in.Metric > k.cfg.ActivationThreshold
		if active || k.lastActive.IsZero() {
			k.lastActive = now
		}
		switch {
		case active && in.Current == 0:
			return Result{Desired: max(k.cfg.MinReplicaCount, 1), Rescale: true, Reason: "KEDAScaledObjectActivated"}
		case !active && in.MetricOK && in.Current > 0 && k.cfg.MinReplicaCount == 0 && now.Sub(k.lastActive) >= k.cfg.CooldownPeriod:
			return Result{Desired: 0, Rescale: true, Reason: "KEDAScaledObjectCooledDown"}
		}
	}
	if in.Current == 0 {
		return Result{Desired: 0, Reason: "ScalingDisabled"}
	}
	return k.hpa.Sync(now, in)
}

// Direct models a controller that writes the scale subresource itself: the
// controller's desired count, clamped to min/max, applied at once.
type Direct struct {
	Min, Max int32
}

// Sync returns the clamped desired replicas (in.Metric) or holds on a
// missing metric.
func (d Direct) Sync(_ time.Time, in Input) Result {
	if !in.MetricOK {
		return Result{Desired: in.Current, Reason: "NoDecision"}
	}
	want := min(max(ceil32(in.Metric), d.Min), d.Max)
	return Result{Desired: want, Rescale: want != in.Current, Reason: "Direct"}
}

// Actuator is what the twin drives: HPA, KEDA or Direct.
type Actuator interface {
	Sync(now time.Time, in Input) Result
}
