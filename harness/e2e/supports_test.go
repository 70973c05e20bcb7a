package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// A scenario setting the Kind driver cannot honour is refused, naming it, never dropped.
func TestSupportsRefusesWhatKindCannotHonour(t *testing.T) {
	require.NoError(t, Supports(loadScenario(t, twoVariants)), "hpa mode with behavior: honoured")

	sc := loadScenario(t, twoVariants)
	sc.Spec.Autoscaler.Actuation.Mode = scenario.ActuationKEDA
	tol := 0.05
	sc.Spec.Autoscaler.Actuation.HPA.Tolerance = &tol
	sc.Spec.Autoscaler.Actuation.HPA.SyncPeriod = 5 * time.Second
	sc.Spec.Autoscaler.Actuation.HPA.Behavior.ScaleDown.Tolerance = &tol
	sc.Spec.Faults = []scenario.Fault{{ScrapeDelay: &scenario.ScrapeDelay{Delay: time.Minute}},
		{ControllerRestart: &scenario.ControllerRestart{At: time.Minute}},
		{PrometheusOutage: &scenario.PrometheusOutage{Start: time.Minute, Duration: time.Minute}}}
	err := Supports(sc)
	require.Error(t, err)
	for _, field := range []string{
		"scenario builders cannot run on Kind as written",
		"spec.autoscaler.actuation.mode: keda: the Kind cluster runs no KEDA operator",
		"spec.autoscaler.actuation.hpa.syncPeriod: 5s",
		"spec.autoscaler.actuation.hpa.tolerance: 0.05",
		"spec.autoscaler.actuation.hpa.behavior.scaleDown.tolerance: needs the HPAConfigurableTolerance feature gate",
		"spec.faults[0].scrapeDelay: the Kind driver injects only controllerRestart, killReplica and prometheusOutage",
		"run this scenario in the twin (saturn run)",
	} {
		assert.Contains(t, err.Error(), field)
	}
	assert.NotContains(t, err.Error(), "scaleUp.tolerance")
	assert.NotContains(t, err.Error(), "spec.faults[1]", "a controller restart is injected on Kind")
	assert.NotContains(t, err.Error(), "spec.faults[2]", "a Prometheus outage is injected on Kind")
	assert.Equal(t, err.Error(), Supports(sc).Error(), "the same scenario, the same message")
}
