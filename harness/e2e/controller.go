package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/cluster"
	"github.com/saturn-autoscaler/saturn/harness/hpa"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// ControllerRelease is the Helm release of the controller.
const ControllerRelease = "saturn"

// ControllerValues are charts/saturn values installing only the controller with the
// blueprint's configuration, reaching Prometheus over HTTPS with the CA. The default
// entry of wva-saturation-scaling-config is the blueprint's, key for key, so a setting
// the twin's planner runs with cannot be left out here.
func (e *Env) ControllerValues(c blueprint.Controller) (map[string]any, error) {
	caCert := ""
	if e.TLS != nil {
		caCert = string(e.TLS.CACert)
	}
	raw, err := json.Marshal(c.Config.Saturation.Default)
	if err != nil {
		return nil, fmt.Errorf("rendering the controller's saturation defaults: %w", err)
	}
	var thresholds map[string]any
	if err := json.Unmarshal(raw, &thresholds); err != nil {
		return nil, fmt.Errorf("rendering the controller's saturation defaults: %w", err)
	}
	wva := map[string]any{
		"replicaCount":      1,
		"image":             map[string]any{"repository": ControllerImage, "tag": e.ImageTag},
		"imagePullPolicy":   "Never",
		"reconcileInterval": c.Interval.String(),
		"actuation":         c.ControllerFlagActuation(),
		"leaderElection":    false,
		"scaleToZero":       c.ScaleToZero,
		"metricsAPI":        map[string]any{"enabled": true},
		"prometheus": map[string]any{
			"baseURL":             e.Prometheus.URL(),
			"monitoringNamespace": e.Prometheus.Namespace,
			"caCert":              caCert,
		},
		"capacityScaling": map[string]any{"default": thresholds},
	}
	if r := c.Config.ScaleToZero.Default.RetentionPeriod; r != nil {
		wva["scaleToZeroRetentionPeriod"] = r.String()
	}
	return map[string]any{
		"controller": map[string]any{"enabled": true},
		"wva":        wva,
		"va":         map[string]any{"enabled": false},
		"hpa":        map[string]any{"enabled": false},
	}, nil
}

// VariantValues are charts/saturn values installing only variant v's VariantAutoscaling
// and, in hpa mode, its HPA reading wva_desired_replicas from the controller.
func (e *Env) VariantValues(sc *scenario.Scenario, v blueprint.Variant) map[string]any {
	hpaValues := map[string]any{"enabled": v.HPA != nil, "minReplicas": v.Min, "maxReplicas": v.Max}
	if v.HPA != nil {
		if b := hpaBehavior(v.HPA); len(b) > 0 {
			hpaValues["behavior"] = b
		}
	}
	return map[string]any{
		"controller": map[string]any{"enabled": false},
		"llmd": map[string]any{
			"namespace": e.Namespace, "modelID": sc.Spec.Model.Name, "scaleTargetName": DeploymentName(sc, v.Name),
		},
		"va": map[string]any{
			"enabled": true, "accelerator": v.Accelerator, "variantCost": strconv.FormatFloat(v.Cost, 'f', -1, 64),
			"minReplicas": v.Min, "maxReplicas": v.Max,
		},
		"hpa": hpaValues,
	}
}

// hpaBehavior renders the HPA model's rules as autoscaling/v2 behavior values.
func hpaBehavior(h *hpa.Config) map[string]any {
	out := map[string]any{}
	rules := func(r *hpa.Rules) map[string]any {
		m := map[string]any{}
		if r.StabilizationWindow != nil {
			m["stabilizationWindowSeconds"] = int32(r.StabilizationWindow.Seconds())
		}
		if r.Select != "" {
			m["selectPolicy"] = string(r.Select)
		}
		if len(r.Policies) > 0 {
			var ps []map[string]any
			for _, p := range r.Policies {
				ps = append(ps, map[string]any{"type": string(p.Type), "value": p.Value, "periodSeconds": int32(p.Period.Seconds())})
			}
			m["policies"] = ps
		}
		return m
	}
	if h.ScaleUp != nil {
		out["scaleUp"] = rules(h.ScaleUp)
	}
	if h.ScaleDown != nil {
		out["scaleDown"] = rules(h.ScaleDown)
	}
	return out
}

// VariantRelease is the Helm release of variant v.
func VariantRelease(variant string) string { return "va-" + variant }

// InstallController installs or upgrades the controller for the blueprint's settings
// and waits for it.
func (e *Env) InstallController(ctx context.Context, bp *blueprint.Blueprint) error {
	values, err := e.ControllerValues(bp.Controller)
	if err != nil {
		return err
	}
	err = e.Helm.UpgradeInstall(ctx, cluster.Release{
		Name: ControllerRelease, Chart: e.chart("saturn"), Namespace: e.ControllerNamespace,
		Values: values, Wait: true, Timeout: 3 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("installing the controller: %w", err)
	}
	return nil
}

// DeployVariants applies the model's Service, then per variant installs charts/saturn-sim
// (its Deployment) and charts/saturn (its VariantAutoscaling and HPA) from the blueprint,
// waits for the initial replicas, and deploys the router in front of them.
func (e *Env) DeployVariants(ctx context.Context, sc *scenario.Scenario, bp *blueprint.Blueprint) error {
	if err := cluster.Apply(ctx, e.Client, cluster.NamespaceObject(e.Namespace), ServiceObject(sc, e.Namespace)); err != nil {
		return err
	}
	for _, v := range bp.Variants {
		err := e.Helm.UpgradeInstall(ctx, cluster.Release{
			Name: SimulatorRelease(v.Name), Chart: e.chart("saturn-sim"), Namespace: e.Namespace,
			Values: SimulatorValues(sc, bp, v, SimulatorImage, e.tag(), v.Initial),
		})
		if err != nil {
			return fmt.Errorf("deploying variant %s's simulator: %w", v.Name, err)
		}
		err = e.Helm.UpgradeInstall(ctx, cluster.Release{
			Name: VariantRelease(v.Name), Chart: e.chart("saturn"), Namespace: e.Namespace, Values: e.VariantValues(sc, v),
		})
		if err != nil {
			return fmt.Errorf("installing variant %s: %w", v.Name, err)
		}
	}
	for _, v := range bp.Variants {
		if err := cluster.WaitDeploymentReady(ctx, e.Client, e.Namespace, DeploymentName(sc, v.Name), 0, 3*time.Minute); err != nil {
			return err
		}
	}
	return e.DeployRouter(ctx, sc, bp.Router)
}

// Variants maps the blueprint's variants to their cluster objects for the sampler.
func (e *Env) Variants(sc *scenario.Scenario, bp *blueprint.Blueprint) []cluster.Variant {
	var out []cluster.Variant
	for _, v := range bp.Variants {
		name := DeploymentName(sc, v.Name)
		cv := cluster.Variant{Name: v.Name, Namespace: e.Namespace, Deployment: name, VariantAutoscaling: name}
		if v.HPA != nil {
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
		if err := e.Helm.Uninstall(ctx, VariantRelease(v.Name), e.Namespace); err != nil {
			return err
		}
		if err := e.Helm.Uninstall(ctx, SimulatorRelease(v.Name), e.Namespace); err != nil {
			return err
		}
	}
	return nil
}
