// Package report presents a run: the text summary table printed by `saturn
// run`, the side-by-side table of `saturn compare`, JSON (summary.json's
// form), JUnit XML for CI, and report.html, a self-contained page whose plots
// (load, replicas, KV-cache usage, queue, latency over time) are inline SVG
// drawn here, so it opens offline with no script or network.
//
// It reads only a record and its summary; it must not run scenarios,
// evaluate assertions or read the clock (wall-clock figures come in the
// summary's Run field).
package report
