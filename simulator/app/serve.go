package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/profiles"
	"github.com/saturn-autoscaler/saturn/simulator/realtime"
	"github.com/saturn-autoscaler/saturn/simulator/server"
	"github.com/saturn-autoscaler/saturn/simulator/vllmmetrics"
)

// errCrashed is returned by serve after a fault-injected crash.
var errCrashed = errors.New("fault injection: crashed")

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("unknown level %q: use debug, info, warn or error", s)
	}
	return l, nil
}

// engineConfig resolves profiles and builds the engine configuration.
func engineConfig(o *Options) (engine.Config, error) {
	var acc profiles.Accelerator
	var err error
	if o.AcceleratorProfile != "" {
		acc, err = profiles.LoadAcceleratorFile(o.AcceleratorProfile)
		if err != nil {
			return engine.Config{}, fmt.Errorf("flag --accelerator-profile: %w", err)
		}
	} else if acc, err = profiles.LookupAccelerator(o.Accelerator); err != nil {
		return engine.Config{}, fmt.Errorf("flag --accelerator: %w", err)
	}
	var model profiles.Model
	if o.ModelProfile != "" {
		model, err = profiles.LoadModelFile(o.ModelProfile)
		if err != nil {
			return engine.Config{}, fmt.Errorf("flag --model-profile: %w", err)
		}
		if !o.modelSet {
			// Serve the profile's model unless --model names it otherwise.
			o.Model = model.Name
		}
	} else if model, err = profiles.LookupModel(o.Model); err != nil {
		return engine.Config{}, fmt.Errorf("flag --model: %w (or describe the model in a file given with --model-profile)", err)
	}
	cfg := engine.Config{
		Accelerator:          acc,
		Model:                model,
		TensorParallelSize:   o.TensorParallelSize,
		GPUMemoryUtilization: o.GPUMemoryUtilization,
		BlockSize:            o.BlockSize,
		MaxNumSeqs:           o.MaxNumSeqs,
		MaxNumBatchedTokens:  o.MaxNumBatchedTokens,
		MaxModelLen:          o.MaxModelLen,
		EnablePrefixCaching:  o.prefixCaching(),
		TokenEvents:          true,
	}
	if err := cfg.Validate(); err != nil {
		return engine.Config{}, err
	}
	return cfg.WithDefaults(), nil
}

