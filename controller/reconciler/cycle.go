package reconciler

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/metrics"
	"github.com/saturn-autoscaler/saturn/controller/metricsapi"
	"github.com/saturn-autoscaler/saturn/controller/planner"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// CycleResult summarises one cycle, for logs and tests.
type CycleResult struct {
	Time      time.Time
	Variants  int
	Queries   int
	Decisions []planner.Decision
}

// variant is one VA taking part in a cycle.
type variant struct {
	va     *v1alpha1.VariantAutoscaling
	orig   *v1alpha1.VariantAutoscaling
	target target
	state  saturation.VariantState
}

// Cycle runs one decision cycle for every VariantAutoscaling.
func (c *Controller) Cycle(ctx context.Context) error {
	_, err := c.RunCycle(ctx)
	return err
}

// RunCycle is Cycle returning what was decided.
func (c *Controller) RunCycle(ctx context.Context) (CycleResult, error) {
	now := c.Clock.Now()
	c.mu.Lock()
	c.lastCycle = now
	c.mu.Unlock()
	c.pods.reset(now, c.opts.StuckAfter)
	log := c.Log.WithValues("cycle", now.UTC().Format(time.RFC3339))
	res := CycleResult{Time: now}

	cfg, cfgErr := c.loadConfig(ctx)
	if cfgErr != nil {
		log.Error(cfgErr, "configuration has errors; valid entries apply")
	}

	var list v1alpha1.VariantAutoscalingList
	if err := c.Client.List(ctx, &list, c.vaListOptions()...); err != nil {
		return res, fmt.Errorf("listing VariantAutoscalings: %w", err)
	}
	seen := map[types.NamespacedName]struct{}{}
	var variants []*variant
	var errs []error
	for i := range list.Items {
		va := &list.Items[i]
		seen[types.NamespacedName{Namespace: va.Namespace, Name: va.Name}] = struct{}{}
		if va.DeletionTimestamp != nil {
			continue
		}
		v, err := c.prepare(ctx, now, va)
		if err != nil {
			errs = append(errs, err)
		}
		if v != nil {
			variants = append(variants, v)
		}
	}
	c.forgetDeleted(seen)
	res.Variants = len(variants)
	if len(variants) == 0 {
		return res, errors.Join(errs...)
	}

	cfg = c.withNamespaceConfig(ctx, cfg, variants)
	targets := make([]collector.Target, 0, len(variants))
	states := make([]saturation.VariantState, 0, len(variants))
	for _, v := range variants {
		targets = append(targets, collector.Target{Namespace: v.va.Namespace, ModelID: v.va.Spec.ModelID})
		states = append(states, v.state)
	}
	snap, err := collector.Collect(ctx, c.Querier, now, targets, c.opts.Collector)
	res.Queries = snap.Queries
	if err != nil {
		// The snapshot records the failure; the planner holds the affected models.
		log.Error(err, "collecting metrics", "queries", snap.Queries)
	}
	// A model first seen (a start, a restart, a new VariantAutoscaling) reads its pods'
	// recent past from Prometheus: the ITL line and the saturation concurrency are known
	// from the first cycle.
	hq, herr := c.Planner.ReadHistory(ctx, c.Querier, &snap, states, c.opts.Interval, c.opts.Collector)
	res.Queries += hq
	if herr != nil {
		log.Error(herr, "reading the history; asked again next cycle")
	}
	decisions := c.Planner.Decide(now, snap, states, cfg)
	res.Decisions = decisions

	byKey := make(map[types.NamespacedName]*variant, len(variants))
	for _, v := range variants {
		byKey[types.NamespacedName{Namespace: v.va.Namespace, Name: v.va.Name}] = v
	}
	for _, d := range decisions {
		v := byKey[types.NamespacedName{Namespace: d.Namespace, Name: d.Variant}]
		if v == nil {
			continue
		}
		if err := c.apply(ctx, now, v, d); err != nil {
			errs = append(errs, err)
		}
	}
	log.V(1).Info("cycle done", "variants", len(variants), "queries", snap.Queries, "decisions", len(decisions))
	return res, errors.Join(errs...)
}

