//go:build e2e

// Package e2e is saturn's end-to-end suite on a Kind cluster (sigs.k8s.io/e2e-framework),
// run by `make e2e` (kind/e2e.sh builds the images and the cluster first). TestMain deploys
// the TLS Prometheus once; each feature runs a scenario from scenarios/e2e through the
// shared builders of harness/e2e and asserts on the same record the twin produces.
//
// The suite is behind the `e2e` build tag so `make test` never needs a cluster.
package e2e
