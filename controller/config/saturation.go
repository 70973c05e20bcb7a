package config

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// SaturationEntry is one key of wva-saturation-scaling-config. Unset fields (nil) inherit
// from the default entry, then from the built-in defaults.
type SaturationEntry struct {
	ModelID   string `json:"model_id,omitempty"`
	Namespace string `json:"namespace,omitempty"`

	KvCacheThreshold     *float64 `json:"kvCacheThreshold,omitempty"`
	QueueLengthThreshold *float64 `json:"queueLengthThreshold,omitempty"`
	KvSpareTrigger       *float64 `json:"kvSpareTrigger,omitempty"`
	QueueSpareTrigger    *float64 `json:"queueSpareTrigger,omitempty"`

	// saturn extensions.
	Analyzer                     string    `json:"analyzer,omitempty"`
	ScaleUpStabilizationWindow   *Duration `json:"scaleUpStabilizationWindow,omitempty"`
	ScaleDownStabilizationWindow *Duration `json:"scaleDownStabilizationWindow,omitempty"`
	// Capacity analyzer concurrency tuning (see CapacityTuning).
	ConcurrencyTarget     *float64 `json:"concurrencyTarget,omitempty"`
	ScaleDownMaxFraction  *float64 `json:"scaleDownMaxFraction,omitempty"`
	SaturationConcurrency *float64 `json:"saturationConcurrency,omitempty"`
	// SLOITL is the inter-token latency objective replicas are sized for (see CapacityTuning).
	SLOITL *Duration `json:"sloITL,omitempty"`
	// SLOTTFT is the time-to-first-token objective that sets how close to its saturated
	// rate a replica runs (see CapacityTuning).
	SLOTTFT *Duration `json:"sloTTFT,omitempty"`

	// WVA v0.5.1 keys saturn accepts without acting on them (each is reported when set in
	// a way saturn does not honour; see notices).
	EnableLimiter     *bool    `json:"enableLimiter,omitempty"`
	AnalyzerName      string   `json:"analyzerName,omitempty"`
	ScaleUpThreshold  *float64 `json:"scaleUpThreshold,omitempty"`
	ScaleDownBoundary *float64 `json:"scaleDownBoundary,omitempty"`
}

// notices says what of an entry saturn reads but does not act on: WVA's GPU limiter
// switch and its V2 analyzer keys.
func (e SaturationEntry) notices() []string {
	var out []string
	if e.EnableLimiter != nil && *e.EnableLimiter {
		out = append(out, "enableLimiter: true is not honoured: saturn has no GPU limiter (a scale-up is bounded by maxReplicas); WVA reads it from the default entry only")
	}
	var v2 []string
	if e.AnalyzerName != "" {
		v2 = append(v2, "analyzerName")
	}
	if e.ScaleUpThreshold != nil {
		v2 = append(v2, "scaleUpThreshold")
	}
	if e.ScaleDownBoundary != nil {
		v2 = append(v2, "scaleDownBoundary")
	}
	if len(v2) > 0 {
		out = append(out, strings.Join(v2, ", ")+" ignored: WVA's V2 analyzer keys, which WVA v0.5.1 validates but does not use; saturn's analyzer is chosen with `analyzer` (capacity or wva-v1)")
	}
	return out
}

// unknownNotice reports the fields of an entry saturn does not know.
func unknownNotice(unknown []string) string {
	return fmt.Sprintf("unknown field(s) %s ignored (misspelt? the entry's other fields apply)", strings.Join(unknown, ", "))
}

// SaturationSettings is the parsed wva-saturation-scaling-config.
type SaturationSettings struct {
	Default SaturationEntry
	// Overrides by ConfigMap key.
	Overrides map[string]SaturationEntry
	// Notices name, per entry, the fields applied without effect or not known at all
	// (unknown fields do not invalidate an entry, as in WVA; they are reported instead).
	Notices []string
}

