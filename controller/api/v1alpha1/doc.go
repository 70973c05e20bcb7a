// Package v1alpha1 holds the VariantAutoscaling API (group llmd.ai, version v1alpha1),
// wire-compatible with llm-d's Workload Variant Autoscaler (WVA) v0.5.1: a WVA sample
// manifest applies unchanged, and every saturn addition is an optional field.
//
// The package only declares types, their kubebuilder markers, deep-copy functions and
// scheme registration. It must not contain controller logic, talk to an API server or
// read metrics: deciding lives in controller/saturation and controller/planner,
// acting in the reconciler.
//
// The generated CRD is config/crd/llmd.ai_variantautoscalings.yaml (embedded by
// package config/crd). Regenerate both with:
//
//	go run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.20.1 \
//	    object paths=./controller/api/... \
//	    crd:crdVersions=v1 output:crd:dir=./config/crd paths=./controller/api/...
//
// +kubebuilder:object:generate=true
// +groupName=llmd.ai
package v1alpha1
