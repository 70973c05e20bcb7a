package realtime

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/profiles"
)

// BenchmarkTokenPacing runs the real engine (Llama-3.1-8B on H100) on the
// wall clock with 16 concurrent requests of 64 output tokens each and
// measures how late each token reaches its consumer relative to the end of
// the engine step that produced it (its absolute deadline). Reports the p50
// and p99 lateness in ms. Target: p99 under 1 ms when not overloaded.
func BenchmarkTokenPacing(b *testing.B) {
	acc, err := profiles.LookupAccelerator("H100")
	if err != nil {
		b.Fatal(err)
	}
	model, err := profiles.LookupModel("meta-llama/Llama-3.1-8B-Instruct")
	if err != nil {
		b.Fatal(err)
	}
	var lateness []time.Duration
	for i := 0; i < b.N; i++ {
		lateness = append(lateness, pacingRun(b, acc, model, 16, 64)...)
	}
	slices.Sort(lateness)
	pct := func(p float64) float64 {
		return float64(lateness[int(p*float64(len(lateness)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lateness))/float64(b.N), "tokens/op")
}

func pacingRun(b *testing.B, acc profiles.Accelerator, model profiles.Model, streams, tokens int) []time.Duration {
	eng, err := engine.New(engine.Config{Accelerator: acc, Model: model, TokenEvents: true})
	if err != nil {
		b.Fatal(err)
	}
	clk := clock.RealClock{}
	drv := New(eng, Options{Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = drv.Run(ctx) }()

	var mu sync.Mutex
	var out []time.Duration
	var wg sync.WaitGroup
	for s := 0; s < streams; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			notify := make(chan struct{}, 1)
			st, err := drv.Submit(ctx, engine.Request{ID: fmt.Sprint("r", s), PromptTokens: 256, OutputTokens: tokens}, notify)
			if err != nil {
				b.Error(err)
				return
			}
			seen := 0
			var local []time.Duration
			for {
				<-notify
				now := clk.Now()
				p := st.Progress()
				if p.Tokens > seen {
					local = append(local, now.Sub(p.LastTokenAt))
					seen = p.Tokens
				}
				if p.Done {
					break
				}
			}
			mu.Lock()
			out = append(out, local...)
			mu.Unlock()
		}(s)
	}
	wg.Wait()
	return out
}
