package promtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// EnvBinary names the environment variable holding the Prometheus binary.
const EnvBinary = "SATURN_PROMETHEUS"

// Target is a loopback scrape target and the labels Prometheus attaches to
// its series (for example namespace and pod, as Kubernetes SD relabeling would).
type Target struct {
	Address string // host:port, scraped over plain HTTP at /metrics
	Labels  map[string]string
}

// Options configure Start.
type Options struct {
	Targets []Target
	// ScrapeInterval defaults to 1s.
	ScrapeInterval time.Duration
	// RequireClientCert makes the server demand a client certificate signed
	// by the test CA; Server.Client then holds one.
	RequireClientCert bool
}

// Server is a running Prometheus.
type Server struct {
	URL    string // https://127.0.0.1:port
	Addr   string // 127.0.0.1:port
	CA     *CA
	Client KeyPair // a client certificate signed by CA
	Dir    string

	cmd     *exec.Cmd
	stopped chan struct{}
	once    sync.Once
	log     *os.File
}

// Binary returns the Prometheus binary from $SATURN_PROMETHEUS, skipping the
// test when it is unset or missing outside CI and failing it in CI.
func Binary(t testing.TB) string {
	t.Helper()
	p := os.Getenv(EnvBinary)
	if p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("Prometheus binary not available (%s=%q); run the tests with `make test`, which builds bin/prometheus and sets %s", EnvBinary, p, EnvBinary)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Start runs Prometheus over HTTPS on a free loopback port and waits until
// it is ready. It is stopped at the end of the test.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	ca := NewCA(t, dir, "saturn-test")
	serverKP := ca.Issue(t, dir, "prometheus", true, "127.0.0.1", "localhost", "prometheus.test")
	clientKP := ca.Issue(t, dir, "client", false)
	addr := freeAddr(t)

	web := fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\n", serverKP.CertFile, serverKP.KeyFile)
	if opts.RequireClientCert {
		web += fmt.Sprintf("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: %s\n", ca.CertFile)
	}
	webFile := filepath.Join(dir, "web.yml")
	require.NoError(t, os.WriteFile(webFile, []byte(web), 0o600))

	interval := opts.ScrapeInterval
	if interval == 0 {
		interval = time.Second
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", interval, interval)
	if len(opts.Targets) == 0 {
		cfg.WriteString("scrape_configs: []\n")
	} else {
		cfg.WriteString("scrape_configs:\n")
	}
	for i, tg := range opts.Targets {
		fmt.Fprintf(&cfg, "- job_name: target-%d\n  static_configs:\n  - targets: [%q]\n", i, tg.Address)
		if len(tg.Labels) > 0 {
			cfg.WriteString("    labels:\n")
			for k, v := range tg.Labels {
				fmt.Fprintf(&cfg, "      %s: %q\n", k, v)
			}
		}
	}
	cfgFile := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(cfg.String()), 0o600))

	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	require.NoError(t, err)
	cmd := exec.Command(bin,
		"--config.file="+cfgFile,
		"--web.config.file="+webFile,
		"--web.listen-address="+addr,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start(), "starting %s", bin)
	s := &Server{
		URL: "https://" + addr, Addr: addr, CA: ca, Client: clientKP, Dir: dir,
		cmd: cmd, stopped: make(chan struct{}), log: logFile,
	}
	go func() { _ = cmd.Wait(); close(s.stopped) }()
	t.Cleanup(s.Stop)
	s.waitReady(t)
	return s
}

// Stop kills the server and waits for it to exit. Safe to call twice.
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.stopped
		_ = s.log.Close()
	})
}

// Log returns what Prometheus wrote so far (for failure messages).
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "prometheus.log"))
	return string(b)
}

func (s *Server) waitReady(t testing.TB) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CA.CertPEM)
	tlsCfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	cert, err := tls.LoadX509KeyPair(s.Client.CertFile, s.Client.KeyFile)
	require.NoError(t, err)
	tlsCfg.Certificates = []tls.Certificate{cert}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: time.Second}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.stopped:
			t.Fatalf("prometheus exited during start-up:\n%s", s.Log())
		default:
		}
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, s.URL+"/-/ready", nil)
		resp, err := hc.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("prometheus at %s not ready after 30s:\n%s", s.URL, s.Log())
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
