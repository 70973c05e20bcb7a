// Package integration holds saturn's controller integration tier: tests
// against a real kube-apiserver and etcd (envtest binaries built from the Go
// module proxy by hack/envtest.sh), a real Prometheus over TLS
// ($SATURN_PROMETHEUS) scraping loopback vLLM-like targets, and the real
// saturn-controller binary.
//
// The tests skip with a message naming `make test` when the binaries are not
// available, and fail instead when CI=true. The package has no non-test code
// beyond this file.
package integration
