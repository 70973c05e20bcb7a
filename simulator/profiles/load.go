package profiles

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

//go:embed accelerators/*.yaml models/*.yaml
var builtin embed.FS

// ParseAccelerator decodes one accelerator profile strictly (unknown fields are
// errors) and validates it. name is used in error messages (a file name).
func ParseAccelerator(name string, data []byte) (Accelerator, error) {
	var a Accelerator
	if err := yaml.UnmarshalStrict(data, &a); err != nil {
		return Accelerator{}, fmt.Errorf("decoding accelerator profile %s: %w", name, err)
	}
	if err := a.Validate(); err != nil {
		return Accelerator{}, fmt.Errorf("validating accelerator profile %s: %w", name, err)
	}
	return a, nil
}

// ParseModel decodes one model profile strictly and validates it.
func ParseModel(name string, data []byte) (Model, error) {
	var m Model
	if err := yaml.UnmarshalStrict(data, &m); err != nil {
		return Model{}, fmt.Errorf("decoding model profile %s: %w", name, err)
	}
	if err := m.Validate(); err != nil {
		return Model{}, fmt.Errorf("validating model profile %s: %w", name, err)
	}
	return m, nil
}

// LoadAcceleratorFile reads an accelerator profile from a YAML file.
func LoadAcceleratorFile(file string) (Accelerator, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Accelerator{}, fmt.Errorf("reading accelerator profile: %w", err)
	}
	return ParseAccelerator(file, data)
}

// LoadModelFile reads a model profile from a YAML file.
func LoadModelFile(file string) (Model, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Model{}, fmt.Errorf("reading model profile: %w", err)
	}
	return ParseModel(file, data)
}

// LookupAccelerator returns the built-in accelerator profile with that name
// (case-insensitive).
func LookupAccelerator(name string) (Accelerator, error) {
	all, err := Accelerators()
	if err != nil {
		return Accelerator{}, err
	}
	for _, a := range all {
		if strings.EqualFold(a.Name, name) {
			return a, nil
		}
	}
	return Accelerator{}, fmt.Errorf("unknown accelerator %q: use one of %s or give a profile file", name, strings.Join(AcceleratorNames(), ", "))
}

// LookupModel returns the built-in model profile with that name (case-insensitive).
func LookupModel(name string) (Model, error) {
	all, err := Models()
	if err != nil {
		return Model{}, err
	}
	for _, m := range all {
		if strings.EqualFold(m.Name, name) {
			return m, nil
		}
	}
	return Model{}, fmt.Errorf("unknown model %q: use one of %s or give a profile file", name, strings.Join(ModelNames(), ", "))
}

// Accelerators returns every built-in accelerator profile, sorted by name.
func Accelerators() ([]Accelerator, error) {
	return loadAll("accelerators", ParseAccelerator, func(a Accelerator) string { return a.Name })
}

// Models returns every built-in model profile, sorted by name.
func Models() ([]Model, error) {
	return loadAll("models", ParseModel, func(m Model) string { return m.Name })
}

// AcceleratorNames lists the built-in accelerator names, sorted.
func AcceleratorNames() []string {
	all, _ := Accelerators()
	names := make([]string, 0, len(all))
	for _, a := range all {
		names = append(names, a.Name)
	}
	return names
}

// ModelNames lists the built-in model names, sorted.
func ModelNames() []string {
	all, _ := Models()
	names := make([]string, 0, len(all))
	for _, m := range all {
		names = append(names, m.Name)
	}
	return names
}

func loadAll[T any](dir string, parse func(string, []byte) (T, error), name func(T) string) ([]T, error) {
	entries, err := fs.ReadDir(builtin, dir)
	if err != nil {
		return nil, fmt.Errorf("listing built-in %s profiles: %w", dir, err)
	}
	out := make([]T, 0, len(entries))
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		data, err := fs.ReadFile(builtin, p)
		if err != nil {
			return nil, fmt.Errorf("reading built-in profile %s: %w", p, err)
		}
		v, err := parse(p, data)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(name(a), name(b)) })
	return out, nil
}
