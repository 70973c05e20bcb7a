package e2e

import (
	"errors"
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// kindHPASyncPeriod and kindHPATolerance are the Kind cluster's HPA controller settings:
// kube-controller-manager's defaults (kind/cluster.yaml changes neither).
const (
	kindHPASyncPeriod = 15 * time.Second
	kindHPATolerance  = 0.1
)

// Supports returns nil when the Kind driver honours every setting of the scenario, and
// otherwise an error naming each setting it cannot honour and why. A setting the cluster
// run dropped would make its verdict incomparable with the twin's, so such a scenario is
// refused before anything is deployed.
func Supports(sc *scenario.Scenario) error {
	var errs []error
	refuse := func(field, why string) {
		errs = append(errs, fmt.Errorf("%s: %s; run this scenario in the twin (saturn run)", field, why))
	}
	a := sc.Spec.Autoscaler.Actuation
	if a.Mode == scenario.ActuationKEDA {
		refuse("spec.autoscaler.actuation.mode: keda", "the Kind cluster runs no KEDA operator (use hpa: its HPAScaleToZero gate is on)")
	}
	if a.HPA.SyncPeriod != 0 && a.HPA.SyncPeriod != kindHPASyncPeriod {
		refuse("spec.autoscaler.actuation.hpa.syncPeriod: "+a.HPA.SyncPeriod.String(), "the HPA sync period is a kube-controller-manager flag, 15s on the Kind cluster")
	}
	if t := a.HPA.Tolerance; t != nil && *t != kindHPATolerance {
		refuse(fmt.Sprintf("spec.autoscaler.actuation.hpa.tolerance: %g", *t), "the HPA tolerance is a kube-controller-manager flag, 0.1 on the Kind cluster")
	}
	for _, d := range []struct {
		name  string
		rules *scenario.HPAScalingRules
	}{{"scaleUp", a.HPA.Behavior.ScaleUp}, {"scaleDown", a.HPA.Behavior.ScaleDown}} {
		if d.rules != nil && d.rules.Tolerance != nil {
			refuse("spec.autoscaler.actuation.hpa.behavior."+d.name+".tolerance", "needs the HPAConfigurableTolerance feature gate (alpha in Kubernetes 1.33), off on the Kind cluster")
		}
	}
	for i, f := range sc.Spec.Faults {
		for _, k := range []struct {
			name string
			set  bool
		}{
			{"scrapeDelay", f.ScrapeDelay != nil},
			{"slowStart", f.SlowStart != nil}, {"unresponsiveReplica", f.UnresponsiveReplica != nil},
		} {
			if k.set {
				refuse(fmt.Sprintf("spec.faults[%d].%s", i, k.name), "the Kind driver injects only controllerRestart, killReplica and prometheusOutage")
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("scenario %s cannot run on Kind as written: %w", sc.Metadata.Name, errors.Join(errs...))
}
