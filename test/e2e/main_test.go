//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/utils/clock"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	harness "github.com/saturn-autoscaler/saturn/harness/e2e"
	"github.com/saturn-autoscaler/saturn/harness/twin"
)

var (
	testenv env.Environment
	suite   *harness.Env
	// artifacts receives records and, on failure, the cluster's logs.
	artifacts string
)

func mustEnv(name string) string {
	v := os.Getenv(name)
	if v == "" {
		fmt.Fprintf(os.Stderr, "e2e: %s is not set: run the suite with `make e2e` (kind/e2e.sh sets it)\n", name)
		os.Exit(2)
	}
	return v
}

func TestMain(m *testing.M) {
	kubeconfig := mustEnv("SATURN_KUBECONFIG")
	root := mustEnv("SATURN_ROOT")
	artifacts = os.Getenv("SATURN_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join(root, "artifacts", "e2e")
	}
	cfg, err := envconf.NewFromFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: parsing flags:", err)
		os.Exit(2)
	}
	cfg.WithKubeconfigFile(kubeconfig)
	testenv = env.NewWithConfig(cfg)

	testenv.Setup(func(ctx context.Context, _ *envconf.Config) (context.Context, error) {
		suite, err = harness.NewEnv(root, kubeconfig, mustEnv("SATURN_HELM"), os.Stderr)
		if err != nil {
			return ctx, err
		}
		suite.Twin = twin.Driver{} // each run's floor and plan, as `saturn e2e` gives them
		setupCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		return ctx, suite.SetupPrometheus(setupCtx, clock.RealClock{}.Now())
	})
	code := testenv.Run(m)
	if code != 0 {
		exportLogs()
	}
	os.Exit(code)
}

// exportLogs saves the cluster's logs into artifacts/ after a failure.
func exportLogs() {
	kind, name := os.Getenv("SATURN_KIND"), os.Getenv("SATURN_KIND_CLUSTER")
	if kind == "" || name == "" {
		return
	}
	dest := filepath.Join(artifacts, "cluster-logs")
	out, err := exec.Command(kind, "export", "logs", dest, "--name", name).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: exporting cluster logs: %v: %s\n", err, out)
		return
	}
	fmt.Fprintf(os.Stderr, "e2e: cluster logs exported to %s\n", dest)
}
