package promclient

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Flag names the user-facing errors refer to. The app registers flags with
// these names so an error message always points at a real flag.
const (
	FlagURL                = "--prometheus-url"
	FlagCAFile             = "--prometheus-ca-file"
	FlagCertFile           = "--prometheus-cert-file"
	FlagKeyFile            = "--prometheus-key-file"
	FlagTokenFile          = "--prometheus-token-file"
	FlagToken              = "--prometheus-token"
	FlagServerName         = "--prometheus-server-name"
	FlagInsecureSkipVerify = "--prometheus-insecure-skip-verify"
	FlagAllowHTTP          = "--prometheus-allow-http"
	FlagTimeout            = "--prometheus-timeout"
)

// DefaultTimeout bounds one query when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config says how to reach Prometheus.
type Config struct {
	// URL is the base URL of the Prometheus HTTP API, e.g.
	// https://prometheus.monitoring.svc:9090 (no /api/v1 suffix).
	URL string
	// CAFile is a PEM bundle trusted for the server certificate. Empty means
	// the system roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key for mutual
	// TLS. Both or neither. They are re-read on every TLS handshake so a
	// rotated certificate is picked up without a restart.
	CertFile, KeyFile string
	// TokenFile holds a bearer token; re-read when the file changes.
	TokenFile string
	// Token is a bearer token value; TokenFile wins when both are set.
	Token string
	// ServerName overrides the name checked against the server certificate.
	ServerName string
	// InsecureSkipVerify disables server certificate verification. Only for
	// tests and emergencies; never the default.
	InsecureSkipVerify bool
	// AllowHTTP permits a plain http:// URL.
	AllowHTTP bool
	// Timeout bounds each query (DefaultTimeout when zero).
	Timeout time.Duration
}

// Validate checks the configuration without touching the network or files.
func (c Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, fmt.Errorf("%s is required (e.g. https://prometheus.monitoring.svc:9090)", FlagURL))
	} else if u, err := url.Parse(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("%s %q is not a URL: %w", FlagURL, c.URL, err))
	} else {
		switch strings.ToLower(u.Scheme) {
		case "https":
		case "http":
			if !c.AllowHTTP {
				errs = append(errs, fmt.Errorf("%s %q uses plain http: metrics and tokens would travel unencrypted; use https, or pass %s to allow it", FlagURL, c.URL, FlagAllowHTTP))
			}
		default:
			errs = append(errs, fmt.Errorf("%s %q: scheme must be https (or http with %s)", FlagURL, c.URL, FlagAllowHTTP))
		}
		if u.Host == "" {
			errs = append(errs, fmt.Errorf("%s %q has no host", FlagURL, c.URL))
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, fmt.Errorf("%s and %s must be given together", FlagCertFile, FlagKeyFile))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("%s must not be negative, got %s", FlagTimeout, c.Timeout))
	}
	return errors.Join(errs...)
}

func (c Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}
