// Command saturn runs LLM-inference autoscaling scenarios: `saturn run`
// replays one in the digital twin, `validate` checks scenario files,
// `compare` runs the same traffic under two autoscaler settings, and `load`
// replays traffic against a real server. The implementation is in
// harness/app; main only calls app.Run and maps its error to the exit code
// (0 all assertions hold, 1 one failed, 2 invalid scenario or flags).
package main