// DefaultSaturationSettings returns WVA's documented defaults.
func DefaultSaturationSettings() SaturationSettings {
	return SaturationSettings{Default: SaturationEntry{
		KvCacheThreshold:     ptr(DefaultKvCacheThreshold),
		QueueLengthThreshold: ptr(DefaultQueueLengthThreshold),
		KvSpareTrigger:       ptr(DefaultKvSpareTrigger),
		QueueSpareTrigger:    ptr(DefaultQueueSpareTrigger),
	}}
}

// ParseSaturation parses the data of wva-saturation-scaling-config. It returns settings
// built from every valid entry and, when some entries are invalid, an error naming each
// of them; invalid entries are left out (the default entry falls back to built-ins).
func ParseSaturation(data map[string]string) (SaturationSettings, error) {
	out := DefaultSaturationSettings()
	var errs []error
	keys := sortedKeys(data)
	notice := func(key string, unknown []string, e SaturationEntry) {
		var ns []string
		if len(unknown) > 0 {
			ns = append(ns, unknownNotice(unknown))
		}
		for _, n := range append(ns, e.notices()...) {
			out.Notices = append(out.Notices, fmt.Sprintf("%s key %q: %s", SaturationConfigMapName, key, n))
		}
	}
	if raw, ok := data[DefaultKey]; ok {
		var e SaturationEntry
		unknown, err := decodeEntry(raw, &e)
		notice(DefaultKey, unknown, e)
		if err != nil {
			errs = append(errs, entryError(SaturationConfigMapName, DefaultKey, err))
		} else if err := e.validate(true, DefaultModelConfig().Thresholds); err != nil {
			errs = append(errs, entryError(SaturationConfigMapName, DefaultKey, err))
		} else {
			merged := out.Default
			merged.Merge(e)
			out.Default = merged
		}
	}
	base := out.Default.thresholds(DefaultModelConfig().Thresholds)
	seen := map[[2]string]string{}
	for _, key := range keys {
		if key == DefaultKey {
			continue
		}
		var e SaturationEntry
		unknown, err := decodeEntry(data[key], &e)
		notice(key, unknown, e)
		if err != nil {
			errs = append(errs, entryError(SaturationConfigMapName, key, err))
			continue
		}
		if err := e.validate(false, base); err != nil {
			errs = append(errs, entryError(SaturationConfigMapName, key, err))
			continue
		}
		if err := claim(seen, SaturationConfigMapName, key, e.Namespace, e.ModelID); err != nil {
			errs = append(errs, err)
			continue
		}
		if out.Overrides == nil {
			out.Overrides = map[string]SaturationEntry{}
		}
		out.Overrides[key] = e
	}
	return out, errors.Join(errs...)
}

// match finds the override for (namespace, model): an exact namespace match first, then
// an entry without namespace.
func (s SaturationSettings) match(namespace, modelID string) (SaturationEntry, string, bool) {
	return matchOverride(s.Overrides, namespace, modelID, func(e SaturationEntry) (string, string) { return e.Namespace, e.ModelID })
}

// Merge lays o over e: every threshold, window and setting o sets replaces e's, the
// others stay (how an override applies to the default entry).
func (e *SaturationEntry) Merge(o SaturationEntry) {
	if o.KvCacheThreshold != nil {
		e.KvCacheThreshold = o.KvCacheThreshold
	}
	if o.QueueLengthThreshold != nil {
		e.QueueLengthThreshold = o.QueueLengthThreshold
	}
	if o.KvSpareTrigger != nil {
		e.KvSpareTrigger = o.KvSpareTrigger
	}
	if o.QueueSpareTrigger != nil {
		e.QueueSpareTrigger = o.QueueSpareTrigger
	}
	if o.Analyzer != "" {
		e.Analyzer = o.Analyzer
	}
	if o.ScaleUpStabilizationWindow != nil {
		e.ScaleUpStabilizationWindow = o.ScaleUpStabilizationWindow
	}
	if o.ScaleDownStabilizationWindow != nil {
		e.ScaleDownStabilizationWindow = o.ScaleDownStabilizationWindow
	}
	if o.ConcurrencyTarget != nil {
		e.ConcurrencyTarget = o.ConcurrencyTarget
	}
	if o.ScaleDownMaxFraction != nil {
		e.ScaleDownMaxFraction = o.ScaleDownMaxFraction
	}
	if o.SaturationConcurrency != nil {
		e.SaturationConcurrency = o.SaturationConcurrency
	}
	if o.SLOITL != nil {
		e.SLOITL = o.SLOITL
	}
	if o.SLOTTFT != nil {
		e.SLOTTFT = o.SLOTTFT
	}
}

