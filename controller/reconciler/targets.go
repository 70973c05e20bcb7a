package reconciler

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/actuation"
	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// target is what a cycle knows about one VA's scale target.
type target struct {
	Kind      string
	Current   int // spec.replicas
	Ready     int
	ReadyPods []string // nil when the pods could not be listed
	// Startup is the median start-up (creation to readiness) of the ready pods that never
	// restarted; 0 = none.
	Startup time.Duration
	// Stuck counts the not-ready pods that will not become ready on their own (see
	// stuckReason), at most Current - Ready; StuckPods names them with the reason.
	Stuck     int
	StuckPods []string
	// Template is a Deployment target's pod template (nil for other kinds), where the
	// accelerator may be named (v1alpha1.ResolveAccelerator).
	Template *corev1.PodTemplateSpec
}

// targetSummary is the TargetResolved message.
func targetSummary(t target, name string) string {
	msg := fmt.Sprintf("%s %s: %d replicas, %d ready", t.Kind, name, t.Current, t.Ready)
	if t.Stuck > 0 {
		msg += fmt.Sprintf(", %d stuck (%s)", t.Stuck, strings.Join(t.StuckPods, "; "))
	}
	return msg
}

// errTargetNotFound marks a scaleTargetRef pointing at nothing.
type errTargetNotFound struct{ msg string }

func (e errTargetNotFound) Error() string { return e.msg }

// resolveTarget reads the VA's scale target and lists its ready pods.
func (c *Controller) resolveTarget(ctx context.Context, va *v1alpha1.VariantAutoscaling) (target, error) {
	ref := va.Spec.ScaleTargetRef
	gvk := actuation.TargetGVK(ref)
	if gvk.Group == "apps" && gvk.Kind == "Deployment" {
		var d appsv1.Deployment
		err := c.Client.Get(ctx, client.ObjectKey{Namespace: va.Namespace, Name: ref.Name}, &d)
		if apierrors.IsNotFound(err) {
			return target{}, errTargetNotFound{fmt.Sprintf("Deployment %s/%s not found", va.Namespace, ref.Name)}
		}
		if err != nil {
			return target{}, fmt.Errorf("reading Deployment %s/%s: %w", va.Namespace, ref.Name, err)
		}
		t := target{Kind: "Deployment", Current: 1, Ready: int(d.Status.ReadyReplicas), Template: &d.Spec.Template}
		if d.Spec.Replicas != nil {
			t.Current = int(*d.Spec.Replicas)
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return t, fmt.Errorf("Deployment %s/%s has an invalid selector: %w", va.Namespace, ref.Name, err)
		}
		t.ReadyPods, t.StuckPods, t.Startup, err = c.targetPods(ctx, va.Namespace, sel)
		t.countStuck()
		return t, err
	}
	s, err := actuation.GetScale(ctx, c.Client, va.Namespace, ref)
	if apierrors.IsNotFound(err) {
		return target{}, errTargetNotFound{fmt.Sprintf("%s %s/%s not found", gvk.Kind, va.Namespace, ref.Name)}
	}
	if err != nil {
		return target{}, err
	}
	t := target{Kind: gvk.Kind, Current: int(s.SpecReplicas), Ready: int(s.StatusReplicas)}
	if s.Selector != "" {
		sel, err := labels.Parse(s.Selector)
		if err != nil {
			return t, fmt.Errorf("%s %s/%s has an invalid selector %q: %w", gvk.Kind, va.Namespace, ref.Name, s.Selector, err)
		}
		t.ReadyPods, t.StuckPods, t.Startup, err = c.targetPods(ctx, va.Namespace, sel)
		t.countStuck()
		return t, err
	}
	return t, nil
}

// countStuck bounds the stuck pods by the pods the target is missing: a stuck pod the
// workload controller already replaced is not missing supply.
func (t *target) countStuck() {
	t.Stuck = min(len(t.StuckPods), max(t.Current-t.Ready, 0))
}

// targetPods returns the names of the running, ready, not-terminating pods of
// namespace matching sel, the stuck ones as "name: reason", and the median start-up of the
// ready ones that never restarted (0 = none). Pods are listed once per namespace per cycle
// (see podCache), not once per VA.
func (c *Controller) targetPods(ctx context.Context, namespace string, sel labels.Selector) (ready, stuck []string, startup time.Duration, err error) {
	ns, err := c.pods.list(ctx, c.Client, namespace)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, p := range ns.stuck {
		if sel.Matches(labels.Set(p.labels)) {
			stuck = append(stuck, p.name+": "+p.why)
		}
	}
	sort.Strings(stuck)
	candidates := ns.all
	// Narrow with an equality requirement through the label index, then match
	// the whole selector: O(pods of the target), not O(pods of the namespace).
	if reqs, ok := sel.Requirements(); ok {
		for _, r := range reqs {
			if (r.Operator() == selection.Equals || r.Operator() == selection.DoubleEquals || r.Operator() == selection.In) && r.Values().Len() == 1 {
				candidates = ns.byLabel[r.Key()+"="+r.Values().List()[0]]
				break
			}
		}
	}
	out := []string{}
	var startups []time.Duration
	for _, p := range candidates {
		if sel.Matches(labels.Set(p.labels)) {
			out = append(out, p.name)
			startups = append(startups, p.startup)
		}
	}
	sort.Strings(out)
	return out, stuck, saturation.MedianStartup(startups), nil
}

