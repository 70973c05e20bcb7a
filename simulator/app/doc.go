// Package app is the saturn-sim command: flags (vLLM's names and defaults,
// plus saturn's own), wiring of profiles, engine, real-time driver, metrics
// and HTTP server, startup delay, fault injection and graceful shutdown.
//
// Run is the whole program, so tests run the CLI in-process. This package must
// hold no package-level flag variables and no init() side effects; it must not
// call os.Exit (main does, on Run's error).
package app
