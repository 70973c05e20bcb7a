// Package app is the `saturn` command line: `run` (a scenario in the
// digital twin, with a summary table, machine-readable outputs and
// report.html), `validate` (scenario files, without running) and `compare`
// (the same traffic under two autoscaler settings, side by side, both
// against the floor and the plan; or a folder of scenarios under two
// analyzers, one table). harness/cmd/saturn's main only calls Run and maps its
// error to an exit code with ExitCode.
//
// Run returns typed errors: *ExitError with code 1 when an assertion failed,
// 2 when a scenario is invalid. It must not call os.Exit or read flags from
// globals; output goes to the writers it is given.
package app
