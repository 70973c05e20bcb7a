package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/promclient"
	"github.com/saturn-autoscaler/saturn/controller/promclient/promtest"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
	simapp "github.com/saturn-autoscaler/saturn/simulator/app"
)

// The capacity analyzer's latency model is fitted on what the collector reads of a real
// vLLM-compatible server through a real Prometheus: each pod's mean ITL and mean running
// requests over the rate window. saturn-sim serves an H100 in real time, Prometheus scrapes
// it every second, and a closed loop holds 1, then 4, then 8 requests in flight: the
// collected means must follow the load, and the line fitted on them must be the H100's
// (a base near its batch-1 ITL, a slope that is positive), and each pod's mean prefill
// time must be read. On Kind a spike run once sized
// a whole run without a line where the twin fitted one: this pins that the queries and the
// sim's series give the samples the fit needs.
func TestLatencyModelFromARealServerAndPrometheus(t *testing.T) {
	promtest.Binary(t)
	const model = "meta-llama/Llama-3.1-8B-Instruct"
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- simapp.Run(ctx, []string{model, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
			"--max-num-seqs", "8", "--log-level", "error"}, io.Discard, io.Discard)
	}()
	t.Cleanup(func() { cancel(); <-served })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond, "saturn-sim did not start")

	prom := promtest.Start(t, promtest.Options{Targets: []promtest.Target{{
		Address: fmt.Sprintf("127.0.0.1:%d", port), Labels: map[string]string{"namespace": "llm-d", "pod": "sim-0"},
	}}})
	q, err := promclient.New(promclient.Config{URL: prom.URL, CAFile: prom.CA.CertFile})
	require.NoError(t, err)

	const window = 8 * time.Second
	opts := collector.Options{RateWindow: window, KVWindow: window, PromptWindow: window, ActivityWindow: time.Minute}
	target := []collector.Target{{Namespace: "llm-d", ModelID: model}}
	var samples []saturation.LatencySample
	for _, inFlight := range []int{1, 4, 8} {
		stop := closedLoop(t, base, model, inFlight)
		// Two snapshots per level, each a rate window after the level (or the last
		// snapshot) began, plus two scrapes for Prometheus to have the window's end.
		for range 2 {
			time.Sleep(window + 2*time.Second)
			snap, err := collector.Collect(context.Background(), q, time.Now(), target, opts)
			require.NoError(t, err, "every query answers")
			mm := snap.Models[collector.ModelKey{Namespace: "llm-d", ModelID: model}]
			require.NotNil(t, mm)
			p := mm.Pods["sim-0"]
			require.NotNil(t, p, "the pod's series carry the namespace and pod labels: %v", mm.Pods)
			require.Falsef(t, math.IsNaN(p.MeanITL) || math.IsNaN(p.MeanRunning), "%d in flight: ITL %v, running %v", inFlight, p.MeanITL, p.MeanRunning)
			assert.InDeltaf(t, float64(inFlight), p.MeanRunning, 0.3*float64(inFlight)+0.5, "%d in flight: mean running", inFlight)
			assert.Greaterf(t, mm.CompletionRate, 0.0, "%d in flight: completions", inFlight)
			// The prefill (first scheduled to first token) a request spends in the replica
			// before its output tokens: a short prompt's, well under a second.
			assert.Truef(t, p.MeanPrefill > 0 && p.MeanPrefill < 1, "%d in flight: prefill %v s", inFlight, p.MeanPrefill)
			samples = append(samples, saturation.LatencySample{At: snap.Time, Running: p.MeanRunning, ITL: p.MeanITL, Window: window})
		}
		stop()
	}
	require.Len(t, samples, 6)
	assert.Greater(t, samples[5].ITL, samples[1].ITL, "a batch of 8 steps slower than one request: %+v", samples)
	fit := saturation.FitLatency(samples)
	t.Logf("samples %+v: %v", samples, fit)
	require.True(t, fit.Known, "%v from %+v", fit, samples)
	assert.Positive(t, fit.PerRequest, "%v", fit)
	// simulator/profiles/CALIBRATION.md: TPOT 6.53 ms at one request, 9.54 ms at 16.
	assert.InDelta(t, 0.0065, fit.Base+fit.PerRequest, 0.002, "the ITL at one request: %v", fit)

	// A restarted controller reads the same figures back as its history: one range query
	// per expression (query_range), the points those of instant queries at every instant.
	now := time.Now()
	h, err := collector.CollectHistory(context.Background(), q, now, target, time.Minute, 5*time.Second, opts)
	require.NoError(t, err)
	assert.Equal(t, collector.QueriesPerHistoryPoint, h.Queries, "one range query per expression")
	pts := h.Models[collector.ModelKey{Namespace: "llm-d", ModelID: model}]["sim-0"]
	require.NotEmpty(t, pts, "%+v", h.Models)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		if p.HasLatency() {
			lo, hi = math.Min(lo, p.MeanRunning), math.Max(hi, p.MeanRunning)
		}
	}
	assert.Less(t, lo, 2.5, "the history holds the light load: %+v", pts)
	assert.Greater(t, hi, 5.5, "and the batch of 8: %+v", pts)
	instants, err := collector.CollectHistory(context.Background(), instantQuerier{q}, now, target, time.Minute, 5*time.Second, opts)
	require.NoError(t, err)
	assert.Equal(t, collector.QueriesPerHistoryPoint*len(collector.HistoryInstants(now, time.Minute, 5*time.Second)), instants.Queries)
	assert.Equal(t, fmt.Sprint(instants.Models), fmt.Sprint(h.Models), "query_range evaluates what the instant queries do")
}

// instantQuerier hides the client's range API: the history is read instant by instant.
type instantQuerier struct{ collector.Querier }

// closedLoop keeps n completion requests in flight against the server until stop is called.
func closedLoop(t *testing.T, base, model string, n int) (stop func()) {
	t.Helper()
	done := make(chan struct{})
	var wg sync.WaitGroup
	body, err := json.Marshal(map[string]any{"model": model, "prompt": "Summarise the plot of a long novel.", "max_tokens": 96})
	require.NoError(t, err)
	client := &http.Client{Timeout: 30 * time.Second}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				resp, err := client.Post(base+"/v1/completions", "application/json", bytes.NewReader(body))
				if err != nil {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	return func() { close(done); wg.Wait() }
}
