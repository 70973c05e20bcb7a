// Package blueprint turns a scenario into everything a driver runs: the controller's
// configuration and flags, each variant's engine, bounds and actuator, and the router.
// Every default is applied once, here: the twin renders a Blueprint into its in-process
// components, the Kind driver into Helm values and command lines, and test/parity holds
// the two renderings equal field by field. Neither driver reads those settings from the
// scenario itself.
package blueprint

import (
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/harness/hpa"
	"github.com/saturn-autoscaler/saturn/harness/route"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/profiles"
)

// Blueprint is a scenario resolved into what runs: no pointers, no defaults left to
// the reader.
type Blueprint struct {
	// Model is the served model's name (spec.model.name).
	Model string
	// Seed is the scenario's seed; saturn-sim gets it on a cluster.
	Seed uint64
	// ScrapeInterval is Prometheus' scrape interval.
	ScrapeInterval time.Duration
	Controller     Controller
	// Variants are in the scenario's order.
	Variants []Variant
	Router   Router
}

// Controller is the controller as installed: its two ConfigMaps and its flags.
type Controller struct {
	// Config is what wva-saturation-scaling-config and wva-model-scale-to-zero-config
	// hold for the scenario (the ITL objective is the capacity analyzer's sloITL).
	Config config.Config
	// Interval is the reconcile interval (--interval).
	Interval time.Duration
	// Actuation is the scenario's mode: scenario.ActuationHPA, ActuationKEDA or
	// ActuationDirect. The controller publishes wva_desired_replicas for the first two
	// and patches the scale subresource for the last.
	Actuation string
	// ScaleToZero is the controller's --scale-to-zero flag.
	ScaleToZero bool
}

// ControllerFlagActuation is the controller's --actuation value: "direct" patches the
// scale subresource, "metrics" leaves scaling to an HPA or KEDA reading the metric.
func (c Controller) ControllerFlagActuation() string {
	if c.Actuation == scenario.ActuationDirect {
		return "direct"
	}
	return "metrics"
}

// Variant is one Deployment of the model and what scales it.
type Variant struct {
	Name        string
	Accelerator string
	Cost        float64
	// Min, Max and Initial replicas.
	Min, Max, Initial int
	// Engine is the vLLM engine the replicas run: the model's settings overridden by the
	// variant's, on the profiles they name, vLLM's defaults applied.
	Engine engine.Config
	// StartupDelay is the weights-loading time saturn-sim is given on a cluster: the
	// expectation of the scenario's distribution (the twin samples the distribution).
	StartupDelay time.Duration
	// HPA is set in hpa mode, KEDA in keda mode; neither in direct mode.
	HPA  *hpa.Config
	KEDA *hpa.KEDAConfig
}

// GPUs is the accelerators one replica holds.
func (v Variant) GPUs() int { return max(v.Engine.TensorParallelSize, 1) }

// Router is the endpoint picker in front of the variants.
type Router struct {
	// Policy is a route.NewPicker policy.
	Policy  string
	Weights route.Weights
}

// For resolves a defaulted scenario (scenario.Load defaults it; call Default on one built
// otherwise). An error names the field that cannot be run.
func For(sc *scenario.Scenario) (*Blueprint, error) {
	sp := &sc.Spec
	a := &sp.Autoscaler
	bp := &Blueprint{
		Model: sp.Model.Name, Seed: sp.Seed, ScrapeInterval: sp.Prometheus.ScrapeInterval,
		Controller: Controller{
			Config: ControllerConfig(sp), Interval: a.Interval, Actuation: a.Actuation.Mode,
			ScaleToZero: a.ScaleToZero.Enabled,
		},
		Router: Router{Policy: sp.Router.Policy, Weights: RouterWeights(sp.Router)},
	}
	if _, err := route.NewPicker(bp.Router.Policy, bp.Router.Weights); err != nil {
		return nil, fmt.Errorf("spec.router: %w", err)
	}
	model, err := profiles.LookupModel(sp.Model.Name)
	if err != nil {
		return nil, fmt.Errorf("spec.model.name: %w", err)
	}
	for i, vs := range sp.Variants {
		acc, err := profiles.LookupAccelerator(vs.Accelerator)
		if err != nil {
			return nil, fmt.Errorf("spec.variants[%d].accelerator: %w", i, err)
		}
		eng, err := engineConfig(sp, vs, acc, model)
		if err != nil {
			return nil, fmt.Errorf("spec.variants[%d] (%s) engine: %w", i, vs.Name, err)
		}
		v := Variant{
			Name: vs.Name, Accelerator: vs.Accelerator, Cost: vs.Cost, Max: vs.MaxReplicas,
			Engine: eng, StartupDelay: vs.Startup.WeightsLoading.Expected(),
		}
		if vs.MinReplicas != nil {
			v.Min = *vs.MinReplicas
		}
		v.Initial = v.Min
		if vs.InitialReplicas != nil {
			v.Initial = *vs.InitialReplicas
		}
		if err := actuator(a, &v); err != nil {
			return nil, fmt.Errorf("spec.autoscaler.actuation (variant %s): %w", vs.Name, err)
		}
		bp.Variants = append(bp.Variants, v)
	}
	return bp, nil
}

