package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Helm runs the helm binary (bin/helm) against one cluster.
type Helm struct {
	// Binary is the helm executable; Kubeconfig the cluster's kubeconfig file.
	Binary, Kubeconfig string
	// Output receives helm's output (nil: discarded unless helm fails).
	Output io.Writer
}

// Release is one chart installation.
type Release struct {
	Name, Chart, Namespace string
	// Values are passed as one values file.
	Values map[string]any
	// Wait for the release's resources to be ready, at most Timeout.
	Wait    bool
	Timeout time.Duration
}

// upgradeArgs returns helm's arguments for an idempotent install of r with the values
// file at valuesFile.
func (h Helm) upgradeArgs(r Release, valuesFile string) []string {
	args := []string{"upgrade", "--install", r.Name, r.Chart, "--namespace", r.Namespace, "--create-namespace"}
	if h.Kubeconfig != "" {
		args = append(args, "--kubeconfig", h.Kubeconfig)
	}
	if valuesFile != "" {
		args = append(args, "--values", valuesFile)
	}
	if r.Wait {
		args = append(args, "--wait")
	}
	if r.Timeout > 0 {
		args = append(args, "--timeout", r.Timeout.String())
	}
	return args
}

// UpgradeInstall installs or upgrades a release.
func (h Helm) UpgradeInstall(ctx context.Context, r Release) error {
	valuesFile := ""
	if len(r.Values) > 0 {
		data, err := yaml.Marshal(r.Values)
		if err != nil {
			return fmt.Errorf("encoding values of release %s: %w", r.Name, err)
		}
		dir, err := os.MkdirTemp("", "saturn-helm-")
		if err != nil {
			return fmt.Errorf("creating a values file for release %s: %w", r.Name, err)
		}
		defer func() { _ = os.RemoveAll(dir) }()
		valuesFile = filepath.Join(dir, "values.yaml")
		if err := os.WriteFile(valuesFile, data, 0o600); err != nil {
			return fmt.Errorf("writing values of release %s: %w", r.Name, err)
		}
	}
	return h.run(ctx, h.upgradeArgs(r, valuesFile)...)
}

// Uninstall removes a release; a missing release is not an error.
func (h Helm) Uninstall(ctx context.Context, name, namespace string) error {
	args := []string{"uninstall", name, "--namespace", namespace, "--ignore-not-found", "--wait"}
	if h.Kubeconfig != "" {
		args = append(args, "--kubeconfig", h.Kubeconfig)
	}
	return h.run(ctx, args...)
}

func (h Helm) run(ctx context.Context, args ...string) error {
	if h.Binary == "" {
		return fmt.Errorf("running helm: no helm binary configured (build it with `make test-deps`, it lands in bin/helm)")
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, h.Binary, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if h.Output != nil {
		_, _ = h.Output.Write(out.Bytes())
	}
	if err != nil {
		return fmt.Errorf("helm %s: %w: %s", strings.Join(args[:min(len(args), 3)], " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
