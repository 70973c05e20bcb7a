// Package realtimetest holds test doubles for code built on package realtime:
// FixedStep, a trivial engine with constant step times, so that drivers and
// servers can be tested without the physical model of simulator/engine.
//
// It must only be imported by tests.
package realtimetest