// readyPod is what a cycle keeps of a ready (or stuck) pod.
type readyPod struct {
	name   string
	labels map[string]string
	why    string // why a stuck pod is stuck
	// startup is a ready pod's creation to readiness (PodStartup); 0 = unknown.
	startup time.Duration
}

// nsPods are one namespace's ready pods, indexed by "key=value" label, and its stuck ones.
type nsPods struct {
	all     []readyPod
	byLabel map[string][]readyPod
	stuck   []readyPod
}

// podCache holds one cycle's ready pods per namespace.
type podCache struct {
	byNS       map[string]*nsPods
	now        time.Time
	stuckAfter time.Duration
}

func (pc *podCache) reset(now time.Time, stuckAfter time.Duration) {
	pc.byNS, pc.now, pc.stuckAfter = map[string]*nsPods{}, now, stuckAfter
}

func (pc *podCache) list(ctx context.Context, r client.Reader, namespace string) (*nsPods, error) {
	if pods, ok := pc.byNS[namespace]; ok {
		return pods, nil
	}
	var list corev1.PodList
	if err := r.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing pods in %s: %w", namespace, err)
	}
	ns := &nsPods{byLabel: map[string][]readyPod{}}
	for i := range list.Items {
		if !podReady(&list.Items[i]) {
			if why := stuckReason(&list.Items[i], pc.now, pc.stuckAfter); why != "" {
				ns.stuck = append(ns.stuck, readyPod{name: list.Items[i].Name, labels: list.Items[i].Labels, why: why})
			}
			continue
		}
		p := readyPod{name: list.Items[i].Name, labels: list.Items[i].Labels, startup: PodStartup(&list.Items[i])}
		ns.all = append(ns.all, p)
		for k, v := range p.labels {
			ns.byLabel[k+"="+v] = append(ns.byLabel[k+"="+v], p)
		}
	}
	pc.byNS[namespace] = ns
	return ns, nil
}

// cannotStart are container waiting reasons a pod does not recover from on its own.
var cannotStart = map[string]bool{
	"CrashLoopBackOff": true, "ImagePullBackOff": true, "ErrImagePull": true, "InvalidImageName": true,
	"CreateContainerConfigError": true, "CreateContainerError": true,
}

// stuckReason says why a not-ready, not-terminating pod will not become ready on its
// own, or "" when it may still be starting: it failed, a container cannot start, or its
// readiness (or, with no Ready condition yet, the pod itself: unschedulable, pulling,
// loading weights) has not changed for stuckAfter. A pod that was ready and failed its
// readiness probe for that long (hung, unresponsive) is stuck the same way.
func stuckReason(p *corev1.Pod, now time.Time, stuckAfter time.Duration) string {
	if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded {
		return ""
	}
	if p.Status.Phase == corev1.PodFailed {
		return "failed"
	}
	for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && cannotStart[w.Reason] {
			return fmt.Sprintf("container %s %s", cs.Name, w.Reason)
		}
	}
	since := p.CreationTimestamp.Time
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && !c.LastTransitionTime.IsZero() {
			since = c.LastTransitionTime.Time
		}
	}
	// Readiness lost while every container kept running (none restarted since): the pod
	// was ready and stopped answering its probe, an unresponsive replica, not one starting.
	if lost := lostReadiness(p); !lost.IsZero() {
		return fmt.Sprintf("unresponsive: lost readiness %v ago, containers still running", now.Sub(lost).Round(time.Second))
	}
	if since.IsZero() || now.Sub(since) < stuckAfter {
		return ""
	}
	return fmt.Sprintf("not ready for %v", now.Sub(since).Round(time.Second))
}

// PodStartup is how long a ready pod took from its creation to readiness: its Ready
// condition's last transition after its creation, when no container restarted (a restart
// makes it ready again later, for reasons other than starting). 0 when unknown.
func PodStartup(p *corev1.Pod) time.Duration {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.RestartCount > 0 {
			return 0
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && !c.LastTransitionTime.IsZero() && !p.CreationTimestamp.IsZero() {
			return max(c.LastTransitionTime.Sub(p.CreationTimestamp.Time), 0)
		}
	}
	return 0
}

func podReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// lostReadiness returns when a running pod lost its readiness while all its containers kept
// running: its Ready condition turned False after every container's current run started.
// A pod that never became ready has been not ready since before its containers started.
// Zero otherwise.
func lostReadiness(p *corev1.Pod) time.Time {
	if p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) == 0 {
		return time.Time{}
	}
	var lost time.Time
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status != corev1.ConditionTrue {
			lost = c.LastTransitionTime.Time
		}
	}
	if lost.IsZero() {
		return time.Time{}
	}
	for _, cs := range p.Status.ContainerStatuses {
		r := cs.State.Running
		if r == nil || r.StartedAt.IsZero() || !r.StartedAt.Time.Before(lost) {
			return time.Time{}
		}
	}
	return lost
}
