package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/realtime"
	"github.com/saturn-autoscaler/saturn/simulator/vllmmetrics"
)

// Backend runs engine requests: *realtime.Driver or *realtime.Instant.
type Backend interface {
	Submit(ctx context.Context, r engine.Request, notify chan<- struct{}) (*realtime.Stream, error)
	Abort(id string)
}

// maxPrefixBlocks bounds the block hashes the server remembers to find shared
// prefixes (8 bytes each: 4 MiB).
const maxPrefixBlocks = 1 << 19

// DefaultMaxRequestBodyBytes bounds request bodies when Config leaves it 0.
const DefaultMaxRequestBodyBytes = 16 << 20

// Config configures a Server.
type Config struct {
	// ServedModelNames are the names clients may ask for; the first is the
	// default when a request names none. Required.
	ServedModelNames []string
	// ModelPath is the --model value, reported as "root" by /v1/models.
	ModelPath string
	// MaxModelLen is the context length requests are validated against.
	MaxModelLen int
	// Seed seeds output lengths, generated text and fault injection.
	Seed int64
	// MaxRequestBodyBytes: larger bodies get 413. 0 means the default.
	MaxRequestBodyBytes int64

	Backend Backend
	// CountTokens makes the server count prompt and generation tokens itself
	// (for a Backend that is not an engine, i.e. --no-latency).
	CountTokens bool
	Metrics     *vllmmetrics.Metrics
	// Gatherer serves /metrics; nil disables the endpoint.
	Gatherer prometheus.Gatherer
	Clock    clock.Clock
	Logger   *slog.Logger

	// Ready reports whether the model has "loaded"; until then /health and
	// the API answer 503. Nil means always ready.
	Ready func() bool
	// Faults configure fault injection.
	Faults Faults
	// PrefixBlockSize > 0 derives prefix groups from prompt contents in
	// blocks of this many tokens (the engine's block size, when prefix
	// caching is on); 0 declares no sharing.
	PrefixBlockSize int
	// EnablePromptTokensDetails fills usage.prompt_tokens_details with the
	// prompt tokens served from the prefix cache (vLLM's
	// --enable-prompt-tokens-details); otherwise it is null.
	EnablePromptTokensDetails bool
	// ReplicaName, if set, is sent as the X-Saturn-Replica header of every
	// response, so load generators can attribute requests to pods.
	ReplicaName string
}

// ReplicaHeader names the response header carrying Config.ReplicaName.
const ReplicaHeader = "X-Saturn-Replica"

// Faults inject failures, for testing clients, routers and autoscalers.
type Faults struct {
	// ErrorRate is the fraction of generation requests answered with a 500.
	ErrorRate float64
	// CrashAfter > 0 calls Crash when generation request CrashAfter+1
	// arrives (that request gets a 503).
	CrashAfter int64
	Crash      func()
	// SlowUntil holds generation requests arriving before it until then
	// (a cold replica warming up).
	SlowUntil time.Time
}

// Server serves the API.
type Server struct {
	cfg     Config
	limits  limits
	names   map[string]bool
	mux     *http.ServeMux
	clk     clock.Clock
	log     *slog.Logger
	created int64

	idPrefix string
	nextID   atomic.Uint64
	requests atomic.Int64
	crashed  atomic.Bool
	// crashPending: the request that triggered the crash calls Faults.Crash
	// after its answer is flushed.
	crashPending atomic.Bool

	faultMu  sync.Mutex
	faultRNG *rand.Rand

	modelsBody []byte
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if len(cfg.ServedModelNames) == 0 {
		return nil, errors.New("server config: ServedModelNames must name at least one model")
	}
	if cfg.MaxModelLen < 2 {
		return nil, fmt.Errorf("server config: MaxModelLen must be at least 2, got %d", cfg.MaxModelLen)
	}
	if cfg.Backend == nil || cfg.Metrics == nil {
		return nil, errors.New("server config: Backend and Metrics are required")
	}
	if cfg.MaxRequestBodyBytes <= 0 {
		cfg.MaxRequestBodyBytes = DefaultMaxRequestBodyBytes
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ModelPath == "" {
		cfg.ModelPath = cfg.ServedModelNames[0]
	}
	s := &Server{
		cfg:      cfg,
		limits:   limits{maxModelLen: cfg.MaxModelLen, seed: cfg.Seed},
		names:    make(map[string]bool, len(cfg.ServedModelNames)),
		clk:      cfg.Clock,
		log:      cfg.Logger,
		created:  cfg.Clock.Now().Unix(),
		idPrefix: strconv.FormatUint(splitmix(uint64(cfg.Seed))>>1, 16) + "-",
		faultRNG: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5a7)),
	}
	for _, n := range cfg.ServedModelNames {
		s.names[n] = true
	}
	if cfg.PrefixBlockSize > 0 {
		s.limits.prefix = newPrefixIndex(cfg.PrefixBlockSize, maxPrefixBlocks)
	}
	s.modelsBody = s.appendModels(nil)
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/v1/completions", func(w http.ResponseWriter, r *http.Request) { s.serveGeneration(w, r, false) })
	s.mux.HandleFunc("/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) { s.serveGeneration(w, r, true) })
	s.mux.HandleFunc("/v1/models", s.serveModels)
	s.mux.HandleFunc("/health", s.serveHealth)
	s.mux.HandleFunc("/version", s.serveVersion)
	if cfg.Gatherer != nil {
		s.mux.Handle("/metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{}))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, newError(http.StatusNotFound, "", "Not Found: %s", r.URL.Path))
	})
	return s, nil
}

