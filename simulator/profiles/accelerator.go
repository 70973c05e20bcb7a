package profiles

import (
	"errors"
	"fmt"
	"math"
)

// Accelerator describes one accelerator (one GPU) the engine simulates.
// Capacities are per device; with tensor parallelism the engine multiplies
// them by the tensor-parallel size.
type Accelerator struct {
	// Name is the name the llm-d guide uses ("H100", "A100", "L40S", "Intel-Max-1550").
	Name string `json:"name"`
	// Description is a human-readable product name.
	Description string `json:"description,omitempty"`
	// Source names the public documents the figures come from.
	Source string `json:"source"`

	// MemoryGiB is the device memory usable by the runtime, in GiB (2^30 bytes).
	MemoryGiB float64 `json:"memoryGiB"`
	// MemoryBandwidthGBps is the peak memory bandwidth in GB/s (10^9 bytes per second).
	MemoryBandwidthGBps float64 `json:"memoryBandwidthGBps"`
	// BF16TFLOPS is the dense (no sparsity) BF16 peak in TFLOPS.
	BF16TFLOPS float64 `json:"bf16TFLOPS"`
	// PowerWatts is the board power (informational).
	PowerWatts float64 `json:"powerWatts,omitempty"`

	// CostPerHour is the price of one device-hour in dollars.
	CostPerHour float64 `json:"costPerHour"`
	// CostSource says where CostPerHour comes from, or what it assumes.
	CostSource string `json:"costSource"`

	// Interconnect links the devices of one tensor-parallel replica.
	Interconnect Interconnect `json:"interconnect"`

	// Efficiency holds the achieved fractions of peak.
	Efficiency Efficiency `json:"efficiency"`
	// Overheads holds the fixed costs outside the roofline.
	Overheads Overheads `json:"overheads"`
}

// Interconnect is the device-to-device link tensor parallelism all-reduces over.
type Interconnect struct {
	// Name is the link ("NVLink 4", "PCIe Gen4 x16").
	Name string `json:"name"`
	// BandwidthGBps is the achievable bandwidth per device and direction, GB/s.
	BandwidthGBps float64 `json:"bandwidthGBps"`
	// AllReduceLatency is the fixed cost of one all-reduce.
	AllReduceLatency Duration `json:"allReduceLatency"`
}

// Efficiency is the achieved fraction of the datasheet peak in each regime
// of a step: compute-bound matrix multiplications, memory-bound streaming,
// and decode attention.
type Efficiency struct {
	// MatmulCompute is the fraction of BF16TFLOPS a step's matrix
	// multiplications reach: the linear layers of every token in the step
	// (vLLM runs a step's prefill and decode tokens through the same GEMMs,
	// so decode tokens at a large batch are as compute-bound as prefill
	// tokens) and prefill attention. At a small batch these GEMMs are
	// memory-bound and the memory time, not this figure, sets the step.
	MatmulCompute float64 `json:"matmulCompute"`
	// DecodeAttentionCompute is the fraction of BF16TFLOPS reached on decode
	// attention: a batched matrix-vector product over the paged KV cache,
	// whose traffic the memory time already counts.
	DecodeAttentionCompute float64 `json:"decodeAttentionCompute"`
	// MemoryBandwidth is the fraction of MemoryBandwidthGBps reached when
	// streaming weights and KV cache.
	MemoryBandwidth float64 `json:"memoryBandwidth"`
	// ComputeMemoryOverlap says how well compute and memory traffic of one step
	// overlap: 1 is a pure roofline (step = max(compute, memory)), 0 is fully
	// serial (step = compute + memory). In between,
	// step = max + (1-overlap) * min.
	ComputeMemoryOverlap float64 `json:"computeMemoryOverlap"`
	// Source says where the efficiencies come from.
	Source string `json:"source"`
}

