package load

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// API selects the OpenAI endpoint requests are sent to.
const (
	APICompletions = "completions"
	APIChat        = "chat"
)

// Options configure a replay.
type Options struct {
	// Target is the server's base URL, e.g. http://saturn-sim:8000 (the /v1/... path is appended).
	Target string
	// Model is the "model" field of every request (default: the scenario's model).
	Model string
	// API is "completions" (/v1/completions) or "chat" (/v1/chat/completions).
	API string
	// APIKey is sent as a bearer token when set.
	APIKey string
	// RequestTimeout bounds one request from its scheduled arrival.
	RequestTimeout time.Duration
	// MaxInFlight caps concurrent requests; a request arriving above the cap is recorded as
	// an error instead of being delayed (delaying it would close the loop).
	MaxInFlight int
	// Drain is how long to wait for in-flight requests after the last arrival; requests
	// still unanswered then are recorded as lost.
	Drain time.Duration
}

// DefaultOptions returns the defaults used by `saturn load`.
func DefaultOptions() Options {
	return Options{
		API:            APICompletions,
		RequestTimeout: 5 * time.Minute,
		MaxInFlight:    10000,
		Drain:          2 * time.Minute,
	}
}

// AddFlags registers the options on fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Target, "target", o.Target, "base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000")
	fs.StringVar(&o.Model, "model", o.Model, "model name sent in requests (default: the scenario's model)")
	fs.StringVar(&o.API, "api", o.API, "endpoint: completions (/v1/completions) or chat (/v1/chat/completions)")
	fs.StringVar(&o.APIKey, "api-key", o.APIKey, "bearer token sent with every request")
	fs.DurationVar(&o.RequestTimeout, "request-timeout", o.RequestTimeout, "longest a request may take from its scheduled arrival")
	fs.IntVar(&o.MaxInFlight, "max-in-flight", o.MaxInFlight, "requests above this many in flight are recorded as errors, never delayed")
	fs.DurationVar(&o.Drain, "drain", o.Drain, "how long to wait for in-flight requests after the last arrival")
}

// Validate checks the options; errors name the flag and the fix.
func (o *Options) Validate() error {
	if o.Target == "" {
		return fmt.Errorf("--target is required: the base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000")
	}
	u, err := url.Parse(o.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--target %q is not an http(s) URL with a host, e.g. http://127.0.0.1:8000", o.Target)
	}
	if strings.Contains(u.Path, "/v1/") {
		return fmt.Errorf("--target %q must be the base URL without the /v1/... path (it is added from --api)", o.Target)
	}
	if o.API != APICompletions && o.API != APIChat {
		return fmt.Errorf("--api %q: use %q or %q", o.API, APICompletions, APIChat)
	}
	if o.RequestTimeout <= 0 {
		return fmt.Errorf("--request-timeout must be positive, got %s", o.RequestTimeout)
	}
	if o.MaxInFlight <= 0 {
		return fmt.Errorf("--max-in-flight must be positive, got %d", o.MaxInFlight)
	}
	if o.Drain < 0 {
		return fmt.Errorf("--drain must not be negative, got %s", o.Drain)
	}
	return nil
}

// endpoint is the full URL requests are posted to.
func (o *Options) endpoint() string {
	base := strings.TrimRight(o.Target, "/")
	if o.API == APIChat {
		return base + "/v1/chat/completions"
	}
	return base + "/v1/completions"
}
