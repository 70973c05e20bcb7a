package promclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// newTransport builds the HTTP transport: TLS trust, client certificates and
// bearer-token injection.
func newTransport(c Config) (http.RoundTripper, error) {
	tlsCfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         c.ServerName,
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // only when the user passes --prometheus-insecure-skip-verify
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading %s %q: %w", FlagCAFile, c.CAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s %q holds no PEM certificate", FlagCAFile, c.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	if c.CertFile != "" {
		// Load once now so a wrong path fails at start-up, then re-read on
		// every handshake so rotation needs no restart.
		if _, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile); err != nil {
			return nil, fmt.Errorf("loading client certificate %s %q / %s %q: %w", FlagCertFile, c.CertFile, FlagKeyFile, c.KeyFile, err)
		}
		certFile, keyFile := c.CertFile, c.KeyFile
		tlsCfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, fmt.Errorf("reloading client certificate %q: %w", certFile, err)
			}
			return &cert, nil
		}
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   5 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: c.timeout(),
	}
	var rt http.RoundTripper = base
	switch {
	case c.TokenFile != "":
		if _, err := readToken(c.TokenFile); err != nil {
			return nil, err
		}
		rt = &bearerRoundTripper{next: base, file: &tokenFile{path: c.TokenFile}}
	case c.Token != "":
		rt = &bearerRoundTripper{next: base, value: c.Token}
	}
	return rt, nil
}

// bearerRoundTripper adds "Authorization: Bearer <token>" to each request.
type bearerRoundTripper struct {
	next  http.RoundTripper
	value string
	file  *tokenFile
}

func (b *bearerRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	token := b.value
	if b.file != nil {
		t, err := b.file.get()
		if err != nil {
			return nil, err
		}
		token = t
	}
	if req.Header.Get("Authorization") == "" && token != "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return b.next.RoundTrip(req)
}

// tokenFile caches a token file's content and re-reads it when the file's
// modification time or size changes (projected service-account tokens are
// rotated by replacing the file).
type tokenFile struct {
	path string

	mu      sync.Mutex
	modTime time.Time
	size    int64
	token   string
}

func (f *tokenFile) get() (string, error) {
	st, err := os.Stat(f.path)
	if err != nil {
		return "", fmt.Errorf("reading %s %q: %w", FlagTokenFile, f.path, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token != "" && st.ModTime().Equal(f.modTime) && st.Size() == f.size {
		return f.token, nil
	}
	t, err := readToken(f.path)
	if err != nil {
		return "", err
	}
	f.token, f.modTime, f.size = t, st.ModTime(), st.Size()
	return t, nil
}

func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading %s %q: %w", FlagTokenFile, path, err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("%s %q is empty", FlagTokenFile, path)
	}
	return t, nil
}
