package twin

import (
	"context"
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/planner"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
	"github.com/saturn-autoscaler/saturn/harness/hpa"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// controller is saturn's controller loop in the twin: the collector's PromQL
// queries against the embedded Prometheus, the planner's decision, and the
// actuation model.
type controller struct {
	t             *twin
	planner       *planner.Planner
	cfg           config.Config
	targets       []collector.Target
	mode          string
	actuators     []hpa.Actuator
	actuatePeriod time.Duration
	collect       collector.Options // as the controller binary derives them from its interval
}

func newController(t *twin) (*controller, error) {
	a := &t.spec.Autoscaler
	c := &controller{
		t:       t,
		planner: planner.NewPlanner(planner.Options{}),
		collect: collector.Options{ActivityWindow: collector.ActivityWindowFor(a.Interval)},
		cfg:     controllerConfig(a, t.spec.SLO),
		targets: []collector.Target{{Namespace: t.namespace, ModelID: t.spec.Model.Name}},
		mode:    a.Actuation.Mode,
	}
	for i, v := range t.variants {
		act, period, err := newActuator(a, v)
		if err != nil {
			return nil, fmt.Errorf("%w: spec.autoscaler.actuation (variant %s): %w", ErrInvalidScenario, t.spec.Variants[i].Name, err)
		}
		c.actuators = append(c.actuators, act)
		c.actuatePeriod = period
	}
	return c, nil
}

// ControllerConfig is the controller configuration the twin runs the scenario's
// autoscaler with: the pair of ConfigMaps its autoscaler section and SLO stand for (the
// ITL objective is the capacity analyzer's sloITL). A cluster driver must render the same.
func ControllerConfig(spec *scenario.Spec) config.Config {
	return controllerConfig(&spec.Autoscaler, spec.SLO)
}

// controllerConfig is the pair of ConfigMaps the scenario's autoscaler
// section and SLO stand for (the ITL objective is the capacity analyzer's sloITL).
func controllerConfig(a *scenario.Autoscaler, slo *scenario.SLO) config.Config {
	cfg := config.Default()
	d := &cfg.Saturation.Default
	if slo != nil && slo.ITL > 0 {
		d.SLOITL = &config.Duration{Duration: slo.ITL}
	}
	th := a.Thresholds
	if th.KVCacheThreshold != nil {
		d.KvCacheThreshold = th.KVCacheThreshold
	}
	if th.QueueLengthThreshold != nil {
		d.QueueLengthThreshold = th.QueueLengthThreshold
	}
	if th.KVSpareTrigger != nil {
		d.KvSpareTrigger = th.KVSpareTrigger
	}
	if th.QueueSpareTrigger != nil {
		d.QueueSpareTrigger = th.QueueSpareTrigger
	}
	d.Analyzer = a.Analyzer
	if w := a.Stabilization.ScaleUp; w != nil {
		d.ScaleUpStabilizationWindow = &config.Duration{Duration: *w}
	}
	if w := a.Stabilization.ScaleDown; w != nil {
		d.ScaleDownStabilizationWindow = &config.Duration{Duration: *w}
	}
	cfg.ScaleToZero = config.DefaultScaleToZeroSettings(a.ScaleToZero.Enabled)
	if a.ScaleToZero.RetentionPeriod > 0 {
		cfg.ScaleToZero.Default.RetentionPeriod = &config.Duration{Duration: a.ScaleToZero.RetentionPeriod}
	}
	return cfg
}

// newActuator builds the variant's HPA, KEDA or direct model; period is the
// HPA sync period (0 for direct, which applies each decision at once).
func newActuator(a *scenario.Autoscaler, v *variant) (hpa.Actuator, time.Duration, error) {
	act := a.Actuation
	up, down := rules(act.HPA.Behavior.ScaleUp), rules(act.HPA.Behavior.ScaleDown)
	switch act.Mode {
	case scenario.ActuationDirect:
		return hpa.Direct{Min: int32(v.min), Max: int32(v.max)}, 0, nil
	case scenario.ActuationKEDA:
		k, err := hpa.NewKEDA(hpa.KEDAConfig{
			MinReplicaCount: int32(v.min), MaxReplicaCount: int32(v.max), Threshold: 1,
			PollingInterval: act.KEDA.PollingInterval, CooldownPeriod: act.KEDA.CooldownPeriod,
			ScaleUp: up, ScaleDown: down,
		})
		if err != nil {
			return nil, 0, err
		}
		return k, k.SyncPeriod(), nil
	default:
		cfg := hpa.Config{
			MinReplicas: int32(v.min), MaxReplicas: int32(v.max),
			Target: hpa.AverageValue, TargetValue: 1,
			SyncPeriod: act.HPA.SyncPeriod, ScaleUp: up, ScaleDown: down,
		}
		if act.HPA.Tolerance != nil {
			cfg.Tolerance = *act.HPA.Tolerance
			if cfg.Tolerance == 0 {
				cfg.Tolerance = -1 // explicit zero: no tolerance
			}
		}
		h, err := hpa.New(cfg)
		if err != nil {
			return nil, 0, err
		}
		return h, h.SyncPeriod(), nil
	}
}

func rules(r *scenario.HPAScalingRules) *hpa.Rules {
	if r == nil {
		return nil
	}
	out := &hpa.Rules{Select: hpa.SelectPolicy(r.SelectPolicy), Tolerance: r.Tolerance}
	if r.StabilizationWindowSeconds != nil {
		w := time.Duration(*r.StabilizationWindowSeconds) * time.Second
		out.StabilizationWindow = &w
	}
	for _, p := range r.Policies {
		out.Policies = append(out.Policies, hpa.Policy{
			Type: hpa.PolicyType(p.Type), Value: p.Value, Period: time.Duration(p.PeriodSeconds) * time.Second,
		})
	}
	return out
}

// cycle is one controller reconcile of every VariantAutoscaling.
func (c *controller) cycle() {
	t := c.t
	now := at(t.now)
	snap, err := collector.Collect(context.Background(), t.store, now, c.targets, c.collect)
	states := make([]saturation.VariantState, len(t.variants))
	for i, v := range t.variants {
		ready, stuck := 0, 0
		var pods []string
		for _, r := range v.alive {
			// An unresponsive replica fails its readiness probe; the controller
			// sees it not ready long past its start-up: stuck, not starting.
			switch {
			case r.state == record.ReplicaReady && r.unresponsive:
				stuck++
			case r.state == record.ReplicaReady:
				ready++
				pods = append(pods, r.name)
			}
		}
		if pods == nil {
			pods = []string{}
		}
		states[i] = saturation.VariantState{
			Name: v.name, Namespace: t.namespace, ModelID: t.spec.Model.Name, Accelerator: v.spec.Accelerator,
			TargetName: v.name, Cost: v.spec.Cost, Current: v.desired, Ready: ready, Stuck: stuck,
			Min: v.min, Max: v.max, Pods: pods, Created: at(0),
		}
		if v.decided {
			states[i].Desired = v.decision
		}
	}
	decisions := c.planner.Decide(now, snap, states, c.cfg)
	for i, d := range decisions {
		v := t.variants[i]
		rd := record.Decision{
			Time: t.now, Variant: v.name, Namespace: d.Namespace, Model: d.ModelID, Accelerator: d.Accelerator,
			Analyzer: d.Analyzer, Current: d.Current, Desired: d.Desired, Reason: d.Reason,
			MetricsOK: d.MetricsAvailable, Inputs: d.Inputs,
		}
		if !d.MetricsAvailable {
			rd.MetricsWhy = d.MetricsReason
			if d.MetricsMessage != "" {
				rd.MetricsWhy += ": " + d.MetricsMessage
			}
		}
		if err != nil {
			rd.Error = "collecting metrics: some queries failed"
		}
		t.rec.Decisions = append(t.rec.Decisions, rd)
		v.decision, v.decided = d.Desired, true
		if c.actuatePeriod == 0 {
			c.apply(i)
		}
	}
}

// actuate runs one HPA (or KEDA) sync for every variant.
func (c *controller) actuate() {
	for i := range c.t.variants {
		c.apply(i)
	}
}

// apply feeds variant i's latest decision (the wva_desired_replicas metric)
// to its actuator and scales the Deployment when it says so. With an HPA the
// metric goes through Prometheus (Prometheus Adapter): it is missing while
// Prometheus is down.
func (c *controller) apply(i int) {
	t := c.t
	v := t.variants[i]
	ready, _, _ := v.counts()
	in := hpa.Input{
		Current: int32(v.desired), Ready: int32(ready),
		Metric: float64(v.decision), MetricOK: v.decided && (c.actuatePeriod == 0 || !t.store.Down()),
	}
	res := c.actuators[i].Sync(now(t), in)
	if res.Rescale && int(res.Desired) != v.desired {
		t.rec.Scales = append(t.rec.Scales, record.ScaleEvent{
			Time: t.now, Variant: v.name, From: v.desired, To: int(res.Desired), Source: c.mode,
		})
		v.desired = int(res.Desired)
		t.reconcile(v)
	}
}

func now(t *twin) time.Time { return at(t.now) }
