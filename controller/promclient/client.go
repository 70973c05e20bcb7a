package promclient

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Client runs instant and range PromQL queries against one Prometheus server.
// It is safe for concurrent use.
type Client struct {
	api     v1.API
	url     string
	timeout time.Duration
}

// New validates cfg, loads its CA and credentials, and returns a Client.
// It does not contact the server.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuring the Prometheus client: %w", err)
	}
	rt, err := newTransport(cfg)
	if err != nil {
		return nil, fmt.Errorf("configuring the Prometheus client: %w", err)
	}
	c, err := api.NewClient(api.Config{Address: cfg.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("configuring the Prometheus client for %s: %w", cfg.URL, err)
	}
	return &Client{api: v1.NewAPI(c), url: cfg.URL, timeout: cfg.timeout()}, nil
}

// Query evaluates query at ts and returns the resulting instant vector.
// A scalar result becomes a one-sample vector with no labels; any other
// result type is an error.
func (c *Client) Query(ctx context.Context, query string, ts time.Time) (model.Vector, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	val, _, _, err := c.api.Query(ctx, query, ts, v1.WithTimeout(c.timeout))
	if err != nil {
		return nil, fmt.Errorf("querying Prometheus at %s for %q: %w", c.url, query, err)
	}
	switch v := val.(type) {
	case model.Vector:
		return v, nil
	case *model.Scalar:
		return model.Vector{{Metric: model.Metric{}, Value: v.Value, Timestamp: v.Timestamp}}, nil
	default:
		return nil, fmt.Errorf("querying Prometheus at %s for %q: expected a vector, got %s", c.url, query, val.Type())
	}
}

// QueryRange evaluates query at every step from start to end (/api/v1/query_range) and
// returns the resulting series; any other result type is an error.
func (c *Client) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) (model.Matrix, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	val, _, _, err := c.api.QueryRange(ctx, query, v1.Range{Start: start, End: end, Step: step}, v1.WithTimeout(c.timeout))
	if err != nil {
		return nil, fmt.Errorf("querying Prometheus at %s for %q from %s to %s every %s: %w", c.url, query, start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), step, err)
	}
	m, ok := val.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("querying Prometheus at %s for %q over a range: expected a matrix, got %s", c.url, query, val.Type())
	}
	return m, nil
}

// Ping checks that the server answers an instant query; used by readiness
// checks and by explain before it prints anything.
func (c *Client) Ping(ctx context.Context, ts time.Time) error {
	_, err := c.Query(ctx, "vector(1)", ts)
	return err
}
