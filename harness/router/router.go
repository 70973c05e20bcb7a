package router

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/harness/route"
)

var (
	errQueueFull    = errors.New("flow-control queue full")
	errQueueTimeout = errors.New("no ready pod within the queue timeout")
)

// Router places OpenAI requests on ready pods and holds them while none is.
type Router struct {
	opts    Options
	log     *slog.Logger
	clk     clock.WithTicker
	metrics *metrics
	proxy   http.Handler
	scrape  *http.Client

	mu      sync.Mutex
	eps     map[string]*endpoint
	order   []*endpoint // eps sorted by address: a stable rotation
	cands   []route.Candidate
	picker  *route.Picker
	queued  int
	changed chan struct{} // closed and replaced whenever the pod set changes
	synced  bool          // the pod set has been read once
}

// New returns a router with no pods; SetEndpoints (or Discover) gives it some.
func New(o Options, reg prometheus.Registerer, log *slog.Logger, clk clock.WithTicker) (*Router, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	picker, err := route.NewPicker(o.Policy, o.weights())
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	r := &Router{
		opts: o, log: log, clk: clk, metrics: m, picker: picker,
		eps: map[string]*endpoint{}, changed: make(chan struct{}),
		scrape: &http.Client{Timeout: max(o.RefreshInterval, time.Second)},
	}
	r.proxy = r.newProxy(upstreamTransport())
	for _, model := range o.Models {
		// An explicit 0 from the start: "nothing waits" rather than "no signal", and a
		// counter whose first increase a rate() sees.
		m.queueSize.WithLabelValues(model, model).Set(0)
		m.arrivals.WithLabelValues(model, model)
	}
	if len(o.Endpoints) > 0 {
		r.SetEndpoints(o.Endpoints)
	}
	return r, nil
}

func upstreamTransport() *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
}

// SetEndpoints replaces the ready pods (host:port each) and wakes queued requests.
func (r *Router) SetEndpoints(addrs []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.synced = true
	if !r.setEndpointsLocked(addrs) {
		return
	}
	r.metrics.endpoints.Set(float64(len(r.order)))
	close(r.changed)
	r.changed = make(chan struct{})
	r.log.Info("endpoints changed", "ready", len(r.order), "queued", r.queued)
}

// Ready reports whether the pod set has been read at least once.
func (r *Router) Ready() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.synced
}

// acquire waits for a pod to take a request of model, holding it in the
// flow-control queue while none can, up to QueueTimeout.
func (r *Router) acquire(ctx context.Context, model string, prefix uint64) (*endpoint, error) {
	var (
		queuedAt time.Time
		timeout  clock.Timer
	)
	gauge := r.metrics.queueSize.WithLabelValues(model, model)
	defer func() {
		if timeout == nil {
			return
		}
		timeout.Stop()
		r.mu.Lock()
		r.queued--
		r.mu.Unlock()
		gauge.Dec()
	}()
	for {
		r.mu.Lock()
		now := r.clk.Now()
		if ep := r.pickLocked(now, prefix); ep != nil {
			r.mu.Unlock()
			if timeout != nil {
				r.metrics.queueWait.Observe(now.Sub(queuedAt).Seconds())
			}
			return ep, nil
		}
		if timeout == nil {
			if r.queued >= r.opts.MaxQueue {
				r.mu.Unlock()
				return nil, errQueueFull
			}
			r.queued++
			gauge.Inc()
			queuedAt, timeout = now, r.clk.NewTimer(r.opts.QueueTimeout)
		}
		wake := r.changed
		r.mu.Unlock()
		// Pods kept out after a refused connection come back on their own:
		// look again after a while even when the pod set does not change.
		retry := r.clk.NewTimer(downFor)
		select {
		case <-wake:
		case <-retry.C():
		case <-timeout.C():
			retry.Stop()
			return nil, errQueueTimeout
		case <-ctx.Done():
			retry.Stop()
			return nil, ctx.Err()
		}
		retry.Stop()
	}
}

// release ends a request placed on ep.
func (r *Router) release(ep *endpoint) {
	r.mu.Lock()
	ep.inflight--
	r.mu.Unlock()
}

// markDown keeps ep out of rotation for a moment after it refused a connection.
func (r *Router) markDown(ep *endpoint) {
	r.mu.Lock()
	ep.downUntil = r.clk.Now().Add(downFor)
	r.mu.Unlock()
}

// Queued is the number of requests waiting for a pod.
func (r *Router) Queued() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queued
}
