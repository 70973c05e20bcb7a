// Package crd embeds the generated CustomResourceDefinition of the VariantAutoscaling API
// (llmd.ai/v1alpha1) so that tests, envtest environments and installers apply exactly the
// YAML that the chart ships.
//
// The YAML is generated from controller/api/v1alpha1 by controller-gen (see that package's
// doc). This package must not be edited by hand and holds no logic beyond decoding.
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
