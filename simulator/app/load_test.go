package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

// utilizationForKV finds a --gpu-memory-utilization that gives o's engine a
// KV cache of about tokens tokens.
func utilizationForKV(t *testing.T, o *Options, tokens int) float64 {
	t.Helper()
	lo, hi := 0.01, 1.0
	for i := 0; i < 40; i++ {
		mid := (lo + hi) / 2
		o.GPUMemoryUtilization = mid
		cfg, err := engineConfig(o)
		require.NoError(t, err)
		eng, err := engine.New(cfg)
		if err != nil || eng.CacheConfig().MaxTokens < tokens {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// sampleGauges reads the load gauges and the preemption counter.
func sampleGauges(g prometheus.Gatherer) (loadSample, error) {
	families, err := g.Gather()
	if err != nil {
		return loadSample{}, err
	}
	var s loadSample
	for _, f := range families {
		if len(f.GetMetric()) == 0 {
			continue
		}
		m := f.GetMetric()[0]
		switch f.GetName() {
		case "vllm:num_requests_waiting":
			s.waiting = m.GetGauge().GetValue()
		case "vllm:num_requests_running":
			s.running = m.GetGauge().GetValue()
		case "vllm:kv_cache_usage_perc":
			s.kv = m.GetGauge().GetValue()
		case "vllm:num_preemptions_total":
			s.preemptions = m.GetCounter().GetValue()
		}
	}
	return s, nil
}

type loadSample struct {
	waiting, running, kv, preemptions float64
}

// TestLoad2000ConcurrentStreams overcommits one simulated H100 replica with
// 2,000 concurrent streams and checks that every stream gets exactly its
// tokens, that the queue and KV usage rise and fall with the load, and that
// the overcommitted KV cache preempts.
func TestLoad2000ConcurrentStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped with -short: it runs 2,000 concurrent streams for several seconds")
	}
	const (
		streams      = 2000
		promptTokens = 96
		outputTokens = 32
	)
	o := NewOptions()
	o.MaxModelLen = 1024
	o.MaxNumSeqs = 128
	o.NoEnablePrefixCaching = true
	// 128 running requests need up to 128 x 128 tokens of KV; give them a
	// third of that so admission outruns the cache and decode preempts.
	o.GPUMemoryUtilization = utilizationForKV(t, o, o.MaxNumSeqs*(promptTokens+outputTokens)/3)
	o.LogLevel = "warn"
	r := startServe(t, o)

	var samples []loadSample
	var samplesMu sync.Mutex
	stopSampling := make(chan struct{})
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
			s, err := sampleGauges(r.gatherer)
			if err != nil {
				continue
			}
			samplesMu.Lock()
			samples = append(samples, s)
			samplesMu.Unlock()
		}
	}()

	ids := make([]string, promptTokens)
	for i := range ids {
		ids[i] = strconv.Itoa(1000 + i)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: streams, MaxConnsPerHost: 0}
	client := &http.Client{Transport: transport, Timeout: 5 * time.Minute}
	defer transport.CloseIdleConnections()

	var wg sync.WaitGroup
	var failures atomic.Int64
	errs := make(chan error, streams)
	start := time.Now()
	for i := 0; i < streams; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := runStream(client, r.url, i, ids, outputTokens); err != nil {
				failures.Add(1)
				errs <- fmt.Errorf("stream %d: %w", i, err)
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Error(err)
		if failures.Load() > 5 {
			break
		}
	}
	require.Zero(t, failures.Load(), "streams failed")

	// Let a final scrape see the idle replica.
	time.Sleep(100 * time.Millisecond)
	close(stopSampling)
	<-samplerDone
	samplesMu.Lock()
	defer samplesMu.Unlock()
	require.NotEmpty(t, samples)
	var peak loadSample
	for _, s := range samples {
		peak.waiting = max(peak.waiting, s.waiting)
		peak.running = max(peak.running, s.running)
		peak.kv = max(peak.kv, s.kv)
	}
	last := samples[len(samples)-1]
	t.Logf("%d streams in %v; peak waiting %.0f, running %.0f, KV usage %.2f; preemptions %.0f; %d samples",
		streams, elapsed, peak.waiting, peak.running, peak.kv, last.preemptions, len(samples))
	assert.Greater(t, peak.waiting, 100.0, "the queue rises with 2,000 streams against 128 sequences")
	assert.Greater(t, peak.running, 20.0, "many requests run at once (KV-bound, below max-num-seqs)")
	assert.Greater(t, peak.kv, 0.8, "KV usage rises under overload")
	assert.Zero(t, last.waiting, "the queue falls back to empty")
	assert.Zero(t, last.running)
	assert.Zero(t, last.kv, "KV usage falls back to 0")
	assert.Positive(t, last.preemptions, "an overcommitted KV cache preempts")
}

// runStream sends one streaming completion and checks its tokens and usage.
func runStream(client *http.Client, url string, i int, ids []string, outputTokens int) error {
	body := fmt.Sprintf(`{"prompt":[%d,%s],"max_tokens":%d,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}`,
		i, strings.Join(ids[1:], ","), outputTokens)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/v1/completions", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	var text strings.Builder
	var usage struct {
		CompletionTokens int `json:"completion_tokens"`
		PromptTokens     int `json:"prompt_tokens"`
	}
	done := false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			return fmt.Errorf("not an SSE data line: %q", line)
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		var chunk struct {
			Choices []struct {
				Text string `json:"text"`
			} `json:"choices"`
			Usage *json.RawMessage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			return fmt.Errorf("decoding chunk %q: %w", data, err)
		}
		for _, c := range chunk.Choices {
			text.WriteString(c.Text)
		}
		if chunk.Usage != nil && len(chunk.Choices) == 0 {
			if err := json.Unmarshal(*chunk.Usage, &usage); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if !done {
		return fmt.Errorf("stream did not end with [DONE]")
	}
	if got := tokenize.Count(text.String()); got != outputTokens {
		return fmt.Errorf("got %d tokens of text, want %d", got, outputTokens)
	}
	if usage.CompletionTokens != outputTokens || usage.PromptTokens != len(ids) {
		return fmt.Errorf("usage %+v, want %d prompt and %d completion tokens", usage, len(ids), outputTokens)
	}
	return nil
}
