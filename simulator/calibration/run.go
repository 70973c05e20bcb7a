package calibration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// DefaultOutput is where CALIBRATION.md lives, relative to the module root.
const DefaultOutput = "simulator/profiles/CALIBRATION.md"

// Options are the saturn-calibrate flags.
type Options struct {
	// Output is the file to write.
	Output string
	// Check compares instead of writing and fails when the file is stale.
	Check bool
}

// AddFlags registers the flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Output, "out", DefaultOutput, "file to write the calibration report to ('-' for standard output)")
	fs.BoolVar(&o.Check, "check", false, "do not write: fail when the file differs from a fresh report")
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if o.Output == "" {
		return fmt.Errorf("flag --out must name a file or '-'")
	}
	if o.Check && o.Output == "-" {
		return fmt.Errorf("flag --check needs --out to name a file")
	}
	return nil
}

// Run is the saturn-calibrate command.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := Options{}
	cmd := &cobra.Command{
		Use:           "saturn-calibrate",
		Short:         "Regenerate simulator/profiles/CALIBRATION.md: the simulated engine against published vLLM measurements",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.run(stdout)
		},
	}
	o.AddFlags(cmd.Flags())
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	return cmd.ExecuteContext(ctx)
}

func (o *Options) run(stdout io.Writer) error {
	var b bytes.Buffer
	if err := Generate(&b); err != nil {
		return err
	}
	switch {
	case o.Output == "-":
		_, err := stdout.Write(b.Bytes())
		return err
	case o.Check:
		old, err := os.ReadFile(o.Output)
		if err != nil {
			return fmt.Errorf("checking calibration report: %w", err)
		}
		if !bytes.Equal(old, b.Bytes()) {
			return fmt.Errorf("calibration report %s is stale: run `go run ./simulator/cmd/saturn-calibrate --out %s`", o.Output, o.Output)
		}
		_, err = fmt.Fprintf(stdout, "%s is up to date\n", o.Output)
		return err
	default:
		if err := os.WriteFile(o.Output, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing calibration report: %w", err)
		}
		_, err := fmt.Fprintf(stdout, "wrote %s\n", o.Output)
		return err
	}
}
