// Package helmtest renders Helm charts in tests with the real helm binary, the one
// `make test` builds into bin/helm and names in SATURN_HELM.
package helmtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// Binary returns the helm binary SATURN_HELM names. Without it the test is skipped with
// why (what the test checks with helm), or fails under CI, where it must run.
func Binary(t testing.TB, why string) string {
	t.Helper()
	helm := os.Getenv("SATURN_HELM")
	if helm == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SATURN_HELM is not set: run the tests through `make test`")
		}
		t.Skip("SATURN_HELM is not set: " + why + "; `make test` and .ci/run set SATURN_HELM=bin/helm, so it runs there")
	}
	return helm
}

// Template renders the chart directory with values as release "r" in namespace and
// returns the manifests; helm's errors fail t with its stderr.
func Template(t testing.TB, helm, chart, namespace string, values map[string]any) string {
	t.Helper()
	data, err := yaml.Marshal(values)
	if err != nil {
		t.Fatalf("marshalling the values for %s: %v", chart, err)
	}
	vf := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(vf, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, helm, "template", "r", chart, "--namespace", namespace, "--values", vf)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template %s: %v\n%s", chart, err, stderr.String())
	}
	return string(out)
}
