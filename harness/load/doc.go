// Package load is saturn's open-loop load replayer: it sends a scenario's generated
// requests to any OpenAI-compatible server (saturn-sim, vLLM, llm-d's gateway) at their
// scheduled arrival times and measures what a client observes for each one — time to
// first token, inter-token gaps and end-to-end latency — as harness/record rows.
//
// Open loop means a request is sent at its arrival time whatever happened to earlier
// ones: the replayer never waits for a response before sending the next request, and
// every latency is measured from the scheduled arrival, not from the moment the request
// left, so a slow client or server cannot hide queueing (no coordinated omission).
//
// The replayer runs on a laptop (`saturn load --target URL FILE`) or inside a Kind cluster
// as a Job that prints one JSON line per request on stdout; DecodeResults reads them back
// from the Job's log.
//
// This package must not decide anything about scaling or assert outcomes: it only sends
// and measures. Its scheduler takes an injected clock; only the HTTP sender measures
// with it.
package load
