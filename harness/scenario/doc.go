// Package scenario is saturn's scenario language: the Go types of a scenario file
// (apiVersion saturn.dev/v1alpha1, kind Scenario), a strict loader (Load, LoadBytes) that
// decodes, then defaults, then validates, and the deterministic request stream a scenario
// describes (Requests, NewGenerator).
//
// Decoding is strict: unknown fields, wrong types, duplicate keys and impossible values are
// errors located by file, line, column and field path (ErrorList of *FieldError), saying what
// is allowed. The language itself is documented in scenarios/README.md; the JSON Schema in
// scenarios/scenario.schema.json lists the same fields.
//
// The package is pure: no goroutines, no clock, no network. Request generation depends only on
// the scenario and the seed, streams (never holds the whole run in memory) and reads trace
// files only through harness/traces. It must not know about the twin, the record or
// Kubernetes: drivers (harness/twin, harness/load) consume its types.
package scenario
