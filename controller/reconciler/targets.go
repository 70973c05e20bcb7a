package reconciler

import (
	"context"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/actuation"
	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
)

// target is what a cycle knows about one VA's scale target.
type target struct {
	Kind      string
	Current   int // spec.replicas
	Ready     int
	ReadyPods []string // nil when the pods could not be listed
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
		t := target{Kind: "Deployment", Current: 1, Ready: int(d.Status.ReadyReplicas)}
		if d.Spec.Replicas != nil {
			t.Current = int(*d.Spec.Replicas)
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return t, fmt.Errorf("Deployment %s/%s has an invalid selector: %w", va.Namespace, ref.Name, err)
		}
		t.ReadyPods, err = c.readyPods(ctx, va.Namespace, sel)
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
		t.ReadyPods, err = c.readyPods(ctx, va.Namespace, sel)
		return t, err
	}
	return t, nil
}

// readyPods returns the names of the running, ready, not-terminating pods of
// namespace matching sel. Pods are listed once per namespace per cycle (see
// podCache), not once per VA.
func (c *Controller) readyPods(ctx context.Context, namespace string, sel labels.Selector) ([]string, error) {
	ns, err := c.pods.list(ctx, c.Client, namespace)
	if err != nil {
		return nil, err
	}
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
	for _, p := range candidates {
		if sel.Matches(labels.Set(p.labels)) {
			out = append(out, p.name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// readyPod is what a cycle keeps of a ready pod.
type readyPod struct {
	name   string
	labels map[string]string
}

// nsPods are one namespace's ready pods, indexed by "key=value" label.
type nsPods struct {
	all     []readyPod
	byLabel map[string][]readyPod
}

// podCache holds one cycle's ready pods per namespace.
type podCache struct {
	byNS map[string]*nsPods
}

func (pc *podCache) reset() { pc.byNS = map[string]*nsPods{} }

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
			continue
		}
		p := readyPod{name: list.Items[i].Name, labels: list.Items[i].Labels}
		ns.all = append(ns.all, p)
		for k, v := range p.labels {
			ns.byLabel[k+"="+v] = append(ns.byLabel[k+"="+v], p)
		}
	}
	pc.byNS[namespace] = ns
	return ns, nil
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
