package e2e

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/cluster"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// ControllerRelease is the Helm release of the controller.
const ControllerRelease = "saturn"

// ControllerValues are charts/saturn values installing only the controller, configured
// from the scenario's autoscaler section, reaching Prometheus over HTTPS with the CA.
func (e *Env) ControllerValues(sc *scenario.Scenario) map[string]any {
	a := sc.Spec.Autoscaler
	actuation := "metrics"
	if a.Actuation.Mode == scenario.ActuationDirect {
		actuation = "direct"
	}
	caCert := ""
	if e.TLS != nil {
		caCert = string(e.TLS.CACert)
	}
	thresholds := map[string]any{}
	// The scenario's analyzer, as the twin runs it (and as the record says).
	if a.Analyzer != "" {
		thresholds["analyzer"] = a.Analyzer
	}
	put := func(k string, v *float64) {
		if v != nil {
			thresholds[k] = *v
		}
	}
	put("kvCacheThreshold", a.Thresholds.KVCacheThreshold)
	put("queueLengthThreshold", a.Thresholds.QueueLengthThreshold)
	put("kvSpareTrigger", a.Thresholds.KVSpareTrigger)
	put("queueSpareTrigger", a.Thresholds.QueueSpareTrigger)
	// The scenario's ITL objective, as in the twin (controllerConfig).
	if slo := sc.Spec.SLO; slo != nil && slo.ITL > 0 {
		thresholds["sloITL"] = slo.ITL.String()
	}
	// The controller's own stabilization windows live in the same ConfigMap entry.
	if w := a.Stabilization.ScaleDown; w != nil {
		thresholds["scaleDownStabilizationWindow"] = w.String()
	}
	if w := a.Stabilization.ScaleUp; w != nil {
		thresholds["scaleUpStabilizationWindow"] = w.String()
	}
	wva := map[string]any{
		"replicaCount":      1,
		"image":             map[string]any{"repository": ControllerImage, "tag": e.ImageTag},
		"imagePullPolicy":   "Never",
		"reconcileInterval": durationOr(a.Interval, 30*time.Second).String(),
		"actuation":         actuation,
		"leaderElection":    false,
		"scaleToZero":       a.ScaleToZero.Enabled,
		"metricsAPI":        map[string]any{"enabled": true},
		"prometheus": map[string]any{
			"baseURL":             e.Prometheus.URL(),
			"monitoringNamespace": e.Prometheus.Namespace,
			"caCert":              caCert,
		},
	}
	if a.ScaleToZero.RetentionPeriod > 0 {
		wva["scaleToZeroRetentionPeriod"] = a.ScaleToZero.RetentionPeriod.String()
	}
	if len(thresholds) > 0 {
		wva["capacityScaling"] = map[string]any{"default": thresholds}
	}
	return map[string]any{
		"controller": map[string]any{"enabled": true},
		"wva":        wva,
		"va":         map[string]any{"enabled": false},
		"hpa":        map[string]any{"enabled": false},
	}
}

// VariantValues are charts/saturn values installing only variant v's VariantAutoscaling
// and, in hpa mode, its HPA reading wva_desired_replicas from the controller.
func (e *Env) VariantValues(sc *scenario.Scenario, v scenario.Variant) map[string]any {
	minR, maxR := 1, v.MaxReplicas
	if v.MinReplicas != nil {
		minR = *v.MinReplicas
	}
	hpa := map[string]any{"enabled": sc.Spec.Autoscaler.Actuation.Mode == scenario.ActuationHPA, "minReplicas": minR, "maxReplicas": maxR}
	if b := hpaBehavior(sc.Spec.Autoscaler.Actuation.HPA.Behavior); len(b) > 0 {
		hpa["behavior"] = b
	}
	return map[string]any{
		"controller": map[string]any{"enabled": false},
		"llmd": map[string]any{
			"namespace": e.Namespace, "modelID": sc.Spec.Model.Name, "scaleTargetName": DeploymentName(sc, v),
		},
		"va": map[string]any{
			"enabled": true, "accelerator": v.Accelerator, "variantCost": strconv.FormatFloat(v.Cost, 'f', -1, 64),
			"minReplicas": minR, "maxReplicas": maxR,
		},
		"hpa": hpa,
	}
}

