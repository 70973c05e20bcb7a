// Package app is the saturn-controller command line: a cobra root whose
// default subcommand `run` starts the controller manager (leader election,
// health and readiness probes, the metrics endpoint, the reconciler, the
// optional external metrics API) and whose `explain` subcommand prints, from
// live Prometheus, why a model has the replicas it has.
//
// Run(ctx, args, stdout, stderr) is the whole program so tests can run it in
// process. The package wires dependencies and parses flags; it must not hold
// decision logic.
package app
