// Command saturn-controller is saturn's WVA-compatible saturation autoscaler
// for LLM inference. main only wires signals to app.Run; everything else,
// flags included, lives in controller/app so tests run the whole CLI.
package main
