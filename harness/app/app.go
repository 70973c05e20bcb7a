package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/saturn-autoscaler/saturn/harness/assert"
	"github.com/saturn-autoscaler/saturn/harness/e2e"
	"github.com/saturn-autoscaler/saturn/harness/load"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/report"
	"github.com/saturn-autoscaler/saturn/harness/router"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/harness/twin"
	"github.com/saturn-autoscaler/saturn/scenarios"
)

// Extra builds an additional subcommand; see NewRootCommand.
type Extra func(stdout, stderr io.Writer) *cobra.Command

// Run executes the saturn command line (args without the program name).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, extras ...Extra) error {
	root := NewRootCommand(stdout, stderr, extras...)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// NewRootCommand builds the saturn command tree.
func NewRootCommand(stdout, stderr io.Writer, extras ...Extra) *cobra.Command {
	root := &cobra.Command{
		Use:           "saturn",
		Short:         "Test LLM inference autoscaling: replay traffic scenarios in a digital twin or on Kind",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRunCommand(stdout, stderr), newValidateCommand(stdout), newCompareCommand(stdout, stderr))
	// Real-cluster subcommands live in their own packages: `e2e` (harness/e2e),
	// `load` (harness/load) and `router` (harness/router).
	root.AddCommand(e2e.NewCommand(stdout, stderr, twin.Driver{}), load.NewCommand(stdout, stderr), router.NewCommand(stdout, stderr))
	for _, e := range extras {
		root.AddCommand(e(stdout, stderr))
	}
	return root
}

// RunOptions are the flags of `saturn run`.
type RunOptions struct {
	Out      string
	Format   string
	JUnit    string
	Seed     uint64
	Progress string // auto, always, never
	Limits   LimitOptions
}

// AddFlags registers the options on a command.
func (o *RunOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.Out, "out", "", "write summary.json, requests.csv, timeline.csv, replicas.csv, decisions.jsonl and report.html into this directory")
	f.StringVar(&o.Format, "format", "text", "summary format on stdout: text or json")
	f.StringVar(&o.JUnit, "junit", "", "write the assertions as JUnit XML to this file")
	f.Uint64Var(&o.Seed, "seed", 0, "override spec.seed (0 keeps the scenario's)")
	f.StringVar(&o.Progress, "progress", "auto", "progress bar on stderr: auto (only on a terminal), always or never")
	o.Limits.AddFlags(cmd)
}

// Validate checks flag values.
func (o *RunOptions) Validate() error {
	if o.Format != "text" && o.Format != "json" {
		return invalid("--format %q: must be text or json", o.Format)
	}
	switch o.Progress {
	case "auto", "always", "never":
	default:
		return invalid("--progress %q: must be auto, always or never", o.Progress)
	}
	return o.Limits.Validate()
}

// LimitOptions are the flags bounding the scenarios a command loads (see scenario.Limits).
type LimitOptions struct {
	scenario.Limits
}

// AddFlags registers --max-requests and --max-duration.
func (o *LimitOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Int64Var(&o.MaxRequests, "max-requests", scenario.DefaultMaxRequests, "refuse a scenario expected to generate more requests than this (trace replays: --max-duration only; 0 means the default)")
	f.DurationVar(&o.MaxDuration, "max-duration", scenario.DefaultMaxDuration, "refuse a scenario whose spec.duration is longer than this (0 means the default, 31 days)")
}

// Validate checks flag values.
func (o *LimitOptions) Validate() error {
	if err := o.Limits.Validate(); err != nil {
		return invalid("%w", err)
	}
	return nil
}

