// Package calibration compares the simulated engine with published vLLM
// measurements. It replays the benchmark's closed-loop workload (a fixed
// number of concurrent clients, each sending its next request as soon as the
// previous one finishes) against the engine on a virtual clock, measures time
// to first token, time per output token and throughput as the vLLM benchmark
// client does, and renders simulator/profiles/CALIBRATION.md side by side
// with the published figures and the rule-of-thumb ranges.
//
// Run renders the file (the saturn-calibrate command); a test checks that the
// committed file is up to date and that the figures stay within the
// tolerances the simulator promises.
//
// This package must not change profiles or the engine: it only measures.
package calibration