// prepare resolves one VA's target and builds its planner state. It returns
// nil (after writing status) for a VA that cannot take part in the cycle.
func (c *Controller) prepare(ctx context.Context, now time.Time, va *v1alpha1.VariantAutoscaling) (*variant, error) {
	orig := va.DeepCopy()
	mnow := metav1.NewTime(now)
	t, err := c.resolveTarget(ctx, va)
	var nf errTargetNotFound
	switch {
	case errors.As(err, &nf):
		va.SetCondition(mnow, v1alpha1.TypeTargetResolved, metav1.ConditionFalse, v1alpha1.ReasonScaleTargetNotFound, nf.msg)
		va.SetCondition(mnow, v1alpha1.TypeOptimizationReady, metav1.ConditionFalse, v1alpha1.ReasonSkippedProcessing, "scale target not found: "+nf.msg)
		va.Status.ObservedGeneration = va.Generation
		c.Recorder.Eventf(va, nil, corev1.EventTypeWarning, v1alpha1.ReasonScaleTargetNotFound, "Resolve", "%s", nf.msg)
		return nil, c.patchStatus(ctx, orig, va)
	case err != nil && t.Kind == "":
		return nil, fmt.Errorf("VariantAutoscaling %s/%s: %w", va.Namespace, va.Name, err)
	case err != nil:
		// Target known, pods not listable: the planner must not trust pod names.
		c.Log.Error(err, "listing target pods", "namespace", va.Namespace, "variant", va.Name)
	}
	va.SetCondition(mnow, v1alpha1.TypeTargetResolved, metav1.ConditionTrue, v1alpha1.ReasonTargetFound,
		targetSummary(t, va.Spec.ScaleTargetRef.Name))

	cost, err := va.Cost()
	if err != nil {
		va.SetCondition(mnow, v1alpha1.TypeOptimizationReady, metav1.ConditionFalse, v1alpha1.ReasonInvalidConfiguration, err.Error())
		va.Status.ObservedGeneration = va.Generation
		c.Recorder.Eventf(va, nil, corev1.EventTypeWarning, v1alpha1.ReasonInvalidConfiguration, "Validate", "%s", err.Error())
		return nil, errors.Join(err, c.patchStatus(ctx, orig, va))
	}
	acc, accSource := v1alpha1.ResolveAccelerator(va, t.Template)
	if acc == "" {
		va.SetCondition(mnow, v1alpha1.TypeAcceleratorResolved, metav1.ConditionFalse, v1alpha1.ReasonAcceleratorUnknown, v1alpha1.AcceleratorMessage(acc, accSource))
		acc = v1alpha1.UnknownAccelerator
	} else {
		va.SetCondition(mnow, v1alpha1.TypeAcceleratorResolved, metav1.ConditionTrue, v1alpha1.ReasonAcceleratorFound, v1alpha1.AcceleratorMessage(acc, accSource))
	}
	st := saturation.VariantState{
		Name:        va.Name,
		Namespace:   va.Namespace,
		ModelID:     va.Spec.ModelID,
		Accelerator: acc,
		TargetName:  va.Spec.ScaleTargetRef.Name,
		Cost:        cost,
		Current:     t.Current,
		Ready:       t.Ready,
		Stuck:       t.Stuck,
		Pods:        t.ReadyPods,
		Startup:     t.Startup,
		Created:     va.CreationTimestamp.Time,
	}
	if !va.Status.DesiredOptimizedAlloc.LastRunTime.IsZero() {
		st.Desired = int(va.Status.DesiredOptimizedAlloc.NumReplicas)
	}
	if va.Spec.MinReplicas != nil {
		st.Min = int(*va.Spec.MinReplicas)
	}
	if va.Spec.MaxReplicas != nil {
		st.Max = int(*va.Spec.MaxReplicas)
	}
	// The condition above is written together with the decision in apply.
	return &variant{va: va, orig: orig, target: t, state: st}, nil
}

