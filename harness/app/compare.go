package app

import (
	"fmt"
	"io"
	"path/filepath"
	"reflect"

	"github.com/spf13/cobra"

	"github.com/saturn-autoscaler/saturn/harness/report"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// CompareOptions are the flags of `saturn compare`.
type CompareOptions struct {
	Out    string
	Format string
	// Analyzer runs B as A with this analyzer when only one file is given;
	// with Suite it is analyzer A (default: the scenarios' default analyzer).
	Analyzer string
	// Suite is a folder whose *.yaml scenarios all run under Analyzer and
	// Against (see suite.go).
	Suite   string
	Against string
	// Seeds runs every scenario of Suite once per seed (with --suite only).
	Seeds  []uint
	Limits LimitOptions
}

// AddFlags registers the options.
func (o *CompareOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Out, "out", "", "write each run's outputs into DIR/a and DIR/b")
	cmd.Flags().StringVar(&o.Format, "format", "text", "text or json (with --suite also markdown)")
	cmd.Flags().StringVar(&o.Analyzer, "analyzer", "", "with one FILE: compare its analyzer against this one (capacity or wva-v1); with --suite: analyzer A (default "+defaultAnalyzer()+")")
	cmd.Flags().StringVar(&o.Suite, "suite", "", "run every scenario (*.yaml) of this folder under --analyzer and --against and print one table")
	cmd.Flags().StringVar(&o.Against, "against", "", "with --suite: analyzer B (default "+scenario.AnalyzerWVAv1+")")
	cmd.Flags().UintSliceVar(&o.Seeds, "seeds", nil, "with --suite: run every scenario once per seed (e.g. 11,22,33), each replacing its spec.seed; the table has a row per seed and the claim is counted over the runs")
	o.Limits.AddFlags(cmd)
}

// Validate checks the flags.
func (o *CompareOptions) Validate(args []string) error {
	if o.Suite != "" {
		return o.validateSuite(args)
	}
	if o.Against != "" {
		return invalid("--against %q: only with --suite DIR (with one FILE, --analyzer names run B's analyzer)", o.Against)
	}
	if len(o.Seeds) > 0 {
		return invalid("--seeds: only with --suite DIR (one scenario runs with another seed by `saturn run FILE --seed N`)")
	}
	if len(args) == 0 {
		return invalid("compare needs two scenario files, one file and --analyzer, or --suite DIR")
	}
	if o.Format != "text" && o.Format != "json" {
		return invalid("--format %q: must be text or json (markdown with --suite)", o.Format)
	}
	if len(args) == 1 && o.Analyzer == "" {
		return invalid("compare needs two scenario files, or one file and --analyzer")
	}
	if o.Analyzer != "" && o.Analyzer != scenario.AnalyzerCapacity && o.Analyzer != scenario.AnalyzerWVAv1 {
		return invalid("--analyzer %q: must be %s or %s", o.Analyzer, scenario.AnalyzerCapacity, scenario.AnalyzerWVAv1)
	}
	return o.Limits.Validate()
}

func newCompareCommand(stdout, stderr io.Writer) *cobra.Command {
	o := &CompareOptions{}
	cmd := &cobra.Command{
		Use:   "compare A [B] | compare --suite DIR",
		Short: "Run the same traffic under two autoscaler settings and show them side by side",
		Long: "Run two scenarios that share their traffic (for example the same file with analyzer capacity and\n" +
			"wva-v1) and print both runs side by side, each against the floor and the plan. With one file, --analyzer\n" +
			"names the analyzer of run B.\n\n" +
			"With --suite DIR, every scenario (*.yaml) of the folder runs under --analyzer and --against,\n" +
			"spread over the cores, and one table shows each run's SLO attainment, p99 TTFT, GPU-hours against\n" +
			"the floor and the plan, flaps and assertions, which analyzer dominates, and whether --analyzer's claim\n" +
			"holds: it dominates --against or, where --against misses the plan's attainment, reaches it, at most\n" +
			"1.3x the plan's GPU-hours. Exit code 0 when every\n" +
			"scenario ran, whatever the verdicts.",
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(args); err != nil {
				return err
			}
			if o.Suite != "" {
				return runSuite(cmd.Context(), o, stdout, stderr)
			}
			a, err := loadFile(args[0], o.Limits.Limits)
			if err != nil {
				return err
			}
			var b *scenario.Scenario
			if len(args) == 2 {
				if b, err = loadFile(args[1], o.Limits.Limits); err != nil {
					return err
				}
			} else {
				if b, err = loadFile(args[0], o.Limits.Limits); err != nil {
					return err
				}
				b.Spec.Autoscaler.Analyzer = o.Analyzer
			}
			if !reflect.DeepEqual(a.Spec.Traffic, b.Spec.Traffic) || a.Spec.Seed != b.Spec.Seed || a.Spec.Duration != b.Spec.Duration {
				fmt.Fprintln(stderr, "warning: the two scenarios do not share traffic, seed and duration; the comparison is not like for like")
			}
			runs := [2]*outcome{}
			for i, sc := range []*scenario.Scenario{a, b} {
				bar := newProgress(stderr, "auto", sc.Metadata.Name)
				out, err := execute(cmd.Context(), sc, 0, bar.update)
				bar.done()
				if err != nil {
					return err
				}
				if o.Out != "" {
					ro := &RunOptions{Out: filepath.Join(o.Out, []string{"a", "b"}[i])}
					if err := writeOutputs(out, ro); err != nil {
						return err
					}
				}
				runs[i] = out
			}
			if o.Format == "json" {
				if err := report.JSON(stdout, &runs[0].sum); err != nil {
					return err
				}
				return report.JSON(stdout, &runs[1].sum)
			}
			return report.Compare(stdout, label(a), label(b), &runs[0].sum, &runs[1].sum)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// label names a run by what differs in its autoscaler.
func label(sc *scenario.Scenario) string {
	a := sc.Spec.Autoscaler
	return fmt.Sprintf("%s/%s", a.Analyzer, a.Actuation.Mode)
}
