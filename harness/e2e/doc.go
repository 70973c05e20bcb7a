// Package e2e runs scenarios for real on a Kubernetes cluster (Kind in `make e2e`):
// it renders the scenario's blueprint (harness/blueprint, the settings the twin runs)
// into charts/saturn-sim (the simulated accelerators) and charts/saturn (the controller,
// and each variant's VariantAutoscaling and HPA), puts `saturn router` (harness/router:
// llm-d's gateway and endpoint picker in miniature, holding requests while no replica is
// ready) in front of them, replays the scenario's traffic through it from a Job running
// `saturn load` inside the cluster, samples the cluster meanwhile (pods' lifecycle
// included), and assembles the same harness/record.Record the twin writes, so
// harness/assert and harness/report judge both runs with the same code. It also holds the
// shared builders of the test/e2e suite and `saturn e2e FILE [--twin]`.
//
// It must not create the cluster or build images (kind/*.sh do), and never weakens TLS:
// Prometheus is reached over HTTPS with the CA the harness generated.
package e2e
