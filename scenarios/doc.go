// Package scenarios is saturn's scenario library: the YAML scenarios in this directory, their
// sample traces, and the JSON Schema of the language, embedded so that binaries can run a
// library scenario by name (saturn run quickstart) without the source tree.
//
// It only carries files and loads them through harness/scenario; it must not define the
// language (harness/scenario does) or run anything. Kind e2e scenarios live in scenarios/e2e
// and are not part of this embed.
package scenarios