func newRunCommand(stdout, stderr io.Writer) *cobra.Command {
	o := &RunOptions{}
	cmd := &cobra.Command{
		Use:   "run [FILE]",
		Short: "Run a scenario in the digital twin (the embedded quickstart without FILE)",
		Long: "Run a scenario on a virtual clock against simulated vLLM replicas, an embedded Prometheus and the\n" +
			"controller's own logic, then print the verdict and a summary. Exit code 0 when every assertion\n" +
			"holds, 1 when one fails, 2 when the scenario is invalid.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			sc, err := loadArg(args, o.Limits.Limits)
			if err != nil {
				return err
			}
			return runOne(cmd.Context(), sc, o, stdout, stderr)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// loadArg loads the scenario file, or the embedded quickstart, within limits.
func loadArg(args []string, limits scenario.Limits) (*scenario.Scenario, error) {
	if len(args) == 0 {
		sc, err := scenarios.Load("quickstart")
		if err != nil {
			return nil, invalid("loading the embedded quickstart scenario: %w", err)
		}
		return withinLimits(sc, limits)
	}
	return loadFile(args[0], limits)
}

// loadFile loads a scenario file, or a library scenario by bare name, and refuses it when it
// exceeds limits.
func loadFile(path string, limits scenario.Limits) (*scenario.Scenario, error) {
	if _, err := os.Stat(path); err != nil {
		// A bare library name ("spike") is accepted too.
		if sc, lerr := scenarios.Load(path); lerr == nil && filepath.Base(path) == path {
			return withinLimits(sc, limits)
		}
		return nil, invalid("reading scenario %s: %w", path, err)
	}
	sc, err := scenario.Load(path)
	if err != nil {
		return nil, invalid("%w", err)
	}
	return withinLimits(sc, limits)
}

func withinLimits(sc *scenario.Scenario, limits scenario.Limits) (*scenario.Scenario, error) {
	if err := sc.CheckLimits(limits); err != nil {
		return nil, invalid("%w", err)
	}
	return sc, nil
}

// outcome is one finished twin run.
type outcome struct {
	rec  *record.Record
	sum  record.Summary
	wall time.Duration
}

// execute runs the scenario and evaluates its assertions.
func execute(ctx context.Context, sc *scenario.Scenario, seed uint64, progress func(done, total time.Duration)) (*outcome, error) {
	start := time.Now()
	var simulated time.Time
	rec, err := twin.Run(ctx, sc, twin.Options{Seed: seed, Progress: progress, Simulated: func() { simulated = time.Now() }})
	if err != nil {
		if errors.Is(err, twin.ErrInvalidScenario) {
			return nil, &ExitError{Code: ExitInvalid, Err: fmt.Errorf("scenario %s: %w", sc.Metadata.Name, err)}
		}
		return nil, fmt.Errorf("running scenario %s: %w", sc.Metadata.Name, err)
	}
	wall := simulated.Sub(start)
	sum := record.Summarize(rec)
	assert.Apply(&sum, sc.Spec.Assertions, rec)
	sum.Run = &record.RunStats{WallSeconds: wall.Seconds(), YardstickSeconds: time.Since(simulated).Seconds()}
	if s := wall.Seconds(); s > 0 {
		sum.Run.SimSecondsPerWall = rec.Meta.Duration.Seconds() / s
		sum.Run.RequestsPerWallSecond = float64(len(rec.Requests)) / s
	}
	return &outcome{rec: rec, sum: sum, wall: wall}, nil
}

func runOne(ctx context.Context, sc *scenario.Scenario, o *RunOptions, stdout, stderr io.Writer) error {
	bar := newProgress(stderr, o.Progress, sc.Metadata.Name)
	out, err := execute(ctx, sc, o.Seed, bar.update)
	bar.done()
	if err != nil {
		return err
	}
	if err := writeOutputs(out, o); err != nil {
		return err
	}
	if o.Format == "json" {
		err = report.JSON(stdout, &out.sum)
	} else {
		err = report.Text(stdout, &out.sum)
		if err == nil && o.Out != "" {
			_, err = fmt.Fprintf(stdout, "outputs in %s (open %s)\n", o.Out, filepath.Join(o.Out, "report.html"))
		}
	}
	if err != nil {
		return fmt.Errorf("writing the summary: %w", err)
	}
	if out.sum.Verdict != record.VerdictPass {
		return &ExitError{Code: ExitAssertionsFailed, Err: fmt.Errorf("scenario %s: %w", sc.Metadata.Name, ErrAssertionsFailed)}
	}
	return nil
}

func writeOutputs(out *outcome, o *RunOptions) error {
	if o.Out != "" {
		if err := record.WriteDir(o.Out, out.rec, &out.sum); err != nil {
			return fmt.Errorf("--out %s: %w", o.Out, err)
		}
		if err := writeFile(filepath.Join(o.Out, "report.html"), func(w io.Writer) error { return report.HTML(w, out.rec, &out.sum) }); err != nil {
			return err
		}
	}
	if o.JUnit != "" {
		if err := writeFile(o.JUnit, func(w io.Writer) error { return report.JUnit(w, &out.sum) }); err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return nil
}

func newValidateCommand(stdout io.Writer) *cobra.Command {
	o := &LimitOptions{}
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files without running them (exit 2 when one is invalid)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			var errs []error
			for _, path := range args {
				if _, err := loadFile(path, o.Limits); err != nil {
					errs = append(errs, err)
					fmt.Fprintf(stdout, "%s: invalid\n", path)
					continue
				}
				fmt.Fprintf(stdout, "%s: valid\n", path)
			}
			if len(errs) > 0 {
				return &ExitError{Code: ExitInvalid, Err: errors.Join(errs...)}
			}
			return nil
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