// RouterWeights are the kv-queue-scorer's weights: the scenario's, route's defaults for
// the ones it leaves out.
func RouterWeights(r scenario.Router) route.Weights {
	w := func(p *float64, def float64) float64 {
		if p == nil {
			return def
		}
		return *p
	}
	d := route.DefaultWeights
	return route.Weights{
		Queue: w(r.Weights.Queue, d.Queue), KVCache: w(r.Weights.KVCache, d.KVCache), PrefixCache: w(r.Weights.PrefixCache, d.PrefixCache),
	}
}

// ControllerConfig is the pair of ConfigMaps the scenario's autoscaler section and SLO
// stand for (the ITL objective is the capacity analyzer's sloITL).
func ControllerConfig(sp *scenario.Spec) config.Config {
	a, slo := &sp.Autoscaler, sp.SLO
	cfg := config.Default()
	th := a.Thresholds
	o := config.SaturationEntry{
		KvCacheThreshold: th.KVCacheThreshold, QueueLengthThreshold: th.QueueLengthThreshold,
		KvSpareTrigger: th.KVSpareTrigger, QueueSpareTrigger: th.QueueSpareTrigger,
		Analyzer: a.Analyzer,
	}
	if slo != nil && slo.ITL > 0 {
		o.SLOITL = &config.Duration{Duration: slo.ITL}
	}
	if slo != nil && slo.TTFT > 0 {
		o.SLOTTFT = &config.Duration{Duration: slo.TTFT}
	}
	if w := a.Stabilization.ScaleUp; w != nil {
		o.ScaleUpStabilizationWindow = &config.Duration{Duration: *w}
	}
	if w := a.Stabilization.ScaleDown; w != nil {
		o.ScaleDownStabilizationWindow = &config.Duration{Duration: *w}
	}
	// The scenario's settings apply to the default entry as an override would.
	cfg.Saturation.Default.Merge(o)
	cfg.ScaleToZero = config.DefaultScaleToZeroSettings(a.ScaleToZero.Enabled)
	if a.ScaleToZero.RetentionPeriod > 0 {
		cfg.ScaleToZero.Default.RetentionPeriod = &config.Duration{Duration: a.ScaleToZero.RetentionPeriod}
	}
	return cfg
}

// EngineConfig is the engine variant vs of the scenario runs: the model's engine
// settings overridden by the variant's (Spec.EngineFor), on the accelerator and model
// profiles they name, vLLM's defaults applied.
func EngineConfig(sp *scenario.Spec, vs scenario.Variant) (engine.Config, error) {
	acc, err := profiles.LookupAccelerator(vs.Accelerator)
	if err != nil {
		return engine.Config{}, err
	}
	model, err := profiles.LookupModel(sp.Model.Name)
	if err != nil {
		return engine.Config{}, err
	}
	return engineConfig(sp, vs, acc, model)
}

func engineConfig(sp *scenario.Spec, vs scenario.Variant, acc profiles.Accelerator, model profiles.Model) (engine.Config, error) {
	e := sp.EngineFor(vs)
	cfg := engine.Config{
		Accelerator: acc, Model: model,
		TensorParallelSize: e.TensorParallelSize, GPUMemoryUtilization: e.GPUMemoryUtilization,
		BlockSize: e.BlockSize, MaxNumSeqs: e.MaxNumSeqs, MaxNumBatchedTokens: e.MaxNumBatchedTokens,
		MaxModelLen: e.MaxModelLen, EnablePrefixCaching: e.EnablePrefixCaching == nil || *e.EnablePrefixCaching,
	}
	if err := cfg.Validate(); err != nil {
		return engine.Config{}, err
	}
	return cfg.WithDefaults(), nil
}

// actuator fills v's HPA or KEDA configuration from the scenario's actuation section:
// the HPA or ScaledObject that reads wva_desired_replicas (target averageValue 1).
func actuator(a *scenario.Autoscaler, v *Variant) error {
	act := a.Actuation
	up, down := Rules(act.HPA.Behavior.ScaleUp), Rules(act.HPA.Behavior.ScaleDown)
	switch act.Mode {
	case scenario.ActuationDirect:
		return nil
	case scenario.ActuationKEDA:
		k := &hpa.KEDAConfig{
			MinReplicaCount: int32(v.Min), MaxReplicaCount: int32(v.Max), Threshold: 1,
			PollingInterval: act.KEDA.PollingInterval, CooldownPeriod: act.KEDA.CooldownPeriod,
			ScaleUp: up, ScaleDown: down,
		}
		if _, err := hpa.NewKEDA(*k); err != nil {
			return err
		}
		v.KEDA = k
	default:
		h := &hpa.Config{
			MinReplicas: int32(v.Min), MaxReplicas: int32(v.Max),
			Target: hpa.AverageValue, TargetValue: 1,
			SyncPeriod: act.HPA.SyncPeriod, ScaleUp: up, ScaleDown: down,
		}
		if act.HPA.Tolerance != nil {
			h.Tolerance = *act.HPA.Tolerance
			if h.Tolerance == 0 {
				h.Tolerance = -1 // explicit zero: no tolerance
			}
		}
		if _, err := hpa.New(*h); err != nil {
			return err
		}
		v.HPA = h
	}
	return nil
}

// Rules converts a scenario's HPA rules (autoscaling/v2's shape) to the HPA model's.
func Rules(r *scenario.HPAScalingRules) *hpa.Rules {
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
