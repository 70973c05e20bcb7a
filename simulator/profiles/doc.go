// Package profiles holds the accelerator and model profiles the simulated
// vLLM engine runs on: datasheet facts (memory, bandwidth, dense BF16 TFLOPS),
// achieved-efficiency coefficients, fixed overheads and cost for each
// accelerator, and public architecture facts (layers, hidden size, heads, KV
// heads, head dimension, parameters, context length) for each model.
//
// The built-in profiles are YAML files embedded in the binary
// (accelerators/*.yaml, models/*.yaml); every one names its source. A user can
// replace a profile with LoadAcceleratorFile / LoadModelFile. Decoding is
// strict: unknown fields are errors, and Validate names the offending field.
//
// Every coefficient the engine's step-time model uses lives here, not in the
// engine: see CALIBRATION.md for how they compare with published vLLM
// measurements.
//
// This package must not do any simulation, hold mutable global state, or read
// files other than the ones it is asked to load.
package profiles
