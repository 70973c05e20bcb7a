package app

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPacingDoesNotDrift streams 16 concurrent requests from a simulated
// Llama-3.1-8B on H100 and compares the decode time clients observe (first to
// last chunk) with the engine's modelled decode time
// (vllm:request_decode_time_seconds): tokens are released on absolute
// deadlines, so per-token lateness does not accumulate into the total.
func TestPacingDoesNotDrift(t *testing.T) {
	const streams, tokens = 16, 64
	o := NewOptions()
	o.Model = "meta-llama/Llama-3.1-8B-Instruct"
	o.MaxModelLen = 4096
	o.LogLevel = "warn"
	r := startServe(t, o)

	transport := &http.Transport{MaxIdleConnsPerHost: streams}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	var mu sync.Mutex
	var observed time.Duration
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := 0; i < streams; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := fmt.Sprintf(`{"prompt":[%d,1,2,3,4,5,6,7],"max_tokens":%d,"ignore_eos":true,"stream":true}`, i, tokens)
			resp, err := client.Post(r.url+"/v1/completions", "application/json", strings.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var first, last time.Time
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				line := sc.Text()
				if !strings.HasPrefix(line, "data: {") {
					continue
				}
				now := time.Now()
				if first.IsZero() {
					first = now
				}
				last = now
			}
			if err := sc.Err(); err != nil {
				errs <- err
				return
			}
			mu.Lock()
			observed += last.Sub(first)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	families, err := r.gatherer.Gather()
	require.NoError(t, err)
	var modelled float64
	var count uint64
	for _, f := range families {
		if f.GetName() == "vllm:request_decode_time_seconds" {
			modelled = f.GetMetric()[0].GetHistogram().GetSampleSum()
			count = f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	require.Equal(t, uint64(streams), count)
	ratio := observed.Seconds() / modelled
	t.Logf("decode time: clients observed %.3f s, engine modelled %.3f s (ratio %.3f, mean per stream %.1f ms)",
		observed.Seconds(), modelled, ratio, 1000*modelled/streams)
	// Drift (sleeping a fixed interval after each write) would make clients
	// see more than the engine's time; releasing tokens early, less. A late
	// first token (16 first chunks written in one step) shortens what
	// clients see a little, never lengthens it.
	assert.LessOrEqual(t, ratio, 1.10, "client-observed decode time drifts beyond the engine's")
	assert.GreaterOrEqual(t, ratio, 0.8, "tokens reach clients faster than the engine produced them")
}
