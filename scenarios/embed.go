package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// FS holds the library scenarios (*.yaml), the sample traces they replay and the schema.
//
//go:embed *.yaml traces/*.csv traces/*.jsonl scenario.schema.json
var FS embed.FS

// Quickstart is the scenario `make run` runs.
//
//go:embed quickstart.yaml
var Quickstart []byte

// Schema is the JSON Schema (draft 2020-12) of scenario files.
//
//go:embed scenario.schema.json
var Schema []byte

// Names lists the library scenarios by name (file name without .yaml), sorted.
func Names() []string {
	files, err := fs.Glob(FS, "*.yaml")
	if err != nil { // only for a malformed pattern
		return nil
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(f, ".yaml"))
	}
	slices.Sort(names)
	return names
}

// Load loads a library scenario by name ("quickstart" or "quickstart.yaml"); its trace files
// are read from the embedded library too.
func Load(name string) (*scenario.Scenario, error) {
	file := strings.TrimSuffix(path.Base(name), ".yaml") + ".yaml"
	if _, err := fs.Stat(FS, file); err != nil {
		return nil, fmt.Errorf("no library scenario %q; available: %s", name, strings.Join(Names(), ", "))
	}
	return scenario.LoadFS(FS, file)
}
