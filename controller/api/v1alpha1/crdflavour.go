package v1alpha1

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CRDName is the VariantAutoscaling CRD's name, saturn's and WVA's alike.
const CRDName = "variantautoscalings.llmd.ai"

// CRDFlavour says which VariantAutoscaling CRD the cluster serves: saturn's (with its
// optional spec.minReplicas and spec.maxReplicas) or WVA's (without them: its structural
// schema prunes them, so a VA's bounds come from its HPA only). It reads the CRD by name
// (RBAC: get on customresourcedefinitions/variantautoscalings.llmd.ai).
func CRDFlavour(ctx context.Context, r client.Reader) (string, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
	if err := r.Get(ctx, client.ObjectKey{Name: CRDName}, u); err != nil {
		return "", fmt.Errorf("reading CustomResourceDefinition %s: %w", CRDName, err)
	}
	return flavourOf(u), nil
}

// Flavours CRDFlavour reports.
const (
	FlavourSaturn = "saturn's (spec.minReplicas and spec.maxReplicas are served)"
	FlavourWVA    = "WVA's (no spec.minReplicas or spec.maxReplicas: its schema prunes them, a VA's bounds come from its HPA; saturn's status extensions are pruned too)"
)

func flavourOf(crd *unstructured.Unstructured) string {
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		vm, ok := v.(map[string]any)
		if !ok || vm["name"] != GroupVersion.Version {
			continue
		}
		if _, found, _ := unstructured.NestedMap(vm, "schema", "openAPIV3Schema", "properties", "spec", "properties", "minReplicas"); found {
			return FlavourSaturn
		}
	}
	return FlavourWVA
}
