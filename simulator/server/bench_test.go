package server

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkNoLatencyCompletions measures non-streaming completions per second
// over loopback HTTP with the instant backend (--no-latency), client and
// server in this process. Target: at least 20,000 req/s on 2 cores.
func BenchmarkNoLatencyCompletions(b *testing.B) {
	ts := newInstantServer(b)
	transport := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	const body = `{"model":"Qwen/Qwen3-0.6B","prompt":"Say something short","max_tokens":16,"ignore_eos":true}`
	url := ts.URL + "/v1/completions"
	b.SetParallelism(8)
	b.ReportAllocs()
	start := time.Now()
	cpuStart := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 4096)
		for pb.Next() {
			resp, err := client.Post(url, "application/json", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			for {
				if _, err := resp.Body.Read(buf); err != nil {
					if !errors.Is(err, io.EOF) {
						b.Error(err)
					}
					break
				}
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	elapsed := time.Since(start)
	cpu := processCPU() - cpuStart
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	// On a shared machine wall-clock req/s understates the server: also
	// report what 2 dedicated cores would do at the CPU time this process
	// (client and server together) spent per request.
	b.ReportMetric(2*float64(b.N)/cpu.Seconds(), "req/s@2cpu")
}

// processCPU is the user+system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
