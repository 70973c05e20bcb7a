package router

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/route"
)

// BenchmarkProxy measures what the router adds per request: completions
// through the router to two loopback pods, with the scorer's placement.
func BenchmarkProxy(b *testing.B) {
	for _, policy := range []string{route.KVQueueScorer, route.LeastQueue} {
		b.Run(policy, func(b *testing.B) {
			r, srv, _ := testRouter(b, func(o *Options) { o.Policy = policy })
			pods := []*backend{newBackend(b, "a"), newBackend(b, "b")}
			r.SetEndpoints([]string{pods[0].addr(), pods[1].addr()})
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			body := completion(testModel)
			b.ReportAllocs()
			b.SetParallelism(4)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Post(srv.URL+"/v1/completions", "application/json", strings.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
