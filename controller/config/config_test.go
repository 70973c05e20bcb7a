package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultsMatchWVA(t *testing.T) {
	mc := Default().For("any", "model")
	assert.Equal(t, Thresholds{KvCacheThreshold: 0.80, QueueLengthThreshold: 5, KvSpareTrigger: 0.1, QueueSpareTrigger: 3}, mc.Thresholds)
	assert.Equal(t, AnalyzerCapacity, mc.Analyzer)
	assert.Equal(t, 5*time.Minute, mc.ScaleDownStabilizationWindow)
	assert.Equal(t, time.Duration(0), mc.ScaleUpStabilizationWindow)
	assert.False(t, mc.ScaleToZero)
	// The zero Config behaves like Default.
	assert.Equal(t, mc.Thresholds, Config{}.For("any", "model").Thresholds)
}

func TestParseSaturationOverridesTakeEffect(t *testing.T) {
	data := map[string]string{
		"default": "kvCacheThreshold: 0.75\nqueueLengthThreshold: 8\nkvSpareTrigger: 0.15\nqueueSpareTrigger: 4\n",
		"llama-70b-prod": `model_id: meta/llama-70b
namespace: production
kvCacheThreshold: 0.85
kvSpareTrigger: 0.2
analyzer: wva-v1
scaleDownStabilizationWindow: 10m
`,
		"llama-70b-anywhere": "model_id: meta/llama-70b\nqueueLengthThreshold: 2\nqueueSpareTrigger: 1\n",
	}
	s, err := ParseSaturation(data)
	require.NoError(t, err)
	cfg := Config{Saturation: s, ScaleToZero: DefaultScaleToZeroSettings(false)}

	prod := cfg.For("production", "meta/llama-70b")
	assert.Equal(t, Thresholds{KvCacheThreshold: 0.85, QueueLengthThreshold: 8, KvSpareTrigger: 0.2, QueueSpareTrigger: 4}, prod.Thresholds,
		"namespace override wins; unset fields inherit from default")
	assert.Equal(t, AnalyzerWVAV1, prod.Analyzer)
	assert.Equal(t, 10*time.Minute, prod.ScaleDownStabilizationWindow)
	assert.Contains(t, prod.Source, "llama-70b-prod")

	other := cfg.For("staging", "meta/llama-70b")
	assert.Equal(t, Thresholds{KvCacheThreshold: 0.75, QueueLengthThreshold: 2, KvSpareTrigger: 0.15, QueueSpareTrigger: 1}, other.Thresholds,
		"model-wide override applies in other namespaces")
	assert.Equal(t, AnalyzerCapacity, other.Analyzer)

	plain := cfg.For("production", "other-model")
	assert.Equal(t, Thresholds{KvCacheThreshold: 0.75, QueueLengthThreshold: 8, KvSpareTrigger: 0.15, QueueSpareTrigger: 4}, plain.Thresholds)
}

func TestCapacityTuningKeys(t *testing.T) {
	assert.Equal(t, CapacityTuning{ConcurrencyTarget: DefaultConcurrencyTarget, ScaleDownMaxFraction: DefaultScaleDownMaxFraction},
		Default().For("ns", "m").Capacity, "built-in defaults")
	s, err := ParseSaturation(map[string]string{
		"default": "concurrencyTarget: 0.3\n",
		"big":     "model_id: big\nscaleDownMaxFraction: 0.25\nsaturationConcurrency: 128\nsloITL: 80ms\nsloTTFT: 2s\n",
	})
	require.NoError(t, err)
	cfg := Config{Saturation: s}
	assert.Equal(t, CapacityTuning{ConcurrencyTarget: 0.3, ScaleDownMaxFraction: 0.25, SaturationConcurrency: 128, SLOITL: 80 * time.Millisecond, SLOTTFT: 2 * time.Second}, cfg.For("ns", "big").Capacity,
		"the override sets four fields and inherits concurrencyTarget from default")
	assert.Equal(t, CapacityTuning{ConcurrencyTarget: 0.3, ScaleDownMaxFraction: DefaultScaleDownMaxFraction}, cfg.For("ns", "other").Capacity)
	assert.Equal(t, CapacityTuning{ConcurrencyTarget: DefaultConcurrencyTarget, ScaleDownMaxFraction: DefaultScaleDownMaxFraction},
		CapacityTuning{ConcurrencyTarget: 7, ScaleDownMaxFraction: -1, SaturationConcurrency: -5, SLOTTFT: -time.Second}.WithDefaults(), "invalid values fall back")
}

