// Package assert evaluates a scenario's assertions over a run's record
// (harness/record), over the whole run or one named traffic phase, and gives
// each a pass/fail result with the observed value.
//
// It reads only the record and the scenario's assertions, so twin and Kind
// runs of the same scenario are judged alike. It must not run anything,
// read clocks or files.
package assert
