package config

import (
	"time"
)

// ConfigMap names and keys, as in WVA.
const (
	SaturationConfigMapName  = "wva-saturation-scaling-config"
	ScaleToZeroConfigMapName = "wva-model-scale-to-zero-config"
	DefaultKey               = "default"
	// LegacyDefaultKey is the defaults key used by older WVA scale-to-zero ConfigMaps.
	LegacyDefaultKey = "__defaults__"
)

// Analyzer names.
const (
	AnalyzerCapacity = "capacity" // saturn's default
	AnalyzerWVAV1    = "wva-v1"   // WVA v0.5.1's rule
)

// Built-in defaults.
const (
	DefaultKvCacheThreshold             = 0.80
	DefaultQueueLengthThreshold         = 5.0
	DefaultKvSpareTrigger               = 0.1
	DefaultQueueSpareTrigger            = 3.0
	DefaultAnalyzer                     = AnalyzerCapacity
	DefaultScaleUpStabilizationWindow   = time.Duration(0)
	DefaultScaleDownStabilizationWindow = 5 * time.Minute
	DefaultRetentionPeriod              = 10 * time.Minute
	// DefaultConcurrencyTarget is the share of the observed saturation concurrency (running
	// requests per replica at which a replica starts queueing with KV to spare) that the
	// capacity analyzer sizes each replica for while it knows no latency model to size by
	// the ITL objective. Concurrency grows much faster than load near saturation (latency
	// rises), so the target sits well below the saturation point.
	DefaultConcurrencyTarget = 0.15
	// DefaultScaleDownMaxFraction is the largest share of a model's ready replicas one
	// capacity decision may remove: shrinking is gradual and each step is observed.
	DefaultScaleDownMaxFraction = 0.5
	// MaxStabilizationWindow bounds both windows (the planner keeps history that long).
	MaxStabilizationWindow = time.Hour
)

// Thresholds are WVA's four saturation numbers.
type Thresholds struct {
	// KvCacheThreshold: a replica whose KV-cache usage (0..1) is at or above it is saturated.
	KvCacheThreshold float64
	// QueueLengthThreshold: a replica with at least this many waiting requests is saturated.
	QueueLengthThreshold float64
	// KvSpareTrigger: scale up when the average spare KV fraction falls below it.
	KvSpareTrigger float64
	// QueueSpareTrigger: scale up when the average spare queue room falls below it.
	QueueSpareTrigger float64
}

// ModelConfig is everything that applies to one (namespace, model): the merge of the
// defaults and the matching overrides of both ConfigMaps.
type ModelConfig struct {
	Thresholds
	// Analyzer is AnalyzerCapacity or AnalyzerWVAV1.
	Analyzer string
	// ScaleUpStabilizationWindow: scale up to the lowest recommendation of this window (0 = at once).
	ScaleUpStabilizationWindow time.Duration
	// ScaleDownStabilizationWindow: scale down only to the highest recommendation of this window.
	ScaleDownStabilizationWindow time.Duration
	// ScaleToZero allows the model's variants to go to zero replicas after RetentionPeriod
	// without a finished request.
	ScaleToZero     bool
	RetentionPeriod time.Duration
	// Capacity holds the capacity analyzer's concurrency tuning.
	Capacity CapacityTuning
	// Source names the ConfigMap entries that produced this config, for explanations.
	Source string
}

// CapacityTuning tunes the capacity analyzer's concurrency model (saturn extensions of
// wva-saturation-scaling-config). Zero fields mean the defaults.
type CapacityTuning struct {
	// ConcurrencyTarget (0, 1]: each replica is sized for this share of the concurrency at
	// which its replicas were observed to saturate (default DefaultConcurrencyTarget).
	ConcurrencyTarget float64
	// ScaleDownMaxFraction (0, 1]: one decision removes at most this share of the model's
	// ready replicas, and at least one (default DefaultScaleDownMaxFraction).
	ScaleDownMaxFraction float64
	// SaturationConcurrency > 0: running requests per replica at which a replica is known
	// to saturate, used until saturn observes it (0 = learn it from the metrics only).
	SaturationConcurrency float64
	// SLOITL > 0 is the inter-token latency objective: once a variant's ITL line is fitted,
	// each replica is sized for the running requests at which its ITL reaches 80% of it,
	// up to those that serve 90% of the request rate at its saturation concurrency (the
	// share SLOTTFT sets when given), in place of ConcurrencyTarget (0 = no objective:
	// ConcurrencyTarget and the KV limit alone size the replicas).
	SLOITL time.Duration
	// SLOTTFT > 0 is the time-to-first-token objective: with SLOITL, the share of the
	// saturated request rate a replica is sized for is the utilisation at which a queue
	// with its batch slots keeps 99% of the waits under 80% of it (0 = a fixed 90%).
	SLOTTFT time.Duration
}

// MaxSLOITL bounds sloITL: no interactive objective is looser.
const MaxSLOITL = 10 * time.Second

// MaxSLOTTFT bounds sloTTFT.
const MaxSLOTTFT = 10 * time.Minute

