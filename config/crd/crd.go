package crd

import (
	_ "embed"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// VariantAutoscalingYAML is the generated CRD manifest for variantautoscalings.llmd.ai.
//
//go:embed llmd.ai_variantautoscalings.yaml
var VariantAutoscalingYAML []byte

// VariantAutoscaling decodes the embedded CRD. It fails only if the embedded file is corrupt.
func VariantAutoscaling() (*apiextensionsv1.CustomResourceDefinition, error) {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(VariantAutoscalingYAML, &crd); err != nil {
		return nil, fmt.Errorf("decoding embedded CRD llmd.ai_variantautoscalings.yaml: %w", err)
	}
	return &crd, nil
}

// All returns every CRD of the project, for envtest's CRDInstallOptions.CRDs.
func All() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	va, err := VariantAutoscaling()
	if err != nil {
		return nil, err
	}
	return []*apiextensionsv1.CustomResourceDefinition{va}, nil
}