// serve runs the server until ctx ends (then drains) or a crash is injected.
func serve(ctx context.Context, o *Options, stderr io.Writer) error {
	level, _ := parseLevel(o.LogLevel)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	clk := clock.RealClock{}
	start := clk.Now()

	cfg, err := engineConfig(o)
	if err != nil {
		return err
	}
	names := o.servedNames()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	driverCtx, stopDriver := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDriver()
	driverDone := make(chan struct{})

	var backend server.Backend
	var metrics *vllmmetrics.Metrics
	if o.NoLatency {
		// No engine: the cache config still describes the accelerator's.
		cc := vllmmetrics.CacheConfig{BlockSize: cfg.BlockSize, GPUMemoryUtilization: cfg.GPUMemoryUtilization, EnablePrefixCaching: cfg.EnablePrefixCaching}
		if eng, err := engine.New(cfg); err == nil {
			cc = vllmmetrics.FromEngineCache(eng.CacheConfig())
		}
		if metrics, err = vllmmetrics.Register(reg, names[0], cfg.MaxModelLen, cc); err != nil {
			return err
		}
		backend = realtime.NewInstant(clk)
		close(driverDone)
	} else {
		eng, err := engine.New(cfg)
		if err != nil {
			return err
		}
		if metrics, err = vllmmetrics.Register(reg, names[0], cfg.MaxModelLen, vllmmetrics.FromEngineCache(eng.CacheConfig())); err != nil {
			return err
		}
		drv := realtime.New(eng, realtime.Options{Clock: clk, OnStats: metrics.SetFromStats, Logger: log, Precise: true})
		go func() {
			defer close(driverDone)
			_ = drv.Run(driverCtx)
		}()
		backend = drv
	}

	var ready atomic.Bool
	ready.Store(o.StartupDelay == 0)
	crashed := make(chan struct{})
	var crashOnce atomic.Bool
	srvCfg := server.Config{
		ServedModelNames:          names,
		ModelPath:                 o.Model,
		MaxModelLen:               cfg.MaxModelLen,
		Seed:                      o.Seed,
		MaxRequestBodyBytes:       o.MaxRequestBodyBytes,
		Backend:                   backend,
		CountTokens:               o.NoLatency,
		Metrics:                   metrics,
		Gatherer:                  reg,
		Clock:                     clk,
		Logger:                    log,
		Ready:                     ready.Load,
		ReplicaName:               o.ReplicaName,
		PrefixBlockSize:           prefixBlockSize(cfg, o.NoLatency),
		EnablePromptTokensDetails: o.EnablePromptTokensDetails,
		Faults: server.Faults{
			ErrorRate:  o.FaultErrorRate,
			CrashAfter: o.FaultCrashAfter,
			Crash: func() {
				if crashOnce.CompareAndSwap(false, true) {
					close(crashed)
				}
			},
			SlowUntil: start.Add(o.StartupDelay + o.FaultSlowStart),
		},
	}
	if o.FaultSlowStart == 0 {
		srvCfg.Faults.SlowUntil = time.Time{}
	}
	srv, err := server.New(srvCfg)
	if err != nil {
		return err
	}

	addr := net.JoinHostPort(o.Host, strconv.Itoa(o.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("flag --host/--port: listening on %s: %w", addr, err)
	}
	handler := srv.Handler()
	if o.BodyReadTimeout > 0 {
		handler = limitBodyReadTime(handler, o.BodyReadTimeout, clk)
	}
	// No WriteTimeout: responses stream for minutes. Bodies get their own
	// deadline from the end of the headers (ReadTimeout would count from the
	// start of the request; ReadHeaderTimeout does not cover bodies).
	httpSrv := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	log.Info("listening", "address", ln.Addr().String(), "model", o.Model, "served_model_names", strings.Join(names, ","),
		"accelerator", cfg.Accelerator.Name, "tensor_parallel_size", cfg.TensorParallelSize, "max_model_len", cfg.MaxModelLen,
		"no_latency", o.NoLatency)
	if o.onListen != nil {
		o.onListen(ln.Addr(), reg)
	}

	loaded := clk.After(o.StartupDelay)
	for {
		select {
		case <-loaded:
			loaded = nil
			ready.Store(true)
			log.Info("model loaded", "startup_delay", o.StartupDelay)
			continue
		case err := <-serveErr:
			return fmt.Errorf("serving HTTP on %s: %w", ln.Addr(), err)
		case <-crashed:
			log.Error("fault injection: crashing", "after_requests", o.FaultCrashAfter)
			_ = httpSrv.Close()
			stopDriver()
			<-driverDone
			return fmt.Errorf("%w after %d requests (--fault-crash-after)", errCrashed, o.FaultCrashAfter)
		case <-ctx.Done():
		}
		break
	}

	log.Info("shutting down: draining in-flight requests", "timeout", o.ShutdownTimeout)
	drainCtx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	shutdownErr := httpSrv.Shutdown(drainCtx)
	if shutdownErr != nil {
		_ = httpSrv.Close()
	}
	stopDriver()
	<-driverDone
	if shutdownErr != nil {
		return fmt.Errorf("draining in-flight requests within --shutdown-timeout=%v: %w", o.ShutdownTimeout, shutdownErr)
	}
	log.Info("stopped")
	return nil
}

// prefixBlockSize is the block size prompts are hashed in to find shared
// prefixes: the engine's, when it caches prefixes.
func prefixBlockSize(cfg engine.Config, noLatency bool) int {
	if noLatency || !cfg.EnablePrefixCaching {
		return 0
	}
	return cfg.BlockSize
}

// limitBodyReadTime gives every request body d to arrive, from when its
// handler starts: a read past that fails (the server answers 408 and closes
// the connection). The deadline is lifted once the body has been read (as
// net/http also does when it starts watching the connection for the client
// going away), so responses stream as long as they need and the connection
// is kept alive for the next request, whose headers have their own deadline.
func limitBodyReadTime(h http.Handler, d time.Duration, clk clock.Clock) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(clk.Now().Add(d)); err == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		h.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the connection's read deadline when the body ends.
type deadlineBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	lifted bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.lifted {
		b.lifted = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
