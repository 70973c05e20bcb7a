package actuation

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
)

// Mode selects how decisions are applied.
type Mode string

// Modes accepted by --actuation.
const (
	ModeMetrics Mode = "metrics"
	ModeDirect  Mode = "direct"
)

// Modes lists the accepted modes, for flag help and errors.
var Modes = []Mode{ModeMetrics, ModeDirect}

// ParseMode parses the --actuation flag value.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if strings.EqualFold(s, string(m)) {
			return m, nil
		}
	}
	return "", fmt.Errorf("--actuation %q: want one of %v", s, Modes)
}

// Actuator applies a desired replica count to a VariantAutoscaling's target.
type Actuator interface {
	// Actuate reports whether the desired count is in effect (direct mode:
	// the scale subresource says so; metrics mode: it was published).
	Actuate(ctx context.Context, namespace string, ref v1alpha1.CrossVersionObjectReference, desired int32) (bool, error)
}

// New returns the Actuator for mode.
func New(mode Mode, c client.Client) (Actuator, error) {
	switch mode {
	case ModeMetrics, "":
		return MetricsOnly{}, nil
	case ModeDirect:
		return &Direct{Client: c}, nil
	default:
		return nil, fmt.Errorf("--actuation %q: want one of %v", mode, Modes)
	}
}

// MetricsOnly publishes through the gauges only; the reconciler sets them.
type MetricsOnly struct{}

// Actuate does nothing: publishing is the reconciler's gauges' job.
func (MetricsOnly) Actuate(context.Context, string, v1alpha1.CrossVersionObjectReference, int32) (bool, error) {
	return true, nil
}

// Direct patches the target's scale subresource.
type Direct struct {
	Client client.Client
}

// Scale is what the scale subresource reports.
type Scale struct {
	SpecReplicas   int32
	StatusReplicas int32
	Selector       string
}

// Actuate patches spec.replicas of the target's scale subresource when it
// differs from desired.
func (d *Direct) Actuate(ctx context.Context, namespace string, ref v1alpha1.CrossVersionObjectReference, desired int32) (bool, error) {
	if desired < 0 {
		return false, fmt.Errorf("scaling %s %s/%s: negative replica count %d", ref.Kind, namespace, ref.Name, desired)
	}
	cur, err := GetScale(ctx, d.Client, namespace, ref)
	if err != nil {
		return false, err
	}
	if cur.SpecReplicas == desired {
		return true, nil
	}
	obj := target(namespace, ref)
	patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, desired))
	scale := &unstructured.Unstructured{}
	scale.SetGroupVersionKind(schema.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"})
	if err := d.Client.SubResource("scale").Patch(ctx, obj, patch, client.WithSubResourceBody(scale)); err != nil {
		return false, fmt.Errorf("patching the scale subresource of %s %s/%s to %d replicas: %w", ref.Kind, namespace, ref.Name, desired, err)
	}
	return true, nil
}

// GetScale reads the target's scale subresource.
func GetScale(ctx context.Context, c client.Client, namespace string, ref v1alpha1.CrossVersionObjectReference) (Scale, error) {
	scale := &unstructured.Unstructured{}
	scale.SetGroupVersionKind(schema.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"})
	if err := c.SubResource("scale").Get(ctx, target(namespace, ref), scale); err != nil {
		return Scale{}, fmt.Errorf("reading the scale subresource of %s %s/%s: %w", ref.Kind, namespace, ref.Name, err)
	}
	spec, _, _ := unstructured.NestedInt64(scale.Object, "spec", "replicas")
	status, _, _ := unstructured.NestedInt64(scale.Object, "status", "replicas")
	sel, _, _ := unstructured.NestedString(scale.Object, "status", "selector")
	return Scale{SpecReplicas: int32(spec), StatusReplicas: int32(status), Selector: sel}, nil
}

// TargetGVK is the kind a scaleTargetRef points at; apps/v1 Deployment when
// the reference leaves the API version or kind empty.
func TargetGVK(ref v1alpha1.CrossVersionObjectReference) schema.GroupVersionKind {
	apiVersion, kind := ref.APIVersion, ref.Kind
	if apiVersion == "" {
		apiVersion = "apps/v1"
	}
	if kind == "" {
		kind = "Deployment"
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		gv = schema.GroupVersion{Group: "apps", Version: "v1"}
	}
	return gv.WithKind(kind)
}

func target(namespace string, ref v1alpha1.CrossVersionObjectReference) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(TargetGVK(ref))
	u.SetNamespace(namespace)
	u.SetName(ref.Name)
	return u
}
