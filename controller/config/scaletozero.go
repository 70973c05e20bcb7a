package config

import (
	"errors"
	"fmt"
	"strings"
)

// ScaleToZeroEntry is one key of wva-model-scale-to-zero-config. Unset fields inherit
// from the default entry.
type ScaleToZeroEntry struct {
	ModelID           string    `json:"model_id,omitempty"`
	Namespace         string    `json:"namespace,omitempty"`
	EnableScaleToZero *bool     `json:"enable_scale_to_zero,omitempty"`
	RetentionPeriod   *Duration `json:"retention_period,omitempty"`
}

// ScaleToZeroSettings is the parsed wva-model-scale-to-zero-config.
type ScaleToZeroSettings struct {
	Default   ScaleToZeroEntry
	Overrides map[string]ScaleToZeroEntry
	// Notices name the unknown fields of entries (ignored, as in WVA, and reported).
	Notices []string
}

// DefaultScaleToZeroSettings returns the settings used without a ConfigMap; enabled is
// the global switch (the chart's wva.scaleToZero, WVA's WVA_SCALE_TO_ZERO).
func DefaultScaleToZeroSettings(enabled bool) ScaleToZeroSettings {
	return ScaleToZeroSettings{Default: ScaleToZeroEntry{
		EnableScaleToZero: ptr(enabled),
		RetentionPeriod:   &Duration{DefaultRetentionPeriod},
	}}
}

// ParseScaleToZero parses the data of wva-model-scale-to-zero-config. globalEnabled is
// the default for enable_scale_to_zero when the "default" entry does not set it. Like
// ParseSaturation it keeps valid entries and reports each invalid one.
func ParseScaleToZero(data map[string]string, globalEnabled bool) (ScaleToZeroSettings, error) {
	out := DefaultScaleToZeroSettings(globalEnabled)
	var errs []error
	defKey := ""
	if _, ok := data[DefaultKey]; ok {
		defKey = DefaultKey
	} else if _, ok := data[LegacyDefaultKey]; ok {
		defKey = LegacyDefaultKey
	}
	if defKey != "" {
		var e ScaleToZeroEntry
		unknown, err := decodeEntry(data[defKey], &e)
		out.notice(defKey, unknown)
		if err != nil {
			errs = append(errs, entryError(ScaleToZeroConfigMapName, defKey, err))
		} else if err := e.validate(true); err != nil {
			errs = append(errs, entryError(ScaleToZeroConfigMapName, defKey, err))
		} else {
			if e.EnableScaleToZero != nil {
				out.Default.EnableScaleToZero = e.EnableScaleToZero
			}
			if e.RetentionPeriod != nil {
				out.Default.RetentionPeriod = e.RetentionPeriod
			}
		}
	}
	seen := map[[2]string]string{}
	for _, key := range sortedKeys(data) {
		if key == DefaultKey || key == LegacyDefaultKey {
			if key != defKey {
				errs = append(errs, entryError(ScaleToZeroConfigMapName, key,
					fmt.Errorf("both %q and %q are present; keep %q", DefaultKey, LegacyDefaultKey, DefaultKey)))
			}
			continue
		}
		var e ScaleToZeroEntry
		unknown, err := decodeEntry(data[key], &e)
		out.notice(key, unknown)
		if err != nil {
			errs = append(errs, entryError(ScaleToZeroConfigMapName, key, err))
			continue
		}
		if err := e.validate(false); err != nil {
			errs = append(errs, entryError(ScaleToZeroConfigMapName, key, err))
			continue
		}
		if err := claim(seen, ScaleToZeroConfigMapName, key, e.Namespace, e.ModelID); err != nil {
			errs = append(errs, err)
			continue
		}
		if out.Overrides == nil {
			out.Overrides = map[string]ScaleToZeroEntry{}
		}
		out.Overrides[key] = e
	}
	return out, errors.Join(errs...)
}

func (e ScaleToZeroEntry) validate(isDefault bool) error {
	var errs []error
	if isDefault {
		if e.ModelID != "" || e.Namespace != "" {
			errs = append(errs, errors.New("model_id and namespace belong in override entries, not in the defaults entry"))
		}
	} else if strings.TrimSpace(e.ModelID) == "" {
		errs = append(errs, errors.New("model_id is required in an override entry (the VariantAutoscaling spec.modelID it applies to)"))
	}
	if e.RetentionPeriod != nil && e.RetentionPeriod.Duration <= 0 {
		errs = append(errs, fmt.Errorf("retention_period %v: want a positive Go duration such as \"10m\"", e.RetentionPeriod.Duration))
	}
	return errors.Join(errs...)
}

func (s ScaleToZeroSettings) match(namespace, modelID string) (ScaleToZeroEntry, string, bool) {
	return matchOverride(s.Overrides, namespace, modelID, func(e ScaleToZeroEntry) (string, string) { return e.Namespace, e.ModelID })
}

func (e ScaleToZeroEntry) applyTo(mc *ModelConfig) {
	if e.EnableScaleToZero != nil {
		mc.ScaleToZero = *e.EnableScaleToZero
	}
	if e.RetentionPeriod != nil {
		mc.RetentionPeriod = e.RetentionPeriod.Duration
	}
}

// notice records the unknown fields of an entry.
func (s *ScaleToZeroSettings) notice(key string, unknown []string) {
	if len(unknown) > 0 {
		s.Notices = append(s.Notices, fmt.Sprintf("%s key %q: %s", ScaleToZeroConfigMapName, key, unknownNotice(unknown)))
	}
}