// apply acts on one decision: actuation, gauges, external-metrics store,
// events and status.
func (c *Controller) apply(ctx context.Context, now time.Time, v *variant, d planner.Decision) error {
	va := v.va
	// v.orig is the object as read, before prepare set TargetResolved, so the
	// patch carries every change of this cycle.
	orig := v.orig
	mnow := metav1.NewTime(now)
	log := c.Log.WithValues("namespace", va.Namespace, "variant", va.Name, "model", va.Spec.ModelID)

	prevDesired := -1
	if !va.Status.DesiredOptimizedAlloc.LastRunTime.IsZero() {
		prevDesired = int(va.Status.DesiredOptimizedAlloc.NumReplicas)
	}
	applied, actErr := c.Actuator.Actuate(ctx, va.Namespace, va.Spec.ScaleTargetRef, int32(d.Desired))
	if actErr != nil {
		log.Error(actErr, "actuation failed", "desired", d.Desired)
		c.Recorder.Eventf(va, nil, corev1.EventTypeWarning, "ActuationFailed", "Scale", "applying %d replicas: %v", d.Desired, actErr)
	}

	mv := metrics.Variant{Name: va.Name, Namespace: va.Namespace, Accelerator: d.Accelerator}
	if prevAcc := orig.Status.DesiredOptimizedAlloc.Accelerator; prevAcc != "" && prevAcc != d.Accelerator {
		// The accelerator label changed: drop the series carrying the old one.
		c.Metrics.Forget(va.Name, va.Namespace)
	}
	c.Metrics.Set(mv, d.Current, d.Desired)
	from := prevDesired
	if from < 0 {
		from = d.Current
	}
	if d.Desired != from {
		c.Metrics.Scaled(mv, from, d.Desired, d.Analyzer)
		reason := "ScaledUp"
		if d.Desired < from {
			reason = "ScaledDown"
		}
		c.Recorder.Eventf(va, nil, corev1.EventTypeNormal, reason, "Scale", "desired replicas %d -> %d (current %d, %s): %s", from, d.Desired, d.Current, d.Analyzer, d.Reason)
		log.Info("scaled", "from", from, "to", d.Desired, "current", d.Current, "analyzer", d.Analyzer, "reason", d.Reason)
	}
	if c.Store != nil {
		c.Store.Set(metricsapi.Entry{Variant: va.Name, Namespace: va.Namespace, Accelerator: d.Accelerator, ModelID: va.Spec.ModelID, Desired: int32(d.Desired), Time: now})
	}

	va.Status.DesiredOptimizedAlloc = v1alpha1.OptimizedAlloc{
		LastRunTime: mnow,
		Accelerator: d.Accelerator,
		NumReplicas: int32(d.Desired),
		Reason:      truncate(d.Reason, 1024),
		Analyzer:    d.Analyzer,
	}
	va.Status.CurrentAlloc = v1alpha1.Allocation{Accelerator: d.Accelerator, NumReplicas: int32(d.Current), ReadyReplicas: int32(v.target.Ready)}
	va.Status.Actuation.Applied = applied && actErr == nil
	if d.MetricsAvailable {
		va.SetCondition(mnow, v1alpha1.TypeMetricsAvailable, metav1.ConditionTrue, nonEmpty(d.MetricsReason, v1alpha1.ReasonMetricsFound), nonEmpty(d.MetricsMessage, "metrics of every ready pod are fresh"))
		va.SetCondition(mnow, v1alpha1.TypeOptimizationReady, metav1.ConditionTrue, v1alpha1.ReasonOptimizationSucceeded, truncate(d.Reason, 4096))
	} else {
		msg := nonEmpty(d.MetricsMessage, "metrics unavailable")
		// One Warning Event when metrics become unavailable, not one per cycle.
		wasAvailable := true
		if prev := orig.GetCondition(v1alpha1.TypeMetricsAvailable); prev != nil && prev.Status == metav1.ConditionFalse {
			wasAvailable = false
		}
		va.SetCondition(mnow, v1alpha1.TypeMetricsAvailable, metav1.ConditionFalse, nonEmpty(d.MetricsReason, v1alpha1.ReasonMetricsMissing), truncate(msg, 4096))
		va.SetCondition(mnow, v1alpha1.TypeOptimizationReady, metav1.ConditionFalse, v1alpha1.ReasonMetricsUnavailable, truncate(fmt.Sprintf("holding %d replicas: %s", d.Desired, msg), 4096))
		if wasAvailable {
			c.Recorder.Eventf(va, nil, corev1.EventTypeWarning, v1alpha1.ReasonMetricsUnavailable, "Hold", "holding %d replicas: %s", d.Desired, truncate(msg, 512))
		}
		log.Info("metrics unavailable, holding", "replicas", d.Desired, "reason", d.MetricsReason, "message", msg)
	}
	va.Status.ObservedGeneration = va.Generation
	return errors.Join(actErr, c.patchStatus(ctx, orig, va))
}

func (c *Controller) forgetDeleted(seen map[types.NamespacedName]struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.known {
		if _, ok := seen[k]; !ok {
			c.Metrics.Forget(k.Name, k.Namespace)
			if c.Store != nil {
				c.Store.Delete(k.Namespace, k.Name)
			}
			delete(c.known, k)
		}
	}
	for k := range seen {
		c.known[k] = struct{}{}
	}
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
