package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"sigs.k8s.io/yaml"
)

// decodeStrict decodes one ConfigMap value (YAML) into out, rejecting unknown fields,
// duplicate fields and trailing documents.
func decodeStrict(raw string, out any) error {
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
