package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"sigs.k8s.io/yaml"
)

// maxValueBytes bounds one ConfigMap value (an entry is a handful of fields).
const maxValueBytes = 16 << 10

// decodeStrict decodes one ConfigMap value (YAML) into out, rejecting unknown fields,
// duplicate fields and trailing documents.
func decodeStrict(raw string, out any) error {
	if len(raw) > maxValueBytes {
		return fmt.Errorf("value is %d bytes; an entry holds a few fields, at most %d bytes", len(raw), maxValueBytes)
	}
	if len(bytes.TrimSpace([]byte(raw))) == 0 {
		return errors.New("empty value: write YAML fields such as \"kvCacheThreshold: 0.8\"")
	}
	js, err := yaml.YAMLToJSONStrict([]byte(raw))
	if err != nil {
		return fmt.Errorf("invalid YAML: %w", err)
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return errors.New("empty value: write YAML fields such as \"kvCacheThreshold: 0.8\"")
	}
	if len(js) == 0 || js[0] != '{' {
		return fmt.Errorf("want a YAML mapping of fields, got %s", truncate(string(js), 60))
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
