package app

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/saturn-autoscaler/saturn/simulator/server"
)

// Options are saturn-sim's command-line settings.
type Options struct {
	// vLLM's flags, with vLLM's defaults.
	Model                   string
	ServedModelNames        []string
	Host                    string
	Port                    int
	TensorParallelSize      int
	GPUMemoryUtilization    float64
	BlockSize               int
	MaxNumSeqs              int
	MaxNumBatchedTokens     int
	MaxModelLen             int
	EnablePrefixCaching     bool
	NoEnablePrefixCaching   bool
	Seed                    int64
	DisableLogRequests      bool
	UvicornLogLevel         string
	DisableUvicornAccessLog bool
	// EnablePromptTokensDetails fills usage.prompt_tokens_details.
	EnablePromptTokensDetails bool

	// saturn's own.
	Accelerator         string
	AcceleratorProfile  string
	ModelProfile        string
	StartupDelay        time.Duration
	NoLatency           bool
	FaultErrorRate      float64
	FaultCrashAfter     int64
	FaultSlowStart      time.Duration
	MaxRequestBodyBytes int64
	BodyReadTimeout     time.Duration
	ShutdownTimeout     time.Duration
	LogLevel            string
	ReplicaName         string

	// modelSet records an explicit --model (or MODEL argument).
	modelSet bool
	// enablePrefixCachingSet records an explicit --enable-prefix-caching.
	enablePrefixCachingSet bool
	// onListen, if set, is called with the bound address and the metrics
	// registry (tests).
	onListen func(net.Addr, prometheus.Gatherer)
}

// DefaultModel is vLLM's default --model, also the llm-d guide's.
const DefaultModel = "Qwen/Qwen3-0.6B"

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		Model:                DefaultModel,
		Port:                 8000,
		GPUMemoryUtilization: 0.9,
		BlockSize:            16,
		MaxNumSeqs:           256,
		EnablePrefixCaching:  true,
		Accelerator:          "H100",
		MaxRequestBodyBytes:  server.DefaultMaxRequestBodyBytes,
		BodyReadTimeout:      30 * time.Second,
		ShutdownTimeout:      30 * time.Second,
		LogLevel:             "info",
	}
}

// AddFlags registers the options on fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Model, "model", o.Model, "Name of the model to serve; selects the built-in model profile (see --model-profile to give one).")
	fs.StringSliceVar(&o.ServedModelNames, "served-model-name", o.ServedModelNames, "Model names the API accepts (comma-separated or repeated); the first one is reported in metrics. Defaults to --model.")
	fs.StringVar(&o.Host, "host", o.Host, "Host name or address to listen on (empty: all interfaces).")
	fs.IntVar(&o.Port, "port", o.Port, "Port to listen on.")
	fs.IntVar(&o.TensorParallelSize, "tensor-parallel-size", o.TensorParallelSize, "Number of accelerators the model is sharded over (0: the model profile's default).")
	fs.Float64Var(&o.GPUMemoryUtilization, "gpu-memory-utilization", o.GPUMemoryUtilization, "Fraction of accelerator memory for weights, activations and KV cache, in (0, 1].")
	fs.IntVar(&o.BlockSize, "block-size", o.BlockSize, "Tokens per KV cache block (1, 8, 16, 32, 64 or 128).")
	fs.IntVar(&o.MaxNumSeqs, "max-num-seqs", o.MaxNumSeqs, "Maximum number of sequences per engine step.")
	fs.IntVar(&o.MaxNumBatchedTokens, "max-num-batched-tokens", o.MaxNumBatchedTokens, "Maximum number of tokens per engine step (0: 8192).")
	fs.IntVar(&o.MaxModelLen, "max-model-len", o.MaxModelLen, "Model context length: prompt plus output tokens (0: the model profile's).")
	fs.BoolVar(&o.EnablePrefixCaching, "enable-prefix-caching", o.EnablePrefixCaching, "Reuse KV blocks of shared prompt prefixes.")
	fs.BoolVar(&o.NoEnablePrefixCaching, "no-enable-prefix-caching", false, "Disable prefix caching.")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "Seed of output lengths, generated text and fault injection.")
	fs.BoolVar(&o.DisableLogRequests, "disable-log-requests", false, "Accepted for vLLM compatibility; saturn-sim does not log requests.")
	fs.StringVar(&o.UvicornLogLevel, "uvicorn-log-level", "info", "Accepted for vLLM compatibility; ignored.")
	fs.BoolVar(&o.DisableUvicornAccessLog, "disable-uvicorn-access-log", false, "Accepted for vLLM compatibility; ignored.")
	fs.BoolVar(&o.EnablePromptTokensDetails, "enable-prompt-tokens-details", false, "Report the prompt tokens served from the prefix cache in usage.prompt_tokens_details.cached_tokens.")

	fs.StringVar(&o.Accelerator, "accelerator", o.Accelerator, "Simulated accelerator: L40S, A100, H100 or Intel-Max-1550.")
	fs.StringVar(&o.AcceleratorProfile, "accelerator-profile", "", "YAML accelerator profile file; overrides --accelerator.")
	fs.StringVar(&o.ModelProfile, "model-profile", "", "YAML model profile file; overrides the built-in profile of --model.")
	fs.DurationVar(&o.StartupDelay, "startup-delay", 0, "Simulated weight loading: /health and the API answer 503 for this long after start.")
	fs.BoolVar(&o.NoLatency, "no-latency", false, "Answer every request at once, bypassing the engine's timing (client throughput tests).")
	fs.Float64Var(&o.FaultErrorRate, "fault-error-rate", 0, "Fraction of generation requests answered with a 500, in [0, 1].")
	fs.Int64Var(&o.FaultCrashAfter, "fault-crash-after", 0, "Exit with an error when generation request N+1 arrives (0: never).")
	fs.DurationVar(&o.FaultSlowStart, "fault-slow-start", 0, "Hold generation requests arriving in this window after startup until it ends (a cold replica).")
	fs.Int64Var(&o.MaxRequestBodyBytes, "max-request-body-bytes", o.MaxRequestBodyBytes, "Largest accepted request body; larger ones get 413.")
	fs.DurationVar(&o.BodyReadTimeout, "body-read-timeout", o.BodyReadTimeout, "Longest time to read a request body, from the end of its headers; slower bodies get 408 (0: no limit).")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", o.ShutdownTimeout, "On SIGTERM, how long to wait for in-flight requests before closing them.")
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "Log level: debug, info, warn or error.")
	fs.StringVar(&o.ReplicaName, "replica-name", o.ReplicaName, "Sent as the X-Saturn-Replica header of every response (the chart passes the pod name); defaults to $POD_NAME.")
}

