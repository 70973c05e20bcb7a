// Command saturn-sim is a vLLM-compatible simulated accelerator; see
// simulator/README.md. Its main only turns SIGTERM/SIGINT into context
// cancellation and calls app.Run; it must hold no logic of its own.
package main