func hpaBehavior(b scenario.HPABehavior) map[string]any {
	out := map[string]any{}
	rules := func(r *scenario.HPAScalingRules) map[string]any {
		m := map[string]any{}
		if r.StabilizationWindowSeconds != nil {
			m["stabilizationWindowSeconds"] = *r.StabilizationWindowSeconds
		}
		if r.SelectPolicy != "" {
			m["selectPolicy"] = r.SelectPolicy
		}
		if len(r.Policies) > 0 {
			var ps []map[string]any
			for _, p := range r.Policies {
				ps = append(ps, map[string]any{"type": p.Type, "value": p.Value, "periodSeconds": p.PeriodSeconds})
			}
			m["policies"] = ps
		}
		return m
	}
	if b.ScaleUp != nil {
		out["scaleUp"] = rules(b.ScaleUp)
	}
	if b.ScaleDown != nil {
		out["scaleDown"] = rules(b.ScaleDown)
	}
	return out
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// VariantRelease is the Helm release of variant v.
func VariantRelease(v scenario.Variant) string { return "va-" + v.Name }

// InstallController installs or upgrades the controller for the scenario's settings and
// waits for it.
func (e *Env) InstallController(ctx context.Context, sc *scenario.Scenario) error {
	err := e.Helm.UpgradeInstall(ctx, cluster.Release{
		Name: ControllerRelease, Chart: e.chart("saturn"), Namespace: e.ControllerNamespace,
		Values: e.ControllerValues(sc), Wait: true, Timeout: 3 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("installing the controller: %w", err)
	}
	return nil
}

// DeployVariants applies the simulator Deployments and Service, then each variant's
// VariantAutoscaling (and HPA) release, waits for the initial replicas, and
// deploys the router in front of them.
func (e *Env) DeployVariants(ctx context.Context, sc *scenario.Scenario) error {
	if err := cluster.Apply(ctx, e.Client, cluster.NamespaceObject(e.Namespace), ServiceObject(sc, e.Namespace)); err != nil {
		return err
	}
	for _, v := range sc.Spec.Variants {
		initial := int32(1)
		if v.InitialReplicas != nil {
			initial = int32(*v.InitialReplicas)
		}
		if err := cluster.Apply(ctx, e.Client, SimulatorObjects(sc, v, e.Namespace, e.image(SimulatorImage), initial)); err != nil {
			return err
		}
		err := e.Helm.UpgradeInstall(ctx, cluster.Release{
			Name: VariantRelease(v), Chart: e.chart("saturn"), Namespace: e.Namespace, Values: e.VariantValues(sc, v),
		})
		if err != nil {
			return fmt.Errorf("installing variant %s: %w", v.Name, err)
		}
	}
	for _, v := range sc.Spec.Variants {
		if err := cluster.WaitDeploymentReady(ctx, e.Client, e.Namespace, DeploymentName(sc, v), 0, 3*time.Minute); err != nil {
			return err
		}
	}
	return e.DeployRouter(ctx, sc)
}

// Variants maps the scenario's variants to their cluster objects for the sampler.
func (e *Env) Variants(sc *scenario.Scenario) []cluster.Variant {
	var out []cluster.Variant
	for _, v := range sc.Spec.Variants {
		name := DeploymentName(sc, v)
		cv := cluster.Variant{Name: v.Name, Namespace: e.Namespace, Deployment: name, VariantAutoscaling: name}
		if sc.Spec.Autoscaler.Actuation.Mode == scenario.ActuationHPA {
			cv.HPA = name + "-hpa"
		}
		out = append(out, cv)
	}
	return out
}

// Teardown removes what DeployVariants created for the scenario.
func (e *Env) Teardown(ctx context.Context, sc *scenario.Scenario) error {
	if err := e.deleteRouter(ctx, sc); err != nil {
		return err
	}
	for _, v := range sc.Spec.Variants {
		if err := e.Helm.Uninstall(ctx, VariantRelease(v), e.Namespace); err != nil {
			return err
		}
		d := SimulatorObjects(sc, v, e.Namespace, "", 0)
		if err := e.Client.Delete(ctx, d); client404(err) != nil {
			return fmt.Errorf("deleting %s: %w", d.Name, err)
		}
	}
	return nil
}
