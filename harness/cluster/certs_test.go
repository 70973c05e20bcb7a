package cluster

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTLSBundleVerifiesForPrometheusNames(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	b, err := NewTLSBundle(rand.Reader, now, time.Hour, PrometheusDNSNames("prometheus", "monitoring"), []net.IP{net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)

	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(b.CACert))
	pair, err := tls.X509KeyPair(b.ServerCert, b.ServerKey)
	require.NoError(t, err, "certificate and key match")
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	require.NoError(t, err)
	assert.False(t, leaf.IsCA)

	tests := []struct {
		name string
		ok   bool
	}{
		{"prometheus.monitoring.svc", true},
		{"prometheus.monitoring.svc.cluster.local", true},
		{"localhost", true},
		{"127.0.0.1", true},
		{"prometheus.other.svc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := leaf.Verify(x509.VerifyOptions{DNSName: tt.name, Roots: pool, CurrentTime: now.Add(time.Minute)})
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: pool, CurrentTime: now.Add(2 * time.Hour)})
	assert.Error(t, err, "expired after the validity")

	block, _ := pem.Decode(b.CACert)
	require.NotNil(t, block)
	ca, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.True(t, ca.IsCA)
}

func TestTLSBundleNeedsANameAndEntropy(t *testing.T) {
	_, err := NewTLSBundle(rand.Reader, time.Now(), time.Hour, nil, nil)
	require.ErrorContains(t, err, "no DNS name or IP address")
	_, err = NewTLSBundle(failingReader{}, time.Now(), time.Hour, []string{"x"}, nil)
	require.Error(t, err)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, assert.AnError }
