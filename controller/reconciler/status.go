package reconciler

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
)

// patchStatus writes va's status as a merge patch against orig; a VA deleted
// meanwhile is not an error.
func (c *Controller) patchStatus(ctx context.Context, orig, va *v1alpha1.VariantAutoscaling) error {
	if equality.Semantic.DeepEqual(orig.Status, va.Status) {
		return nil
	}
	err := c.Client.Status().Patch(ctx, va, client.MergeFrom(orig))
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("updating status of VariantAutoscaling %s/%s: %w", va.Namespace, va.Name, err)
	}
	return nil
}
