// Package promclient is the controller's read-only client for a Prometheus
// server reached over HTTPS. It implements collector.RangeQuerier: one instant
// PromQL query in, one vector out, or one range query in, one matrix out.
//
// It owns the transport concerns only: TLS trust (CA file, server name,
// insecureSkipVerify when explicitly asked), client certificates, bearer
// tokens (a value, or a file re-read when it rotates), timeouts, and errors
// that name the query that failed. Plain http:// is refused unless the caller
// sets AllowHTTP (the --prometheus-allow-http flag).
//
// It must not build queries, interpret samples or make scaling decisions:
// that is the collector's and the planner's job.
package promclient
