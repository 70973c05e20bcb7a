package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/saturn-autoscaler/saturn/controller/promclient/promtest"
)

// vllmPod is a loopback exposition of one vLLM pod's metrics, with values
// the test can change.
type vllmPod struct {
	Name, Namespace, Model string

	mu               sync.Mutex
	kv               float64
	waiting, running int
	// generated is vllm:generation_tokens_total: it grows by 100 per scrape unless the
	// engine is hung.
	generated float64
	hung      bool
	srv       *httptest.Server
}

// hang stops (or restarts) the pod's token generation; its metrics keep answering.
func (p *vllmPod) hang(hung bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hung = hung
}

func newVLLMPod(t *testing.T, ns, name, model string, kv float64, waiting, running int) *vllmPod {
	t.Helper()
	p := &vllmPod{Name: name, Namespace: ns, Model: model, kv: kv, waiting: waiting, running: running}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *vllmPod) serve(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	kv, waiting, running := p.kv, p.waiting, p.running
	if !p.hung && running > 0 {
		p.generated += 100
	}
	generated := p.generated
	p.mu.Unlock()
	l := fmt.Sprintf(`engine="0",model_name=%q`, p.Model)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE vllm:kv_cache_usage_perc gauge\nvllm:kv_cache_usage_perc{%s} %g\n", l, kv)
	fmt.Fprintf(w, "# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{%s} %d\n", l, waiting)
	fmt.Fprintf(w, "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{%s} %d\n", l, running)
	fmt.Fprintf(w, "# TYPE vllm:cache_config_info gauge\nvllm:cache_config_info{block_size=\"16\",engine=\"0\",num_gpu_blocks=\"2048\"} 1\n")
	fmt.Fprintf(w, "# TYPE vllm:request_success_total counter\nvllm:request_success_total{%s,finished_reason=\"length\"} 100\n", l)
	fmt.Fprintf(w, "# TYPE vllm:generation_tokens_total counter\nvllm:generation_tokens_total{%s} %g\n", l, generated)
}

func (p *vllmPod) target() promtest.Target {
	return promtest.Target{
		Address: p.srv.Listener.Addr().String(),
		Labels:  map[string]string{"namespace": p.Namespace, "pod": p.Name},
	}
}