func (e SaturationEntry) applyTo(mc *ModelConfig) {
	mc.Thresholds = e.thresholds(mc.Thresholds)
	if e.Analyzer != "" {
		mc.Analyzer = e.Analyzer
	}
	if e.ScaleUpStabilizationWindow != nil {
		mc.ScaleUpStabilizationWindow = e.ScaleUpStabilizationWindow.Duration
	}
	if e.ScaleDownStabilizationWindow != nil {
		mc.ScaleDownStabilizationWindow = e.ScaleDownStabilizationWindow.Duration
	}
	if e.ConcurrencyTarget != nil {
		mc.Capacity.ConcurrencyTarget = *e.ConcurrencyTarget
	}
	if e.ScaleDownMaxFraction != nil {
		mc.Capacity.ScaleDownMaxFraction = *e.ScaleDownMaxFraction
	}
	if e.SaturationConcurrency != nil {
		mc.Capacity.SaturationConcurrency = *e.SaturationConcurrency
	}
	if e.SLOITL != nil {
		mc.Capacity.SLOITL = e.SLOITL.Duration
	}
	if e.SLOTTFT != nil {
		mc.Capacity.SLOTTFT = e.SLOTTFT.Duration
	}
}

func (e SaturationEntry) thresholds(base Thresholds) Thresholds {
	if e.KvCacheThreshold != nil {
		base.KvCacheThreshold = *e.KvCacheThreshold
	}
	if e.QueueLengthThreshold != nil {
		base.QueueLengthThreshold = *e.QueueLengthThreshold
	}
	if e.KvSpareTrigger != nil {
		base.KvSpareTrigger = *e.KvSpareTrigger
	}
	if e.QueueSpareTrigger != nil {
		base.QueueSpareTrigger = *e.QueueSpareTrigger
	}
	return base
}

