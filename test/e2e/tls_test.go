//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// prometheusHostURL is Prometheus through the Kind port mapping (kind/cluster.yaml).
const prometheusHostURL = "https://127.0.0.1:39090"

// Feature 1: Prometheus serves HTTPS only; the controller reaches it with the CA; a
// plain-HTTP URL is refused with the documented message.
func TestPrometheusHTTPSOnly(t *testing.T) {
	f := features.New("prometheus serves HTTPS only").
		Assess("the CA verifies it, nothing else does", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			pool := x509.NewCertPool()
			require.True(t, pool.AppendCertsFromPEM(suite.TLS.CACert))
			verified := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
			resp, err := verified.Get(prometheusHostURL + "/-/ready")
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)

			_, err = (&http.Client{Timeout: 10 * time.Second}).Get(prometheusHostURL + "/-/ready")
			assert.ErrorContains(t, err, "certificate signed by unknown authority")

			resp, err = (&http.Client{Timeout: 10 * time.Second}).Get("http://127.0.0.1:39090/-/ready")
			if err == nil {
				_ = resp.Body.Close()
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "plain HTTP gets no answer but Go's TLS-server rejection")
			}
			return ctx
		}).
		Assess("the controller refuses a plain-HTTP Prometheus URL", func(ctx context.Context, t *testing.T, _ *envconf.Config) context.Context {
			bin := filepath.Join(suite.Root, "bin", "saturn-controller")
			if _, err := os.Stat(bin); err != nil {
				t.Fatalf("%s is missing: `make build` builds it (kind/e2e.sh runs it)", bin)
			}
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(cctx, bin, "--prometheus-url", "http://prometheus.monitoring.svc:9090").CombinedOutput()
			require.Error(t, err, string(out))
			assert.Contains(t, string(out), "uses plain http")
			assert.Contains(t, string(out), "--prometheus-allow-http")
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
