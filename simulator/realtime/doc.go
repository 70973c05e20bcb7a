// Package realtime drives the pure simulator engine on a clock, for the
// saturn-sim HTTP server.
//
// One goroutine (Driver.Run) owns the engine. HTTP handlers talk to it over a
// channel (Submit, Abort) and follow their requests through Streams: mailboxes
// that the driver updates and signals, never blocking on a slow client. The
// driver sleeps until the engine's next step ends (an absolute deadline on the
// injected clock), advances the engine to that time and releases the step's
// tokens at once; a late wake-up never shifts later deadlines, so pacing does
// not drift under load.
//
// Instant is a Backend that finishes every request when it is submitted, for
// the server's --no-latency mode.
//
// This package must not model anything: scheduling, KV cache and step times
// belong to simulator/engine. It must not call time.Now: time comes from the
// injected k8s.io/utils/clock.
package realtime