// validate checks the entry; base supplies the values an override inherits so that the
// relations between fields are checked on the merged result.
func (e SaturationEntry) validate(isDefault bool, base Thresholds) error {
	var errs []error
	if isDefault {
		if e.ModelID != "" || e.Namespace != "" {
			errs = append(errs, errors.New("model_id and namespace belong in override entries, not in \"default\""))
		}
	} else if strings.TrimSpace(e.ModelID) == "" {
		errs = append(errs, errors.New("model_id is required in an override entry (the VariantAutoscaling spec.modelID it applies to)"))
	}
	t := e.thresholds(base)
	if !finite(t.KvCacheThreshold) || t.KvCacheThreshold <= 0 || t.KvCacheThreshold > 1 {
		errs = append(errs, fmt.Errorf("kvCacheThreshold %v: want a fraction in (0, 1], e.g. 0.80", t.KvCacheThreshold))
	}
	if !finite(t.QueueLengthThreshold) || t.QueueLengthThreshold <= 0 {
		errs = append(errs, fmt.Errorf("queueLengthThreshold %v: want a positive number of waiting requests, e.g. 5", t.QueueLengthThreshold))
	}
	if !finite(t.KvSpareTrigger) || t.KvSpareTrigger < 0 || t.KvSpareTrigger >= t.KvCacheThreshold {
		errs = append(errs, fmt.Errorf("kvSpareTrigger %v: want a fraction in [0, kvCacheThreshold=%v), e.g. 0.1", t.KvSpareTrigger, t.KvCacheThreshold))
	}
	if !finite(t.QueueSpareTrigger) || t.QueueSpareTrigger < 0 || t.QueueSpareTrigger >= t.QueueLengthThreshold {
		errs = append(errs, fmt.Errorf("queueSpareTrigger %v: want a number in [0, queueLengthThreshold=%v), e.g. 3", t.QueueSpareTrigger, t.QueueLengthThreshold))
	}
	switch e.Analyzer {
	case "", AnalyzerCapacity, AnalyzerWVAV1:
	default:
		errs = append(errs, fmt.Errorf("analyzer %q: want %q or %q", e.Analyzer, AnalyzerCapacity, AnalyzerWVAV1))
	}
	for name, f := range map[string]*float64{
		"concurrencyTarget":    e.ConcurrencyTarget,
		"scaleDownMaxFraction": e.ScaleDownMaxFraction,
	} {
		if f != nil && (!finite(*f) || *f <= 0 || *f > 1) {
			errs = append(errs, fmt.Errorf("%s %v: want a fraction in (0, 1], e.g. 0.5", name, *f))
		}
	}
	if f := e.SaturationConcurrency; f != nil && (!finite(*f) || *f < 0 || *f > 1e6) {
		errs = append(errs, fmt.Errorf("saturationConcurrency %v: want running requests per replica in [0, 1000000] (0 = learn it), e.g. 128", *f))
	}
	if d := e.SLOITL; d != nil && (d.Duration < 0 || d.Duration > MaxSLOITL) {
		errs = append(errs, fmt.Errorf("sloITL %v: want an inter-token latency between 0s (no objective) and %v, e.g. \"100ms\"", d.Duration, MaxSLOITL))
	}
	if d := e.SLOTTFT; d != nil && (d.Duration < 0 || d.Duration > MaxSLOTTFT) {
		errs = append(errs, fmt.Errorf("sloTTFT %v: want a time to first token between 0s (no objective) and %v, e.g. \"2s\"", d.Duration, MaxSLOTTFT))
	}
	for name, d := range map[string]*Duration{
		"scaleUpStabilizationWindow":   e.ScaleUpStabilizationWindow,
		"scaleDownStabilizationWindow": e.ScaleDownStabilizationWindow,
	} {
		if d != nil && (d.Duration < 0 || d.Duration > MaxStabilizationWindow) {
			errs = append(errs, fmt.Errorf("%s %v: want a duration between 0s and %v, e.g. \"5m\"", name, d.Duration, MaxStabilizationWindow))
		}
	}
	return errors.Join(errs...)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func ptr[T any](v T) *T { return &v }

// matchOverride finds the override for (namespace, model) in keys order: an exact
// namespace match first, then the first entry without namespace.
func matchOverride[E any](overrides map[string]E, namespace, modelID string, id func(E) (ns, model string)) (E, string, bool) {
	var fallback E
	fallbackKey, found := "", false
	for _, key := range sortedKeys(overrides) {
		e := overrides[key]
		ns, model := id(e)
		if model != modelID {
			continue
		}
		if ns == namespace {
			return e, key, true
		}
		if ns == "" && !found {
			fallback, fallbackKey, found = e, key, true
		}
	}
	return fallback, fallbackKey, found
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// claim records that key configures the (namespace, model) pair; a second entry for
// the same pair is an error naming both keys.
func claim(seen map[[2]string]string, cm, key, namespace, modelID string) error {
	id := [2]string{namespace, modelID}
	if prev, dup := seen[id]; dup {
		return entryError(cm, key, fmt.Errorf("model_id %q namespace %q is already configured by key %q; keep one entry", modelID, namespace, prev))
	}
	seen[id] = key
	return nil
}

func entryError(cm, key string, err error) error {
	return fmt.Errorf("ConfigMap %s key %q: %w", cm, key, err)
}

// Duration is a time.Duration written as a Go duration string ("90s", "5m") in YAML.
type Duration struct{ time.Duration }

// UnmarshalJSON accepts a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return fmt.Errorf("duration %s: want a quoted Go duration such as \"5m\" or \"90s\"", s)
	}
	v, err := time.ParseDuration(s[1 : len(s)-1])
	if err != nil {
		return fmt.Errorf("duration %s: want a Go duration such as \"5m\" or \"90s\": %w", s, err)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.Duration.String() + `"`), nil
}
