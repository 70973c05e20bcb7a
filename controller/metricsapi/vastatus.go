package metricsapi

import (
	"context"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
)

// VAStatus is a Source reading status.desiredOptimizedAlloc of the
// VariantAutoscalings through a (cached) reader. VAs without a decision yet
// are left out rather than reported as zero.
type VAStatus struct {
	Reader client.Reader
	// Instance, when set, lists only the VariantAutoscalings of this controller instance
	// (labeled v1alpha1.ControllerInstanceLabel=Instance).
	Instance string
}

// List implements Source. A read error yields no entries (the HPA then keeps
// its current scale, as with a missing metric).
func (s VAStatus) List(namespace string) []Entry {
	var list v1alpha1.VariantAutoscalingList
	var opts []client.ListOption
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if s.Instance != "" {
		opts = append(opts, client.MatchingLabels{v1alpha1.ControllerInstanceLabel: s.Instance})
	}
	if err := s.Reader.List(context.Background(), &list, opts...); err != nil {
		return nil
	}
	out := make([]Entry, 0, len(list.Items))
	for i := range list.Items {
		va := &list.Items[i]
		alloc := va.Status.DesiredOptimizedAlloc
		if alloc.LastRunTime.IsZero() {
			continue
		}
		acc := alloc.Accelerator
		if acc == "" {
			acc = va.Accelerator()
		}
		out = append(out, Entry{
			Variant: va.Name, Namespace: va.Namespace, Accelerator: acc, ModelID: va.Spec.ModelID,
			Desired: alloc.NumReplicas, Time: alloc.LastRunTime.Time,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Variant < out[j].Variant
	})
	return out
}
