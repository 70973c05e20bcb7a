// Package crd embeds the generated CustomResourceDefinition of the VariantAutoscaling API
// (llmd.ai/v1alpha1) so that tests, envtest environments and installers apply exactly the
// YAML that the chart ships.
//
// The YAML is generated from controller/api/v1alpha1 by controller-gen (see that package's
// doc). This package must not be edited by hand and holds no logic beyond decoding.
package crd
