package promclient

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string // substrings; empty means valid
	}{
		{name: "https ok", cfg: Config{URL: "https://prom:9090"}},
		{name: "http allowed", cfg: Config{URL: "http://prom:9090", AllowHTTP: true}},
		{name: "missing url", cfg: Config{}, wantErr: []string{FlagURL, "required"}},
		{name: "plain http refused", cfg: Config{URL: "http://prom:9090"}, wantErr: []string{FlagAllowHTTP, "plain http"}},
		{name: "unknown scheme", cfg: Config{URL: "ftp://prom"}, wantErr: []string{"scheme must be https"}},
		{name: "no host", cfg: Config{URL: "https:///path"}, wantErr: []string{"no host"}},
		{name: "cert without key", cfg: Config{URL: "https://p", CertFile: "c.pem"}, wantErr: []string{FlagCertFile, FlagKeyFile}},
		{name: "negative timeout", cfg: Config{URL: "https://p", Timeout: -time.Second}, wantErr: []string{FlagTimeout}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, s := range tt.wantErr {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestNewRefusesPlainHTTP(t *testing.T) {
	_, err := New(Config{URL: "http://127.0.0.1:9090"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--prometheus-allow-http")
}

func TestNewReportsBadFiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing CA", Config{URL: "https://p", CAFile: dir + "/nope.pem"}, FlagCAFile},
		{"missing token", Config{URL: "https://p", TokenFile: dir + "/nope"}, FlagTokenFile},
		{"missing client cert", Config{URL: "https://p", CertFile: dir + "/c", KeyFile: dir + "/k"}, FlagCertFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
