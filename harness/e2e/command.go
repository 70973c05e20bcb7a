package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// Options are the flags of `saturn e2e`.
type Options struct {
	Kubeconfig string
	Helm       string
	Root       string
	Out        string
	Twin       bool
}

// DefaultOptions point at what kind/cluster.sh and `make test-deps` produce.
func DefaultOptions() Options {
	cache := os.Getenv("SATURN_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "saturn")
	}
	return Options{
		Kubeconfig: filepath.Join(cache, "kind", "saturn.kubeconfig"),
		Helm:       filepath.Join("bin", "helm"),
		Root:       ".",
		Out:        filepath.Join("out", "e2e"),
	}
}

// AddFlags registers the options.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "kubeconfig of the cluster (kind/cluster.sh writes this one)")
	fs.StringVar(&o.Helm, "helm", o.Helm, "helm binary (`make test-deps` builds bin/helm)")
	fs.StringVar(&o.Root, "root", o.Root, "repository root holding charts/")
	fs.StringVar(&o.Out, "out", o.Out, "directory receiving the run's record (a subdirectory per mode)")
	fs.BoolVar(&o.Twin, "twin", o.Twin, "also run the scenario in the digital twin and print both side by side")
}

// Validate checks the options; errors name the flag and the fix.
func (o *Options) Validate() error {
	if _, err := os.Stat(o.Kubeconfig); err != nil {
		return fmt.Errorf("--kubeconfig %s: %w (create the cluster with `bash kind/cluster.sh`)", o.Kubeconfig, err)
	}
	if _, err := os.Stat(o.Helm); err != nil {
		return fmt.Errorf("--helm %s: %w (build it with `make test-deps`)", o.Helm, err)
	}
	if _, err := os.Stat(filepath.Join(o.Root, "charts", "saturn", "Chart.yaml")); err != nil {
		return fmt.Errorf("--root %s does not hold charts/saturn: %w", o.Root, err)
	}
	return nil
}

// NewCommand returns `saturn e2e FILE [--twin]`; tw sizes each run's floor and plan
// and runs --twin's comparison (nil: neither).
func NewCommand(stdout, stderr io.Writer, tw Twin) *cobra.Command {
	o := DefaultOptions()
	cmd := &cobra.Command{
		Use:   "e2e FILE",
		Short: "Run a scenario for real on the Kind cluster (TLS Prometheus, controller, simulated accelerators)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return Run(cmd.Context(), args[0], o, tw, stdout, stderr)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

// Run executes `saturn e2e`.
func Run(ctx context.Context, file string, o Options, tw Twin, stdout, stderr io.Writer) error {
	if o.Twin && tw == nil {
		return fmt.Errorf("--twin: this build has no digital twin to run the scenario in")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading scenario %s: %w", file, err)
	}
	sc, err := scenario.LoadBytes(file, raw)
	if err != nil {
		return err
	}
	if err := Supports(sc); err != nil {
		return err
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return fmt.Errorf("resolving --root %s: %w", o.Root, err)
	}
	env, err := NewEnv(root, o.Kubeconfig, o.Helm, stderr)
	if err != nil {
		return err
	}
	env.Twin = tw
	clk := clock.RealClock{}
	if err := env.SetupPrometheus(ctx, clk.Now()); err != nil {
		return err
	}
	kind, err := env.RunScenario(ctx, sc, raw, clk)
	if err != nil {
		return err
	}
	// Leave the cluster as the next run expects it: no simulator or VariantAutoscaling left.
	if err := env.Teardown(ctx, sc); err != nil {
		env.Log.Warn("removing the scenario's objects failed", "err", err)
	}
	if err := record.WriteDir(filepath.Join(o.Out, record.ModeKind), kind.Record, &kind.Summary); err != nil {
		return err
	}
	fmt.Fprintln(stdout, kind.Describe())
	if !o.Twin {
		return nil
	}
	start := time.Now()
	trec, err := tw.Run(ctx, sc)
	if err != nil {
		return fmt.Errorf("running scenario %s in the twin: %w", sc.Metadata.Name, err)
	}
	tsum := record.Summarize(trec)
	env.Log.Info("twin run finished", "wall", time.Since(start).Round(time.Millisecond))
	if err := record.WriteDir(filepath.Join(o.Out, record.ModeTwin), trec, &tsum); err != nil {
		return err
	}
	return WriteComparison(stdout, FiguresOf(trec, &tsum), FiguresOf(kind.Record, &kind.Summary))
}