// Overheads are the fixed costs the roofline does not capture.
type Overheads struct {
	// PerStep is added to every engine step (scheduling, sampling, launch).
	PerStep Duration `json:"perStep"`
	// PerLayer is added to every step once per transformer layer (kernel launches).
	PerLayer Duration `json:"perLayer"`
	// PerPrefillStep is added to a step that carries prefill tokens: such a
	// step does not replay a captured CUDA graph and prepares variable-length
	// inputs.
	PerPrefillStep Duration `json:"perPrefillStep"`
	// PerRequest is the time between a request's arrival at the API server and
	// its arrival in the engine's waiting queue (HTTP handling, tokenization).
	// Queueing is not part of it: the engine models queueing itself (the
	// ~15 ms "API and queueing" constant of simpler simulators counts both).
	PerRequest Duration `json:"perRequest"`
	// RuntimeReserveGiB is device memory held outside weights, activations and
	// KV cache (CUDA context, graphs, allocator slack), per device.
	RuntimeReserveGiB float64 `json:"runtimeReserveGiB"`
}

// MemoryBytes is the device memory in bytes.
func (a Accelerator) MemoryBytes() float64 { return a.MemoryGiB * (1 << 30) }

// Validate checks that every field the engine needs is present and sane.
func (a Accelerator) Validate() error {
	var errs []error
	field := func(name string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("accelerator %q: field %s: %s", a.Name, name, fmt.Sprintf(format, args...)))
	}
	if a.Name == "" {
		field("name", "must not be empty")
	}
	if a.Source == "" {
		field("source", "must name where the figures come from")
	}
	positive := []struct {
		name string
		v    float64
	}{
		{"memoryGiB", a.MemoryGiB},
		{"memoryBandwidthGBps", a.MemoryBandwidthGBps},
		{"bf16TFLOPS", a.BF16TFLOPS},
		{"interconnect.bandwidthGBps", a.Interconnect.BandwidthGBps},
	}
	for _, p := range positive {
		if !(p.v > 0) || math.IsInf(p.v, 0) {
			field(p.name, "must be a positive number, got %v", p.v)
		}
	}
	if a.CostPerHour < 0 || math.IsNaN(a.CostPerHour) || math.IsInf(a.CostPerHour, 0) {
		field("costPerHour", "must be a non-negative number of dollars per hour, got %v", a.CostPerHour)
	}
	if a.Interconnect.Name == "" {
		field("interconnect.name", "must name the device-to-device link")
	}
	if a.CostSource == "" {
		field("costSource", "must say where the cost comes from or what it assumes")
	}
	fractions := []struct {
		name string
		v    float64
		zero bool
	}{
		{"efficiency.matmulCompute", a.Efficiency.MatmulCompute, false},
		{"efficiency.decodeAttentionCompute", a.Efficiency.DecodeAttentionCompute, false},
		{"efficiency.memoryBandwidth", a.Efficiency.MemoryBandwidth, false},
		{"efficiency.computeMemoryOverlap", a.Efficiency.ComputeMemoryOverlap, true},
	}
	for _, f := range fractions {
		lo := f.v > 0
		if f.zero {
			lo = f.v >= 0
		}
		if !lo || !(f.v <= 1) {
			field(f.name, "must be a fraction in (0, 1], got %v", f.v)
		}
	}
	if a.Efficiency.Source == "" {
		field("efficiency.source", "must say where the efficiencies come from")
	}
	durations := []struct {
		name string
		v    Duration
	}{
		{"overheads.perStep", a.Overheads.PerStep},
		{"overheads.perLayer", a.Overheads.PerLayer},
		{"overheads.perPrefillStep", a.Overheads.PerPrefillStep},
		{"overheads.perRequest", a.Overheads.PerRequest},
		{"interconnect.allReduceLatency", a.Interconnect.AllReduceLatency},
	}
	for _, d := range durations {
		if d.v.Duration < 0 || d.v.Duration > 10e9 {
			field(d.name, "must be between 0s and 10s, got %v", d.v.Duration)
		}
	}
	if a.Overheads.RuntimeReserveGiB < 0 || math.IsNaN(a.Overheads.RuntimeReserveGiB) || a.Overheads.RuntimeReserveGiB >= a.MemoryGiB {
		field("overheads.runtimeReserveGiB", "must be non-negative and below memoryGiB, got %v", a.Overheads.RuntimeReserveGiB)
	}
	return errors.Join(errs...)
}
