// Package parity checks that the Kind driver runs what the digital twin runs: every
// scenario of the library, the held-out set and the Kind suite is rendered by both
// drivers, and the Kind renderings, read back the way the cluster reads them (the charts
// through the real helm binary and the controller's ConfigMap parser, saturn-sim's command
// line through its own flag parser), must resolve to the settings the twin runs, field by
// field; a scenario the Kind driver cannot honour must be refused, naming the setting.
//
// It is the only package that imports both drivers (harness/twin and harness/e2e), and
// only in its tests.
package parity