// WithDefaults fills unset (zero or invalid) fields with the defaults.
func (c CapacityTuning) WithDefaults() CapacityTuning {
	if !(c.ConcurrencyTarget > 0 && c.ConcurrencyTarget <= 1) {
		c.ConcurrencyTarget = DefaultConcurrencyTarget
	}
	if !(c.ScaleDownMaxFraction > 0 && c.ScaleDownMaxFraction <= 1) {
		c.ScaleDownMaxFraction = DefaultScaleDownMaxFraction
	}
	if !(c.SaturationConcurrency > 0) || c.SaturationConcurrency > 1e9 {
		c.SaturationConcurrency = 0
	}
	if c.SLOITL < 0 || c.SLOITL > MaxSLOITL {
		c.SLOITL = 0
	}
	if c.SLOTTFT < 0 || c.SLOTTFT > MaxSLOTTFT {
		c.SLOTTFT = 0
	}
	return c
}

// DefaultModelConfig is the configuration used when no ConfigMap exists.
func DefaultModelConfig() ModelConfig {
	return ModelConfig{
		Thresholds: Thresholds{
			KvCacheThreshold:     DefaultKvCacheThreshold,
			QueueLengthThreshold: DefaultQueueLengthThreshold,
			KvSpareTrigger:       DefaultKvSpareTrigger,
			QueueSpareTrigger:    DefaultQueueSpareTrigger,
		},
		Analyzer:                     DefaultAnalyzer,
		ScaleUpStabilizationWindow:   DefaultScaleUpStabilizationWindow,
		ScaleDownStabilizationWindow: DefaultScaleDownStabilizationWindow,
		Capacity:                     CapacityTuning{}.WithDefaults(),
		ScaleToZero:                  false,
		RetentionPeriod:              DefaultRetentionPeriod,
		Source:                       "built-in defaults",
	}
}

// Config is the parsed content of both ConfigMaps. The zero value behaves like Default().
type Config struct {
	Saturation  SaturationSettings
	ScaleToZero ScaleToZeroSettings
	// NamespaceSaturation and NamespaceScaleToZero hold namespace-local copies of the
	// ConfigMaps (same names, in a VA's namespace), by namespace. As in WVA, a
	// namespace-local ConfigMap replaces the global one for the VAs of its namespace;
	// without one the global ConfigMap applies.
	NamespaceSaturation  map[string]SaturationSettings
	NamespaceScaleToZero map[string]ScaleToZeroSettings
}

// Default returns the configuration used when neither ConfigMap exists.
func Default() Config {
	return Config{Saturation: DefaultSaturationSettings(), ScaleToZero: DefaultScaleToZeroSettings(false)}
}

// For returns the configuration in force for a model in a namespace. Overrides that name
// both model_id and namespace win over those naming only model_id, which win over default.
func (c Config) For(namespace, modelID string) ModelConfig {
	mc := DefaultModelConfig()
	sat, satName := c.Saturation, SaturationConfigMapName
	if local, ok := c.NamespaceSaturation[namespace]; ok {
		sat, satName = local, namespace+"/"+SaturationConfigMapName
	}
	if sat.Default == (SaturationEntry{}) && len(sat.Overrides) == 0 {
		sat = DefaultSaturationSettings()
	}
	sat.Default.applyTo(&mc)
	mc.Source = satName + "/" + DefaultKey
	if e, key, ok := sat.match(namespace, modelID); ok {
		e.applyTo(&mc)
		mc.Source = satName + "/" + key
	}
	s2z, s2zName := c.ScaleToZero, ScaleToZeroConfigMapName
	if local, ok := c.NamespaceScaleToZero[namespace]; ok {
		s2z, s2zName = local, namespace+"/"+ScaleToZeroConfigMapName
	}
	s2z.Default.applyTo(&mc)
	if e, key, ok := s2z.match(namespace, modelID); ok {
		e.applyTo(&mc)
		mc.Source += ", " + s2zName + "/" + key
	}
	return mc
}

// Load parses the data of one of the two ConfigMaps (the saturation one when saturation is
// true, else the scale-to-zero one) into c: as the global settings when namespace is "",
// else as that namespace's local copy, which replaces the global one there. It returns the
// parsed ConfigMap's notices and the errors of the entries it left out (the valid ones
// apply). globalScaleToZero is the controller's --scale-to-zero.
func (c *Config) Load(namespace string, saturation bool, data map[string]string, globalScaleToZero bool) ([]string, error) {
	if saturation {
		s, err := ParseSaturation(data)
		switch {
		case namespace == "":
			c.Saturation = s
		case c.NamespaceSaturation == nil:
			c.NamespaceSaturation = map[string]SaturationSettings{namespace: s}
		default:
			c.NamespaceSaturation[namespace] = s
		}
		return s.Notices, err
	}
	s, err := ParseScaleToZero(data, globalScaleToZero)
	switch {
	case namespace == "":
		c.ScaleToZero = s
	case c.NamespaceScaleToZero == nil:
		c.NamespaceScaleToZero = map[string]ScaleToZeroSettings{namespace: s}
	default:
		c.NamespaceScaleToZero[namespace] = s
	}
	return s.Notices, err
}
