// Package record holds the single record every saturn run produces, in the
// digital twin or on a Kind cluster: one row per request, the replica
// timeline per variant, per-replica metric samples, replica lifecycle events
// and the controller's decisions with their inputs and reasons.
//
// Assertions (harness/assert) and reports (harness/report) read only this
// record, so the same scenario gives comparable verdicts in both modes. The
// package also summarises a record (percentiles, replica statistics,
// GPU-hours) and writes the files of an output directory: summary.json,
// requests.csv, timeline.csv, replicas.csv and decisions.jsonl.
//
// It must not know how a record was produced: no simulator, controller or
// cluster imports, no clock. All times are offsets from Meta.Start so that a
// twin run is byte-for-byte reproducible.
package record
