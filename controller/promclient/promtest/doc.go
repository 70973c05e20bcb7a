// Package promtest starts a real Prometheus server over HTTPS for tests:
// it generates a throw-away CA and server (and client) certificates, writes a
// web config with tls_server_config and a scrape config for loopback
// targets, runs the binary named by $SATURN_PROMETHEUS and stops it when the
// test ends.
//
// It is test support only: production code must not import it. When the
// binary is missing it skips the test with a message naming `make test`,
// unless CI=true, where a missing binary fails the test.
package promtest
