package twin

import (
	"context"
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/planner"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/hpa"
	"github.com/saturn-autoscaler/saturn/harness/record"
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
	// down: the controller is restarting (a controllerRestart fault): no cycle runs.
	down bool
}

// stop takes the controller down: its cycles stop; the scale targets keep what they were
// last told (the HPA finds no fresh metric and holds, direct actuation has no writer).
func (c *controller) stop() { c.down = true }

// start brings up a new controller with no memory of the old one's cycles: a fresh
// planner. The VariantAutoscalings' status (the last decisions) and Prometheus' history
// outlive it, as in a cluster.
func (c *controller) start() {
	c.down = false
	c.planner = planner.NewPlanner(planner.Options{})
}

func newController(t *twin) (*controller, error) {
	bc := t.bp.Controller
	c := &controller{
		t:       t,
		planner: planner.NewPlanner(planner.Options{}),
		collect: collector.Options{ActivityWindow: collector.ActivityWindowFor(bc.Interval)},
		cfg:     bc.Config,
		targets: []collector.Target{{Namespace: t.namespace, ModelID: t.bp.Model}},
		mode:    bc.Actuation,
	}
	for i, bv := range t.bp.Variants {
		act, period, err := newActuator(bv)
		if err != nil {
			return nil, fmt.Errorf("%w: spec.autoscaler.actuation (variant %s): %w", ErrInvalidScenario, t.spec.Variants[i].Name, err)
		}
		c.actuators = append(c.actuators, act)
		c.actuatePeriod = period
	}
	return c, nil
}

// newActuator builds the variant's HPA, KEDA or direct model from its blueprint; period
// is the HPA sync period (0 for direct, which applies each decision at once).
func newActuator(v blueprint.Variant) (hpa.Actuator, time.Duration, error) {
	switch {
	case v.KEDA != nil:
		k, err := hpa.NewKEDA(*v.KEDA)
		if err != nil {
			return nil, 0, err
		}
		return k, k.SyncPeriod(), nil
	case v.HPA != nil:
		h, err := hpa.New(*v.HPA)
		if err != nil {
			return nil, 0, err
		}
		return h, h.SyncPeriod(), nil
	default:
		return hpa.Direct{Min: int32(v.Min), Max: int32(v.Max)}, 0, nil
	}
}

// cycle is one controller reconcile of every VariantAutoscaling.
func (c *controller) cycle() {
	if c.down {
		return
	}
	t := c.t
	now := at(t.now)
	snap, err := collector.Collect(context.Background(), t.store, now, c.targets, c.collect)
	states := make([]saturation.VariantState, len(t.variants))
	for i, v := range t.variants {
		ready, stuck := 0, 0
		var pods []string
		var startups []time.Duration
		for _, r := range v.alive {
			// An unresponsive replica fails its readiness probe; the controller
			// sees it not ready long past its start-up: stuck, not starting.
			switch {
			case r.state == record.ReplicaReady && r.unresponsive:
				stuck++
			case r.state == record.ReplicaReady:
				ready++
				pods = append(pods, r.name)
				startups = append(startups, r.readyAt-r.created)
			}
		}
		if pods == nil {
			pods = []string{}
		}
		states[i] = saturation.VariantState{
			Name: v.name, Namespace: t.namespace, ModelID: t.spec.Model.Name, Accelerator: v.spec.Accelerator,
			TargetName: v.name, Cost: v.spec.Cost, Current: v.desired, Ready: ready, Stuck: stuck,
			Min: v.min, Max: v.max, Pods: pods, Created: at(0), Startup: saturation.MedianStartup(startups),
		}
		if v.decided {
			states[i].Desired = v.decision
		}
	}
	// As the controller: a model first seen reads its pods' recent history.
	if _, herr := c.planner.ReadHistory(context.Background(), t.store, &snap, states, t.bp.Controller.Interval, c.collect); herr != nil && err == nil {
		err = herr
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
// Prometheus is down, and while the controller restarts (its series goes stale
// when its pod stops answering scrapes).
func (c *controller) apply(i int) {
	t := c.t
	v := t.variants[i]
	ready, _, _ := v.counts()
	in := hpa.Input{
		Current: int32(v.desired), Ready: int32(ready),
		Metric: float64(v.decision), MetricOK: v.decided && (c.actuatePeriod == 0 || (!t.store.Down() && !c.down)),
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
