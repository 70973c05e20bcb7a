package router

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/saturn-autoscaler/saturn/harness/route"
)

// The vLLM gauges the endpoint picker's scorers read.
const (
	metricWaiting = "vllm:num_requests_waiting"
	metricKVUsage = "vllm:kv_cache_usage_perc"
)

// maxMetricsBytes bounds one pod's /metrics page.
const maxMetricsBytes = 4 << 20

// podLoad is one scrape of a pod.
type podLoad struct {
	waiting int
	kv      float64
}

// RunScraper reads every pod's queue and KV usage each RefreshInterval until
// ctx ends; only the kv-queue-scorer policy needs it.
func (r *Router) RunScraper(ctx context.Context) {
	if r.picker.Policy != route.KVQueueScorer {
		return
	}
	t := r.clk.NewTicker(r.opts.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			r.refresh(ctx)
		}
	}
}

// refresh scrapes every pod once, concurrently, and updates their view.
func (r *Router) refresh(ctx context.Context) {
	r.mu.Lock()
	addrs := make([]string, 0, len(r.order))
	for _, ep := range r.order {
		addrs = append(addrs, ep.addr)
	}
	r.mu.Unlock()
	loads := make([]podLoad, len(addrs))
	errs := make([]error, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Go(func() { loads[i], errs[i] = r.scrapePod(ctx, a) })
	}
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, a := range addrs {
		ep, ok := r.eps[a]
		if !ok {
			continue
		}
		if errs[i] != nil {
			if ctx.Err() == nil {
				r.log.Debug("scrape failed", "endpoint", a, "err", errs[i])
			}
			continue // keep the previous view
		}
		ep.waiting, ep.kv, ep.assigned = loads[i].waiting, loads[i].kv, 0
	}
}

func (r *Router) scrapePod(ctx context.Context, addr string) (podLoad, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return podLoad{}, err
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := r.scrape.Do(req)
	if err != nil {
		return podLoad{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return podLoad{}, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return parseLoad(io.LimitReader(resp.Body, maxMetricsBytes))
}

// parseLoad reads the waiting queue (summed over models) and the largest KV
// usage from a Prometheus text page.
func parseLoad(in io.Reader) (podLoad, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(in)
	if err != nil {
		return podLoad{}, fmt.Errorf("parsing /metrics: %w", err)
	}
	var l podLoad
	var sawWaiting bool
	if f, ok := fams[metricWaiting]; ok {
		for _, m := range f.GetMetric() {
			if v := value(m); v > 0 && v < 1e9 { // NaN and nonsense count as empty
				l.waiting += int(v)
			}
			sawWaiting = true
		}
	}
	if f, ok := fams[metricKVUsage]; ok {
		for _, m := range f.GetMetric() {
			if v := value(m); v > l.kv { // NaN compares false
				l.kv = v
			}
		}
	}
	if !sawWaiting {
		return podLoad{}, fmt.Errorf("/metrics has no %s", metricWaiting)
	}
	l.kv = min(max(l.kv, 0), 1)
	return l, nil
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	}
	return 0
}
