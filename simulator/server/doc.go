// Package server is saturn-sim's HTTP front end: vLLM's OpenAI-compatible API
// (/v1/completions, /v1/chat/completions, /v1/models), /health and /metrics.
//
// It decodes and validates requests as vLLM does (same error shape and
// statuses), turns each choice into an engine request with a token count
// fixed up front (max_tokens with ignore_eos, otherwise a reproducible draw),
// hands it to a Backend (the real-time engine driver, or the instant backend
// of --no-latency) and writes tokens to the client as the backend releases
// them, as SSE chunks shaped like vLLM's. Latency metrics are measured here,
// at send time, so they are what clients observe.
//
// This package must not model the accelerator or the scheduler (that is
// simulator/engine), must not read the wall clock except through the injected
// clock, and must never panic on any request.
package server
