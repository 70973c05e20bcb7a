package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// maxValueBytes bounds one ConfigMap value (an entry is a handful of fields).
const maxValueBytes = 16 << 10

// decodeEntry decodes one ConfigMap value (YAML) into out, rejecting duplicate fields,
// trailing documents and wrong types. Fields out does not know are not an error (WVA
// ignores them too, and its ConfigMaps carry keys saturn does not use): they are returned,
// sorted, for the caller to report by name.
func decodeEntry(raw string, out any) (unknown []string, err error) {
	js, err := entryJSON(raw)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(js, &fields); err != nil {
		return nil, fmt.Errorf("decoding fields: %w", err)
	}
	known := jsonFields(reflect.TypeOf(out).Elem())
	for k := range fields {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	return unknown, decodeStrict(js, out, unknown)
}

// jsonFields are the JSON names of a struct type's fields.
func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

// entryJSON checks one ConfigMap value and converts it to a JSON object.
func entryJSON(raw string) ([]byte, error) {
	if len(raw) > maxValueBytes {
		return nil, fmt.Errorf("value is %d bytes; an entry holds a few fields, at most %d bytes", len(raw), maxValueBytes)
	}
	if len(bytes.TrimSpace([]byte(raw))) == 0 {
		return nil, errors.New("empty value: write YAML fields such as \"kvCacheThreshold: 0.8\"")
	}
	js, err := yaml.YAMLToJSONStrict([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return nil, errors.New("empty value: write YAML fields such as \"kvCacheThreshold: 0.8\"")
	}
	if len(js) == 0 || js[0] != '{' {
		return nil, fmt.Errorf("want a YAML mapping of fields, got %s", truncate(string(js), 60))
	}
	return js, nil
}

// decodeStrict decodes a JSON object into out; the fields named in skip are dropped first,
// every other unknown field is an error.
func decodeStrict(js []byte, out any, skip []string) error {
	if len(skip) > 0 {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(js, &fields); err != nil {
			return fmt.Errorf("decoding fields: %w", err)
		}
		for _, k := range skip {
			delete(fields, k)
		}
		var err error
		if js, err = json.Marshal(fields); err != nil {
			return fmt.Errorf("decoding fields: %w", err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Value != "object" {
			return fmt.Errorf("decoding fields: field %s: got a YAML %s, want a %s (quote strings that YAML reads as booleans or numbers, e.g. model_id: \"n\")",
				typeErr.Field, typeErr.Value, typeErr.Type)
		}
		return fmt.Errorf("decoding fields: %w", err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