// Validate checks the options; errors name the flag and the fix.
func (o *Options) Validate() error {
	var errs []error
	bad := func(flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("flag --%s: %s", flag, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(o.Model) == "" && o.ModelProfile == "" {
		bad("model", "must name a model")
	}
	for _, n := range o.ServedModelNames {
		if strings.TrimSpace(n) == "" {
			bad("served-model-name", "names must not be empty")
		}
	}
	if o.Port < 0 || o.Port > 65535 {
		bad("port", "must be between 0 and 65535, got %d", o.Port)
	}
	if o.TensorParallelSize < 0 {
		bad("tensor-parallel-size", "must be positive (or 0 for the model's default), got %d", o.TensorParallelSize)
	}
	if !(o.GPUMemoryUtilization > 0 && o.GPUMemoryUtilization <= 1) {
		bad("gpu-memory-utilization", "must be in (0, 1], got %v", o.GPUMemoryUtilization)
	}
	if o.MaxNumSeqs < 1 {
		bad("max-num-seqs", "must be at least 1, got %d", o.MaxNumSeqs)
	}
	if o.MaxNumBatchedTokens < 0 {
		bad("max-num-batched-tokens", "must be positive (or 0 for the default), got %d", o.MaxNumBatchedTokens)
	}
	if o.MaxModelLen < 0 || o.MaxModelLen == 1 {
		bad("max-model-len", "must be at least 2 (or 0 for the model's), got %d", o.MaxModelLen)
	}
	if o.NoEnablePrefixCaching && o.EnablePrefixCaching && o.enablePrefixCachingSet {
		bad("no-enable-prefix-caching", "conflicts with --enable-prefix-caching; give one of them")
	}
	if !(o.FaultErrorRate >= 0 && o.FaultErrorRate <= 1) {
		bad("fault-error-rate", "must be in [0, 1], got %v", o.FaultErrorRate)
	}
	if o.FaultCrashAfter < 0 {
		bad("fault-crash-after", "must be 0 (never) or a positive number of requests, got %d", o.FaultCrashAfter)
	}
	if o.StartupDelay < 0 {
		bad("startup-delay", "must not be negative, got %v", o.StartupDelay)
	}
	if o.FaultSlowStart < 0 {
		bad("fault-slow-start", "must not be negative, got %v", o.FaultSlowStart)
	}
	if o.MaxRequestBodyBytes < 1 {
		bad("max-request-body-bytes", "must be positive, got %d", o.MaxRequestBodyBytes)
	}
	if o.BodyReadTimeout < 0 {
		bad("body-read-timeout", "must not be negative (0 disables it), got %v", o.BodyReadTimeout)
	}
	if o.ShutdownTimeout < 0 {
		bad("shutdown-timeout", "must not be negative, got %v", o.ShutdownTimeout)
	}
	if _, err := parseLevel(o.LogLevel); err != nil {
		bad("log-level", "%v", err)
	}
	return errors.Join(errs...)
}

// prefixCaching is the effective prefix-caching setting.
func (o *Options) prefixCaching() bool {
	return o.EnablePrefixCaching && !o.NoEnablePrefixCaching
}

// servedNames is the effective list of served model names.
func (o *Options) servedNames() []string {
	if len(o.ServedModelNames) > 0 {
		return o.ServedModelNames
	}
	return []string{o.Model}
}
