package reconciler

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
)

// patchStatus writes va's status as a merge patch against orig; a VA deleted
// meanwhile is not an error.
func (c *Controller) patchStatus(ctx context.Context, orig, va *v1alpha1.VariantAutoscaling) error {
	if equality.Semantic.DeepEqual(orig.Status, va.Status) {
		return nil
	}
	// A merge patch of the whole status: cheaper than diffing two full
	// objects, and lists (conditions) are replaced whole either way.
	body, err := json.Marshal(map[string]any{"status": va.Status})
	if err != nil {
		return fmt.Errorf("encoding status of VariantAutoscaling %s/%s: %w", va.Namespace, va.Name, err)
	}
	err = c.Client.Status().Patch(ctx, va, client.RawPatch(types.MergePatchType, body))
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("updating status of VariantAutoscaling %s/%s: %w", va.Namespace, va.Name, err)
	}
	return nil
}
