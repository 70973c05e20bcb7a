package app

import (
	"context"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// Run runs saturn-sim with args (without the program name) until ctx is
// cancelled (SIGTERM: stop accepting, drain, exit) or a fault-injected crash.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := NewCommand(stdout, stderr)
	cmd.SetArgs(joinNargs(args, "--served-model-name"))
	return cmd.ExecuteContext(ctx)
}

// joinNargs rewrites "FLAG a b c" (argparse nargs="+", as vLLM parses
// --served-model-name) into "FLAG=a,b,c": the values are every following
// argument up to the next one starting with "-".
func joinNargs(args []string, flag string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		if args[i] == "--" {
			return append(out, args[i:]...)
		}
		if args[i] != flag {
			out = append(out, args[i])
			continue
		}
		var values []string
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			values = append(values, args[i+1])
			i++
		}
		if len(values) == 0 {
			out = append(out, args[i]) // let the flag parser report the missing value
			continue
		}
		out = append(out, flag+"="+strings.Join(values, ","))
	}
	return out
}

// NewCommand returns the saturn-sim cobra command.
func NewCommand(stdout, stderr io.Writer) *cobra.Command {
	return newCommand(stdout, stderr, serve)
}

// EngineConfigFor returns the engine configuration saturn-sim runs with on this command
// line (without the program name): parsed, validated and resolved as the command does
// before it serves, profiles and vLLM's defaults applied. Drivers that deploy saturn-sim
// use it to check that its flags carry the settings they mean.
func EngineConfigFor(args []string) (engine.Config, error) {
	var cfg engine.Config
	cmd := newCommand(io.Discard, io.Discard, func(_ context.Context, o *Options, _ io.Writer) error {
		var err error
		cfg, err = engineConfig(o)
		return err
	})
	cmd.SetArgs(joinNargs(args, "--served-model-name"))
	if err := cmd.Execute(); err != nil {
		return engine.Config{}, err
	}
	return cfg, nil
}

func newCommand(stdout, stderr io.Writer, serve func(context.Context, *Options, io.Writer) error) *cobra.Command {
	opts := NewOptions()
	opts.ReplicaName = os.Getenv("POD_NAME")
	cmd := &cobra.Command{
		Use:   "saturn-sim [MODEL]",
		Short: "A vLLM-compatible simulated accelerator",
		Long: `saturn-sim serves vLLM's OpenAI-compatible API and metrics, generating synthetic
tokens at the pace a real accelerator would: a model of vLLM's continuous
batching and paged KV cache on a roofline of the chosen accelerator.

The optional MODEL argument is the same as --model (as in "vllm serve MODEL").`,
		Args:          cobra.MaximumNArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Model = args[0]
			}
			opts.modelSet = len(args) == 1 || cmd.Flags().Changed("model")
			opts.enablePrefixCachingSet = cmd.Flags().Changed("enable-prefix-caching")
			if err := opts.Validate(); err != nil {
				return err
			}
			return serve(cmd.Context(), opts, stderr)
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	opts.AddFlags(cmd.Flags())
	return cmd
}
