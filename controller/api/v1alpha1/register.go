package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group and Version of the API, identical to WVA's.
const (
	Group   = "llmd.ai"
	Version = "v1alpha1"
	// Kind is the kind of the single resource of this API.
	Kind = "VariantAutoscaling"
	// Resource is the plural resource name served by the API server.
	Resource = "variantautoscalings"
)

// GroupVersion is the group version used to register these objects.
var GroupVersion = schema.GroupVersion{Group: Group, Version: Version}

// SchemeGroupVersion is an alias of GroupVersion for code generators and client-go helpers.
var SchemeGroupVersion = GroupVersion

// GroupVersionResource of VariantAutoscaling, for dynamic clients and RBAC checks.
var GroupVersionResource = GroupVersion.WithResource(Resource)

var (
	// SchemeBuilder collects the functions that add this API's types to a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme adds VariantAutoscaling and VariantAutoscalingList to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion, &VariantAutoscaling{}, &VariantAutoscalingList{})
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
