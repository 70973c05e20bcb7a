package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/cluster"
	"github.com/saturn-autoscaler/saturn/harness/load"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// The faults the Kind driver injects, at their offsets from the instant the load Job's
// replay starts (the start line of its log), as the twin injects them on its clock:
//
//   - controllerRestart: the controller's Deployment is scaled to 0 (its pod stops; the
//     HPA finds no external metric and holds) and back to its one replica after the
//     downtime: a new process, with no memory of the old one's cycles.
//   - killReplica: the newest ready pods of the variant's Deployment are deleted at once
//     (no grace period: their in-flight requests fail); the Deployment replaces them.
//   - prometheusOutage: Prometheus' Deployment is scaled to 0 and back to its one replica
//     after the duration: while it is down nothing is scraped and every query fails, as in
//     the twin. One difference stays: its TSDB is an emptyDir, which starts empty when it
//     comes back, where the twin keeps what was scraped before the outage; a window
//     reaching back past its return (the 5-minute mean prompt and output lengths, the
//     history a controller started then would read) holds fewer samples on Kind.

// ControllerDeployment is the controller's Deployment: the chart's full name for a release
// whose name contains "saturn" is the release name.
const ControllerDeployment = ControllerRelease

// controllerReplicas is the controller's replica count on Kind (ControllerValues), and
// prometheusReplicas Prometheus' (cluster.InstallPrometheus).
const (
	controllerReplicas = 1
	prometheusReplicas = 1
)

// faultAction is one change a fault makes to the cluster at an offset from the start.
type faultAction struct {
	at   time.Duration
	what string
	do   func(ctx context.Context) error
}

// faultActions lists the cluster changes of the scenario's faults, in time order (the
// scenario's order between equal times). Supports refuses the faults it cannot inject.
func (e *Env) faultActions(sc *scenario.Scenario, bp *blueprint.Blueprint) []faultAction {
	var out []faultAction
	for i, f := range sc.Spec.Faults {
		switch {
		case f.ControllerRestart != nil:
			r := f.ControllerRestart
			out = append(out, e.downFor(fmt.Sprintf("spec.faults[%d].controllerRestart: controller", i),
				e.ControllerNamespace, ControllerDeployment, controllerReplicas, r.At, r.Downtime)...)
		case f.PrometheusOutage != nil:
			o := f.PrometheusOutage
			out = append(out, e.downFor(fmt.Sprintf("spec.faults[%d].prometheusOutage: Prometheus", i),
				e.Prometheus.Namespace, e.Prometheus.Name, prometheusReplicas, o.Start, o.Duration)...)
		case f.KillReplica != nil:
			k := f.KillReplica
			deploy := ""
			for _, v := range e.Variants(sc, bp) {
				if v.Name == k.Variant {
					deploy = v.Deployment
				}
			}
			out = append(out, faultAction{k.At, fmt.Sprintf("spec.faults[%d].killReplica: %d of %s", i, k.Count, k.Variant), func(ctx context.Context) error {
				return killNewest(ctx, e.Client, e.Namespace, deploy, k.Count)
			}})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].at < out[b].at })
	return out
}

// downFor scales a Deployment to 0 at an offset and back to its replicas d later: the
// actions say "<what> down" and "<what> up".
func (e *Env) downFor(what, ns, name string, replicas int32, at, d time.Duration) []faultAction {
	scale := func(n int32) func(context.Context) error {
		return func(ctx context.Context) error { return cluster.ScaleDeployment(ctx, e.Client, ns, name, n) }
	}
	return []faultAction{{at, what + " down", scale(0)}, {at + d, what + " up", scale(replicas)}}
}

// runFaults waits for each action's time after start on clk and runs it; it stops at the
// first failure (a fault not injected makes the run incomparable with the twin's) or when
// ctx ends. It logs each action.
func (e *Env) runFaults(ctx context.Context, clk clock.Clock, start time.Time, actions []faultAction) error {
	for _, a := range actions {
		if wait := start.Add(a.at).Sub(clk.Now()); wait > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s at %s not injected: %w", a.what, a.at, ctx.Err())
			case <-clk.After(wait):
			}
		}
		if err := a.do(ctx); err != nil {
			return fmt.Errorf("%s at %s: %w", a.what, a.at, err)
		}
		e.Log.Info("fault injected", "fault", a.what, "at", a.at, "late", clk.Since(start.Add(a.at)).Round(time.Millisecond))
	}
	return nil
}

// killNewest deletes the count newest ready pods of a Deployment at once (grace period 0).
func killNewest(ctx context.Context, c client.Client, ns, deployment string, count int) error {
	var d appsv1.Deployment
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: deployment}, &d); err != nil {
		return fmt.Errorf("getting deployment %s/%s: %w", ns, deployment, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return fmt.Errorf("deployment %s/%s: selector: %w", ns, deployment, err)
	}
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return fmt.Errorf("listing the pods of deployment %s/%s: %w", ns, deployment, err)
	}
	ready := slices.DeleteFunc(pods.Items, func(p corev1.Pod) bool { return cluster.ReplicaState(&p) != record.ReplicaReady })
	sort.Slice(ready, func(i, j int) bool {
		if !ready[i].CreationTimestamp.Equal(&ready[j].CreationTimestamp) {
			return ready[j].CreationTimestamp.Before(&ready[i].CreationTimestamp)
		}
		return ready[i].Name > ready[j].Name
	})
	if len(ready) == 0 {
		return fmt.Errorf("deployment %s/%s has no ready pod to kill", ns, deployment)
	}
	var errs []error
	for _, p := range ready[:min(count, len(ready))] {
		if err := c.Delete(ctx, &p, client.GracePeriodSeconds(0)); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("deleting pod %s/%s: %w", ns, p.Name, err))
		}
	}
	return errors.Join(errs...)
}

// replayStart follows the log of the load Job's pod created at or after since until its
// replay's start line and returns the instant it announces.
func (e *Env) replayStart(ctx context.Context, job string, since time.Time) (time.Time, error) {
	var start time.Time
	err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		var pods corev1.PodList
		if err := e.Client.List(ctx, &pods, client.InNamespace(e.Namespace), client.MatchingLabels{"job-name": job}); err != nil {
			return false, nil //nolint:nilerr // polling: a failed read is retried
		}
		for _, p := range pods.Items {
			if p.CreationTimestamp.Time.Before(since.Truncate(time.Second)) || p.Status.Phase == corev1.PodPending {
				continue
			}
			stream, err := e.Clientset.CoreV1().Pods(e.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Follow: true}).Stream(ctx)
			if err != nil {
				return false, nil //nolint:nilerr // the container may not be running yet: retried
			}
			defer func() { _ = stream.Close() }()
			sc := bufio.NewScanner(stream)
			sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
			for sc.Scan() {
				if t, ok := load.ParseStart(sc.Bytes()); ok {
					start = t
					return true, nil
				}
			}
			return false, nil // the log ended before the start line: look again
		}
		return false, nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("waiting for the start of load job %s: %w", job, err)
	}
	return start, nil
}
