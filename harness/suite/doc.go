// Package suite runs every scenario of a folder under two analyzers and lays
// the runs out in one table (text, GitHub markdown or JSON): per scenario and
// analyzer, the SLO attainment, p99 TTFT, GPU-hours against the floor and the
// plan, the time to reach the plan's capacity, flaps and assertions, and
// which analyzer dominates (at least the attainment for at most the
// GPU-hours), and whether the first analyzer's claim holds (Claim: it dominates
// the second or, where the second misses the plan's attainment, reaches it, and
// spends at most PlanBound times the plan's GPU-hours). It backs
// `saturn compare --suite`.
//
// Run takes the function that runs one scenario, so this package does not
// depend on harness/app or harness/twin; it must not load files, print
// progress or decide exit codes (the caller does).
package suite
