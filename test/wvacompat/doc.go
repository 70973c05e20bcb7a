// Package wvacompat runs saturn's controller under WVA v0.5.1's own VariantAutoscaling CRD
// (testdata/crd, byte for byte with a header naming the source) on a real kube-apiserver
// (envtest): a WVA user applies WVA's CRD first and Helm keeps it, so every status saturn
// writes must pass WVA's structural schema, and WVA's sample VariantAutoscalings must be
// reconciled as they are. The controller then runs on a TLS Prometheus fed with vLLM
// series and its decision must reach the status and the external metrics API, selected as
// WVA's chart HPA selects it. WVA's HPA guide (its example VA, its sample HPA and its
// sample scale-to-zero ConfigMap) is applied as a user would. Every test runs twice, on two
// API servers: under WVA's CRD and under saturn's own (config/crd), where saturn's status
// extensions are kept.
package wvacompat
