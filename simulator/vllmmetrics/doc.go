// Package vllmmetrics defines, in one place, the Prometheus metrics a vLLM v1
// server exposes: the same names, types, label names (model_name, engine) and
// histogram buckets, so that dashboards, the llm-d router and autoscalers
// (saturn's controller, WVA) read saturn-sim exactly as they read vLLM.
//
// A Metrics value is bound to one registry and one served model name, like one
// vLLM replica's /metrics. The real-time server feeds it from the engine after
// every step (SetFromStats) and from what clients observe (ObserveFirstToken,
// ObserveInterToken, ObserveFinished); the digital twin builds one per
// simulated replica and feeds it from the engine's statistics.
//
// This package must not read a clock, start goroutines or register anything on
// the global Prometheus registry; time intervals are passed in by the caller.
package vllmmetrics
