package app

import (
	"context"
	"io"
	"log/slog"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
)

// Run runs saturn-controller with args (without the program name).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRoot(ctx, stdout, stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

func newRoot(ctx context.Context, stdout, stderr io.Writer) *cobra.Command {
	runOpts := NewRunOptions()
	run := &cobra.Command{
		Use:   "run",
		Short: "Run the controller (the default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := runOpts.Validate(); err != nil {
				return err
			}
			return runController(cmd.Context(), runOpts, stderr)
		},
	}
	runOpts.AddFlags(run.Flags())

	root := &cobra.Command{
		Use:           "saturn-controller",
		Short:         "saturn: a WVA-compatible saturation autoscaler for LLM inference",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		// `saturn-controller --flags` runs the controller, as WVA's manager does.
		RunE: run.RunE,
	}
	runOpts.AddFlags(root.Flags())
	root.AddCommand(run, newExplain(stdout, stderr))
	_ = ctx
	return root
}

// newLogger builds the logr logger: JSON lines on stderr, verbosity v.
func newLogger(w io.Writer, v int) logr.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.Level(-v)})
	return logr.FromSlogHandler(h)
}
