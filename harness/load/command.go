package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// CommandOptions are the flags of `saturn load` beyond the replay Options.
type CommandOptions struct {
	Options
	// Out receives one JSON line per request ("-": stdout).
	Out string
	// Seed overrides the scenario's seed (0: the scenario's).
	Seed uint64
}

// NewCommand returns `saturn load --target URL FILE`.
func NewCommand(stdout, stderr io.Writer) *cobra.Command {
	o := CommandOptions{Options: DefaultOptions(), Out: "-"}
	cmd := &cobra.Command{
		Use:   "load --target URL FILE",
		Short: "Replay a scenario's traffic in real time against an OpenAI-compatible server",
		Long: "load sends the requests a scenario generates at their scheduled arrival times (open loop: it never\n" +
			"waits for a response before sending the next request) to --target, and prints one JSON line per\n" +
			"request with its time to first token, largest inter-token gap and end-to-end latency.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := scenario.Load(args[0])
			if err != nil {
				return err
			}
			return RunCommand(cmd.Context(), sc, o, stdout, stderr)
		},
	}
	o.AddFlags(cmd.Flags())
	cmd.Flags().StringVar(&o.Out, "out", o.Out, `file receiving one JSON line per request ("-": stdout)`)
	cmd.Flags().Uint64Var(&o.Seed, "seed", 0, "seed of the request generator (0: the scenario's seed)")
	return cmd
}

// RunCommand replays sc with o, writing results to o.Out and a one-line summary to stderr.
func RunCommand(ctx context.Context, sc *scenario.Scenario, o CommandOptions, stdout, stderr io.Writer) error {
	if o.Model == "" {
		o.Model = sc.Spec.Model.Name
	}
	if err := o.Validate(); err != nil {
		return err
	}
	out := stdout
	if o.Out != "-" && o.Out != "" {
		f, err := os.Create(o.Out)
		if err != nil {
			return fmt.Errorf("creating --out %s: %w", o.Out, err)
		}
		defer func() { _ = f.Close() }()
		out = f
	}
	seed := o.Seed
	if seed == 0 {
		seed = sc.Spec.Seed
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	log.Info("replay starting", "scenario", sc.Metadata.Name, "target", o.Target, "model", o.Model, "duration", sc.Spec.Duration)

	w := &resultWriter{w: out}
	reqs, genErr := requests(sc, seed)
	r := NewReplayer(NewHTTPSender(o.Options, nil, clock.RealClock{}), clock.RealClock{}, o.MaxInFlight, o.Drain)
	r.OnStart(w.start)
	stats, err := r.Run(ctx, reqs, w.write)
	if werr := w.error(); werr != nil {
		return fmt.Errorf("writing results: %w", werr)
	}
	log.Info("replay finished", "sent", stats.Sent, "rejected", stats.Rejected, "ok", w.counts[record.StatusOK],
		"errors", w.counts[record.StatusError], "lost", w.counts[record.StatusLost], "max_lag", stats.MaxLag.Round(time.Millisecond))
	return errors.Join(err, *genErr)
}

// requests adapts the scenario generator to the replayer; a generator error stops the
// sequence and is reported through the returned pointer once the replay ends.
func requests(sc *scenario.Scenario, seed uint64) (iter.Seq[scenario.Request], *error) {
	var genErr error
	return func(yield func(scenario.Request) bool) {
		for req, err := range scenario.Requests(sc, seed) {
			if err != nil {
				genErr = fmt.Errorf("generating requests of scenario %s: %w", sc.Metadata.Name, err)
				return
			}
			if !yield(req) {
				return
			}
		}
	}, &genErr
}

// resultWriter serialises results from the replay's goroutines into JSON lines.
type resultWriter struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	err    error
	counts [3]int
}

func (w *resultWriter) write(r Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if int(r.Status) < len(w.counts) {
		w.counts[r.Status]++
	}
	if w.err != nil {
		return
	}
	w.buf = EncodeResult(w.buf[:0], &r)
	_, w.err = w.w.Write(w.buf)
}

func (w *resultWriter) start(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		_, w.err = w.w.Write(EncodeStart(nil, t))
	}
}

func (w *resultWriter) error() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}
