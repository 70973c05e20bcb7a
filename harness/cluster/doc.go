// Package cluster drives a real Kubernetes cluster (Kind in `make e2e`) for scenario
// runs: it generates a CA and a server certificate, deploys Prometheus serving HTTPS
// only and discovering simulator pods with Kubernetes service discovery, publishes the
// CA as the prometheus-ca ConfigMap, installs saturn's Helm charts, and samples the
// cluster during a run (replicas per variant from Deployments and HPAs, controller
// decisions from VariantAutoscaling status and Events) into a harness/record.Record.
//
// It must not create clusters or build images (kind/*.sh does), must not decide
// verdicts (harness/assert does), and never turns TLS verification off.
package cluster
