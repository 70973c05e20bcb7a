package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds scenario files (they are hand-written; traces live in separate files).
const maxFileSize = 4 << 20

// Load reads, strictly decodes, defaults and validates the scenario file at path.
// Errors are an ErrorList of located problems, or an I/O error.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	return LoadBytes(path, data)
}

// LoadFS is Load for a file in fsys (e.g. an embedded library); trace paths resolve in fsys.
func LoadFS(fsys fs.FS, name string) (*Scenario, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	return loadData(name, data, fsys)
}

// LoadBytes is Load for a file already in memory; name is used in errors and to resolve
// relative trace paths (its directory).
func LoadBytes(name string, data []byte) (*Scenario, error) {
	return loadData(name, data, nil)
}

// loadData decodes, defaults and validates, then checks that a trace file can be read.
func loadData(name string, data []byte, fsys fs.FS) (*Scenario, error) {
	s, positions, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	s.FS, s.positions = fsys, positions
	s.Default()
	sink := newErrorSink(name)
	sink.positions = positions
	s.validate(sink)
	if sink.err() == nil && s.Spec.Traffic.Trace != nil {
		checkTrace(s, sink)
	}
	if err := sink.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// checkTrace opens a scenario's trace and reads its first record, so that a missing file or
// a wrong format is reported when loading rather than in the middle of a run.
func checkTrace(s *Scenario, sink *errorSink) {
	f, err := openTrace(s)
	if err != nil {
		sink.field("spec.traffic.trace.path", "%v (the path is relative to the scenario file)", err)
		return
	}
	defer f.Close()
	if _, err := f.Next(); err != nil && !errors.Is(err, io.EOF) {
		sink.field("spec.traffic.trace.format", "%v (is the format %q right?)", err, s.Spec.Traffic.Trace.Format)
	}
}

// decode strictly decodes a scenario without defaulting or validating it, and returns the
// position of every field it read.
func decode(name string, data []byte) (*Scenario, map[string]position, error) {
	sink := newErrorSink(name)
	if len(data) > maxFileSize {
		sink.at(position{}, "", "file is larger than %d bytes", maxFileSize)
		return nil, nil, sink.err()
	}
	root, err := parseSingleDocument(data)
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			sink.at(position{line: se.line}, "", "invalid YAML: %s", se.msg)
		} else {
			sink.at(position{}, "", "%s", err)
		}
		return nil, nil, sink.err()
	}
	if root == nil {
		sink.at(position{}, "", "file is empty; a scenario starts with apiVersion: %s and kind: %s", APIVersion, Kind)
		return nil, nil, sink.err()
	}
	if !checkHeader(root, sink) {
		return nil, nil, sink.err()
	}
	s := &Scenario{Source: name}
	d := &decoder{sink: sink}
	d.decode(root, reflect.ValueOf(s).Elem(), "")
	if err := sink.err(); err != nil {
		return nil, nil, err
	}
	return s, sink.positions, nil
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// syntaxError is a YAML syntax error, with its line when the parser gives one.
type syntaxError struct {
	line int
	msg  string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// parseSingleDocument parses YAML and insists on exactly one document.
func parseSingleDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		se := &syntaxError{msg: err.Error()}
		if m := yamlLine.FindStringSubmatch(se.msg); m != nil {
			se.line, _ = strconv.Atoi(m[1])
			se.msg = se.msg[len(m[0]):]
		}
		return nil, se
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document ('---'); put one scenario per file")
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	return &doc, nil
}

// checkHeader verifies apiVersion and kind before anything else is decoded, so a file of
// another kind gets one clear error instead of many unknown-field errors.
func checkHeader(root *yaml.Node, sink *errorSink) bool {
	if root.Kind != yaml.MappingNode {
		sink.at(position{root.Line, root.Column}, "", "expected a mapping starting with apiVersion: %s", APIVersion)
		return false
	}
	want := map[string]string{"apiVersion": APIVersion, "kind": Kind}
	found := map[string]bool{}
	ok := true
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		exp, isHeader := want[k.Value]
		if !isHeader || found[k.Value] {
			continue
		}
		found[k.Value] = true
		if v.Kind != yaml.ScalarNode || v.Value != exp {
			sink.at(position{v.Line, v.Column}, k.Value, "got %s; expected %q", describe(v), exp)
			ok = false
		}
	}
	for _, k := range []string{"apiVersion", "kind"} {
		if !found[k] {
			sink.at(position{root.Line, root.Column}, k, "missing; a scenario starts with apiVersion: %s and kind: %s", APIVersion, Kind)
			ok = false
		}
	}
	return ok
}

// String renders a one-line summary, e.g. for logs.
func (s *Scenario) String() string {
	var names []string
	for _, v := range s.Spec.Variants {
		names = append(names, v.Name+"@"+v.Accelerator)
	}
	return fmt.Sprintf("%s (%s, %s, %s)", s.Metadata.Name, s.Spec.Model.Name, strings.Join(names, ","), s.Spec.Duration)
}
