package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"k8s.io/utils/clock"
)

// NewCommand returns `saturn router`.
func NewCommand(_, stderr io.Writer) *cobra.Command {
	o := DefaultOptions()
	cmd := &cobra.Command{
		Use:   "router --model NAME (--service NAME | --endpoint HOST:PORT...)",
		Short: "Route OpenAI requests to a model's ready pods, holding them while none is ready (an llm-d gateway stand-in)",
		Long: "router is an OpenAI-compatible reverse proxy in front of vLLM or saturn-sim pods. It watches the\n" +
			"EndpointSlices of --service, places each request with --policy (kv-queue-scorer reads every pod's\n" +
			"vllm:num_requests_waiting and vllm:kv_cache_usage_perc), and holds requests while no pod is ready,\n" +
			"exporting " + QueueSizeMetric + " so that the autoscaler can scale the model up from zero.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Run(cmd.Context(), o, stderr)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

// Run serves the router until ctx ends, then drains in-flight requests.
func Run(ctx context.Context, o Options, stderr io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r, err := New(o, reg, log, clock.RealClock{})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", o.Listen, err)
	}
	srv := &http.Server{
		Handler:           r.Handler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("router listening", "addr", ln.Addr().String(), "policy", o.Policy, "models", o.Models)
	if o.Service != "" {
		cs, err := o.Clientset()
		if err != nil {
			_ = srv.Close()
			return err
		}
		if err := r.Discover(ctx, cs); err != nil {
			_ = srv.Close()
			return err
		}
	}
	go r.RunScraper(ctx)
	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", o.Listen, err)
	case <-ctx.Done():
	}
	log.Info("router stopping: draining requests")
	shutdown, stop := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer stop()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutting down the router: %w", err)
	}
	return nil
}