// Handler returns the HTTP handler; it recovers from panics so that no
// request can bring the process down.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				s.log.Error("request handler panicked", "path", r.URL.Path, "panic", fmt.Sprint(v))
				WriteError(w, newError(http.StatusInternalServerError, "", "Internal server error."))
			}
		}()
		if s.cfg.ReplicaName != "" {
			w.Header().Set(ReplicaHeader, s.cfg.ReplicaName)
		}
		s.mux.ServeHTTP(w, r)
	})
}

func (s *Server) ready() bool {
	return s.cfg.Ready == nil || s.cfg.Ready()
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	if !s.ready() || s.crashed.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) serveVersion(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"version":"saturn-sim"}`))
}

func (s *Server) serveModels(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		WriteError(w, newError(http.StatusMethodNotAllowed, "", "Method %s is not allowed on %s; use GET.", r.Method, r.URL.Path))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.modelsBody)
}

func (s *Server) appendModels(dst []byte) []byte {
	dst = append(dst, `{"object":"list","data":[`...)
	for i, name := range s.cfg.ServedModelNames {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = appendString(dst, name)
		dst = append(dst, `,"object":"model","created":`...)
		dst = strconv.AppendInt(dst, s.created, 10)
		dst = append(dst, `,"owned_by":"vllm","root":`...)
		dst = appendString(dst, s.cfg.ModelPath)
		dst = append(dst, `,"parent":null,"max_model_len":`...)
		dst = appendInt(dst, s.cfg.MaxModelLen)
		dst = append(dst, `,"permission":[]}`...)
	}
	return append(dst, "]}"...)
}

// resolveModel maps the request's model to a served name.
func (s *Server) resolveModel(model string) (string, *APIError) {
	if model == "" {
		return s.cfg.ServedModelNames[0], nil
	}
	if !s.names[model] {
		return "", errModelNotFound(model)
	}
	return model, nil
}

// injectFault decides whether this request fails by fault injection.
func (s *Server) injectFault() *APIError {
	f := s.cfg.Faults
	if f.CrashAfter > 0 {
		if n := s.requests.Add(1); n > f.CrashAfter {
			if s.crashed.CompareAndSwap(false, true) {
				s.log.Warn("fault injection: crashing", "after_requests", f.CrashAfter)
				s.crashPending.Store(true)
			}
			return newError(http.StatusServiceUnavailable, "", "The server is shutting down (fault injection: --fault-crash-after=%d).", f.CrashAfter)
		}
	}
	if f.ErrorRate > 0 {
		s.faultMu.Lock()
		fail := s.faultRNG.Float64() < f.ErrorRate
		s.faultMu.Unlock()
		if fail {
			return newError(http.StatusInternalServerError, "", "Simulated engine failure (fault injection: --fault-error-rate=%v).", f.ErrorRate)
		}
	}
	return nil
}

func (s *Server) newID(chat bool) string {
	n := s.nextID.Add(1)
	prefix := "cmpl-"
	if chat {
		prefix = "chatcmpl-"
	}
	return prefix + s.idPrefix + strconv.FormatUint(n, 16)
}