func TestParseSaturationErrors(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string]string
		wantErr []string
		// check is evaluated on the settings returned alongside the error.
		check func(t *testing.T, s SaturationSettings)
	}{
		{
			name:    "threshold out of range",
			data:    map[string]string{"default": "kvCacheThreshold: 1.5\n"},
			wantErr: []string{"kvCacheThreshold 1.5: want a fraction in (0, 1]"},
		},
		{
			name:    "trigger above its threshold",
			data:    map[string]string{"default": "queueLengthThreshold: 2\nqueueSpareTrigger: 3\n"},
			wantErr: []string{"queueSpareTrigger 3: want a number in [0, queueLengthThreshold=2)"},
		},
		{
			name:    "override without model_id",
			data:    map[string]string{"x": "kvCacheThreshold: 0.7\n"},
			wantErr: []string{`key "x"`, "model_id is required"},
		},
		{
			name:    "wrong type",
			data:    map[string]string{"x": "model_id: m\nkvCacheThreshold: high\n"},
			wantErr: []string{`key "x"`, "decoding fields"},
		},
		{
			name:    "YAML boolean where a string is due",
			data:    map[string]string{"x": "model_id: n\n"},
			wantErr: []string{"field model_id: got a YAML bool, want a string", `model_id: "n"`},
		},
		{
			name:    "bad duration",
			data:    map[string]string{"x": "model_id: m\nscaleDownStabilizationWindow: 5 minutes\n"},
			wantErr: []string{`key "x"`, `want a Go duration such as "5m"`},
		},
		{
			name:    "window too long",
			data:    map[string]string{"x": "model_id: m\nscaleDownStabilizationWindow: 3h\n"},
			wantErr: []string{"scaleDownStabilizationWindow 3h0m0s"},
		},
		{
			name:    "concurrencyTarget out of range",
			data:    map[string]string{"x": "model_id: m\nconcurrencyTarget: 0\n"},
			wantErr: []string{`key "x"`, "concurrencyTarget 0: want a fraction in (0, 1]"},
		},
		{
			name:    "scaleDownMaxFraction above one",
			data:    map[string]string{"default": "scaleDownMaxFraction: 1.5\n"},
			wantErr: []string{`key "default"`, "scaleDownMaxFraction 1.5: want a fraction in (0, 1]"},
		},
		{
			name:    "sloITL out of range",
			data:    map[string]string{"x": "model_id: m\nsloITL: 11s\n", "y": "model_id: other\nsloITL: -5ms\n"},
			wantErr: []string{`sloITL 11s: want an inter-token latency between 0s (no objective) and 10s, e.g. "100ms"`, "sloITL -5ms"},
		},
		{
			name:    "sloTTFT out of range",
			data:    map[string]string{"x": "model_id: m\nsloTTFT: 11m\n", "y": "model_id: other\nsloTTFT: -1s\n"},
			wantErr: []string{`sloTTFT 11m0s: want a time to first token between 0s (no objective) and 10m0s, e.g. "2s"`, "sloTTFT -1s"},
		},
		{
			name:    "negative saturationConcurrency",
			data:    map[string]string{"x": "model_id: m\nsaturationConcurrency: -3\n"},
			wantErr: []string{"saturationConcurrency -3: want running requests per replica in [0, 1000000]"},
		},
		{
			name:    "unknown analyzer",
			data:    map[string]string{"x": "model_id: m\nanalyzer: magic\n"},
			wantErr: []string{`analyzer "magic": want "capacity" or "wva-v1"`},
		},
		{
			name:    "duplicate model entries",
			data:    map[string]string{"a": "model_id: m\n", "b": "model_id: m\n"},
			wantErr: []string{`key "b"`, `already configured by key "a"`},
			check: func(t *testing.T, s SaturationSettings) {
				assert.Contains(t, s.Overrides, "a")
				assert.NotContains(t, s.Overrides, "b")
			},
		},
		{
			name:    "model_id in default",
			data:    map[string]string{"default": "model_id: m\n"},
			wantErr: []string{"belong in override entries"},
		},
		{
			name:    "not a mapping",
			data:    map[string]string{"default": "- 1\n- 2\n"},
			wantErr: []string{"want a YAML mapping"},
		},
		{
			name:    "empty value",
			data:    map[string]string{"x": "  \n"},
			wantErr: []string{"empty value"},
		},
		{
			name:    "invalid YAML",
			data:    map[string]string{"x": "model_id: [\n"},
			wantErr: []string{"invalid YAML"},
		},
		{
			name:    "a bad override does not hide a good one",
			data:    map[string]string{"bad": "model_id: m\nkvCacheThreshold: -1\n", "good": "model_id: n1\nkvCacheThreshold: 0.6\n"},
			wantErr: []string{`key "bad"`},
			check: func(t *testing.T, s SaturationSettings) {
				assert.InDelta(t, 0.6, Config{Saturation: s}.For("ns", "n1").KvCacheThreshold, 1e-12)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSaturation(tc.data)
			require.Error(t, err)
			for _, w := range tc.wantErr {
				assert.ErrorContains(t, err, w)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}

func TestParseScaleToZero(t *testing.T) {
	data := map[string]string{
		"default":          "enable_scale_to_zero: true\nretention_period: \"15m\"\n",
		"llama-8b":         "model_id: meta/llama-3.1-8b\nretention_period: \"5m\"\n",
		"llama-70b":        "model_id: meta/llama-3.1-70b\nenable_scale_to_zero: false\n",
		"llama-production": "model_id: meta/llama-3.1-8b\nnamespace: production\nenable_scale_to_zero: true\nretention_period: 30m\n",
	}
	s, err := ParseScaleToZero(data, false)
	require.NoError(t, err)
	cfg := Config{Saturation: DefaultSaturationSettings(), ScaleToZero: s}
	tests := []struct {
		ns, model string
		enabled   bool
		retention time.Duration
	}{
		{"dev", "other", true, 15 * time.Minute},
		{"dev", "meta/llama-3.1-8b", true, 5 * time.Minute},
		{"production", "meta/llama-3.1-8b", true, 30 * time.Minute},
		{"dev", "meta/llama-3.1-70b", false, 15 * time.Minute},
	}
	for _, tc := range tests {
		mc := cfg.For(tc.ns, tc.model)
		assert.Equal(t, tc.enabled, mc.ScaleToZero, "%s/%s", tc.ns, tc.model)
		assert.Equal(t, tc.retention, mc.RetentionPeriod, "%s/%s", tc.ns, tc.model)
	}
}

func TestParseScaleToZeroDefaultsAndErrors(t *testing.T) {
	s, err := ParseScaleToZero(nil, true)
	require.NoError(t, err)
	mc := Config{ScaleToZero: s}.For("a", "b")
	assert.True(t, mc.ScaleToZero, "global switch applies without a ConfigMap")
	assert.Equal(t, DefaultRetentionPeriod, mc.RetentionPeriod)

	s, err = ParseScaleToZero(map[string]string{"__defaults__": "enable_scale_to_zero: true\nretention_period: 1m\n"}, false)
	require.NoError(t, err)
	assert.Equal(t, time.Minute, Config{ScaleToZero: s}.For("a", "b").RetentionPeriod, "legacy defaults key")

	_, err = ParseScaleToZero(map[string]string{"default": "retention_period: -5m\n"}, false)
	require.ErrorContains(t, err, "retention_period -5m0s: want a positive Go duration")
	_, err = ParseScaleToZero(map[string]string{"x": "enable_scale_to_zero: yes please\n"}, false)
	require.ErrorContains(t, err, `wva-model-scale-to-zero-config key "x"`)
	_, err = ParseScaleToZero(map[string]string{"default": "enable_scale_to_zero: true\n", "__defaults__": "enable_scale_to_zero: false\n"}, false)
	require.ErrorContains(t, err, `both "default" and "__defaults__" are present`)
	_, err = ParseScaleToZero(map[string]string{"x": "model_id: m\nretention_period: 300\n"}, false)
	require.ErrorContains(t, err, "want a quoted Go duration")
}

func TestDurationRoundTrip(t *testing.T) {
	d := Duration{90 * time.Second}
	b, err := d.MarshalJSON()
	require.NoError(t, err)
	var back Duration
	require.NoError(t, back.UnmarshalJSON(b))
	assert.Equal(t, d, back)
}

func TestNamespaceLocalConfigMapsReplaceGlobal(t *testing.T) {
	global, err := ParseSaturation(map[string]string{
		"default": "kvCacheThreshold: 0.80\n",
		"m":       "model_id: m\nqueueLengthThreshold: 9\nqueueSpareTrigger: 1\n",
	})
	require.NoError(t, err)
	prod, err := ParseSaturation(map[string]string{"default": "kvCacheThreshold: 0.70\nqueueLengthThreshold: 3\nkvSpareTrigger: 0.2\nqueueSpareTrigger: 1\n"})
	require.NoError(t, err)
	gz, err := ParseScaleToZero(map[string]string{"m": "model_id: m\nenable_scale_to_zero: true\nretention_period: 10m\n"}, false)
	require.NoError(t, err)
	stagingZ, err := ParseScaleToZero(map[string]string{"m": "model_id: m\nenable_scale_to_zero: false\nretention_period: 5m\n"}, false)
	require.NoError(t, err)
	cfg := Config{
		Saturation: global, ScaleToZero: gz,
		NamespaceSaturation:  map[string]SaturationSettings{"production": prod},
		NamespaceScaleToZero: map[string]ScaleToZeroSettings{"staging": stagingZ},
	}

	p := cfg.For("production", "m")
	assert.Equal(t, Thresholds{KvCacheThreshold: 0.70, QueueLengthThreshold: 3, KvSpareTrigger: 0.2, QueueSpareTrigger: 1}, p.Thresholds,
		"the namespace-local ConfigMap replaces the global one, its model override included")
	assert.Contains(t, p.Source, "production/wva-saturation-scaling-config/default")
	assert.True(t, p.ScaleToZero, "no local scale-to-zero ConfigMap in production: global applies")

	s := cfg.For("staging", "m")
	assert.Equal(t, 9.0, s.QueueLengthThreshold, "global saturation override applies in staging")
	assert.False(t, s.ScaleToZero)
	assert.Equal(t, 5*time.Minute, s.RetentionPeriod)
	assert.Contains(t, s.Source, "staging/wva-model-scale-to-zero-config/m")
}

// WVA v0.5.1's own default entry (deploy/configmap-saturation-scaling.yaml) applies as it
// is; its enableLimiter: false needs no notice. Unknown fields and WVA's keys saturn does
// not act on never invalidate an entry: the rest applies and each is named in a notice.
func TestWVAKeysAndUnknownFieldsAreReportedNotFatal(t *testing.T) {
	s, err := ParseSaturation(map[string]string{"default": "kvCacheThreshold: 0.80\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n# Enable GPU limiter\nenableLimiter: false\n"})
	require.NoError(t, err)
	assert.Empty(t, s.Notices)
	assert.Equal(t, 0.80, *s.Default.KvCacheThreshold)

	s, err = ParseSaturation(map[string]string{
		"default": "kvCacheThreshold: 0.7\nkvCacheTreshold: 0.6\nenableLimiter: true\n",
		"v2":      "model_id: m\nanalyzerName: saturation-v2\nscaleUpThreshold: 0.85\nscaleDownBoundary: 0.7\nqueueLengthThreshold: 9\n",
	})
	require.NoError(t, err)
	assert.Equal(t, 0.7, *s.Default.KvCacheThreshold, "the entry's known fields apply")
	assert.Equal(t, 9.0, Config{Saturation: s}.For("ns", "m").QueueLengthThreshold)
	require.Len(t, s.Notices, 3, "%q", s.Notices)
	assert.Contains(t, s.Notices[0], `wva-saturation-scaling-config key "default": unknown field(s) kvCacheTreshold ignored`)
	assert.Contains(t, s.Notices[1], `key "default": enableLimiter: true is not honoured: saturn has no GPU limiter`)
	assert.Contains(t, s.Notices[2], `key "v2": analyzerName, scaleUpThreshold, scaleDownBoundary ignored: WVA's V2 analyzer keys`)

	z, err := ParseScaleToZero(map[string]string{"default": "enable_scale_to_zero: true\nretention: 5m\n"}, false)
	require.NoError(t, err)
	assert.True(t, *z.Default.EnableScaleToZero)
	require.Len(t, z.Notices, 1)
	assert.Contains(t, z.Notices[0], `wva-model-scale-to-zero-config key "default": unknown field(s) retention ignored`)
}

// Load installs one ConfigMap's data as the global settings or as a namespace's copy.
func TestLoad(t *testing.T) {
	var cfg Config
	notices, err := cfg.Load("", true, map[string]string{"default": "kvCacheThreshold: 0.7\nbogus: 1\n"}, false)
	require.NoError(t, err)
	assert.Len(t, notices, 1)
	_, err = cfg.Load("team", true, map[string]string{"default": "kvCacheThreshold: 0.6\n"}, false)
	require.NoError(t, err)
	_, err = cfg.Load("team", false, map[string]string{"default": "enable_scale_to_zero: true\n"}, false)
	require.NoError(t, err)
	assert.InDelta(t, 0.7, cfg.For("other", "m").KvCacheThreshold, 1e-12)
	assert.InDelta(t, 0.6, cfg.For("team", "m").KvCacheThreshold, 1e-12)
	assert.True(t, cfg.For("team", "m").ScaleToZero)
	assert.False(t, cfg.For("other", "m").ScaleToZero)
	_, err = cfg.Load("", true, map[string]string{"x": "kvCacheThreshold: 0.7\n"}, false)
	assert.ErrorContains(t, err, "model_id is required", "an invalid entry is reported")
}
