package router

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/harness/route"
)

func queueGauge(r *Router) float64 {
	return testutil.ToFloat64(r.metrics.queueSize.WithLabelValues(testModel, testModel))
}

func TestHoldsRequestsUntilAPodIsReady(t *testing.T) {
	r, srv, _ := testRouter(t, nil)
	b := newBackend(t, "a")
	type answer struct {
		code int
		body string
	}
	done := make(chan answer, 2)
	for range 2 {
		go func() {
			code, body := post(t, srv.URL, completion(testModel))
			done <- answer{code, body}
		}()
	}
	require.Eventually(t, func() bool { return r.Queued() == 2 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, 2.0, queueGauge(r), "the flow-control gauge counts the held requests")

	r.SetEndpoints([]string{b.addr()})
	for range 2 {
		select {
		case a := <-done:
			assert.Equal(t, http.StatusOK, a.code)
			assert.JSONEq(t, `{"served_by":"a"}`, a.body)
		case <-time.After(5 * time.Second):
			t.Fatal("a held request was not released when a pod became ready")
		}
	}
	assert.Equal(t, 0.0, queueGauge(r))
	assert.Equal(t, 0, r.Queued())
	assert.Equal(t, uint64(2), histogramCount(t, r))
	// The counter moves when the handler returns, which may be just after the
	// client read the whole answer.
	assert.Eventually(t, func() bool {
		return testutil.ToFloat64(r.metrics.requests.WithLabelValues(testModel, "200")) == 2
	}, 5*time.Second, 5*time.Millisecond)
}

func histogramCount(t *testing.T, r *Router) uint64 {
	t.Helper()
	ch := make(chan prometheusMetric, 1)
	r.metrics.queueWait.Collect(ch)
	return readCount(t, <-ch)
}

func TestQueueTimeoutAnswers503(t *testing.T) {
	_, srv, _ := testRouter(t, func(o *Options) { o.QueueTimeout = 100 * time.Millisecond })
	code, body := post(t, srv.URL, completion(testModel))
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, `"type":"ServiceUnavailableError"`)
	assert.Contains(t, body, "--queue-timeout")
}

func TestFullQueueAnswers429(t *testing.T) {
	r, srv, _ := testRouter(t, func(o *Options) { o.MaxQueue = 1 })
	go func() { _, _ = post(t, srv.URL, completion(testModel)) }()
	require.Eventually(t, func() bool { return r.Queued() == 1 }, 5*time.Second, 5*time.Millisecond)
	code, body := post(t, srv.URL, completion(testModel))
	assert.Equal(t, http.StatusTooManyRequests, code)
	assert.Contains(t, body, "--max-queue")
	r.SetEndpoints([]string{newBackend(t, "a").addr()}) // release the held one
	require.Eventually(t, func() bool { return r.Queued() == 0 }, 5*time.Second, 5*time.Millisecond)
}

func TestClientGoneLeavesTheQueue(t *testing.T) {
	r, srv, _ := testRouter(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/completions", strings.NewReader(completion(testModel)))
	require.NoError(t, err)
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
		}
	}()
	require.Eventually(t, func() bool { return r.Queued() == 1 }, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.Eventually(t, func() bool { return r.Queued() == 0 && queueGauge(r) == 0 }, 5*time.Second, 5*time.Millisecond)
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestRefusedConnectionGoesToAnotherPod(t *testing.T) {
	r, srv, _ := testRouter(t, func(o *Options) { o.Policy = route.RoundRobin })
	b := newBackend(t, "live")
	r.SetEndpoints([]string{deadAddr(t), b.addr()})
	for range 6 {
		code, body := post(t, srv.URL, completion(testModel))
		require.Equal(t, http.StatusOK, code, body)
	}
	assert.Equal(t, int64(6), b.hits.Load())
	assert.GreaterOrEqual(t, testutil.ToFloat64(r.metrics.retries), 1.0)
}

func TestEveryPodFailingAnswers502(t *testing.T) {
	r, srv, _ := testRouter(t, nil)
	r.SetEndpoints([]string{deadAddr(t)})
	code, body := post(t, srv.URL, completion(testModel))
	// The only pod is marked down after each refusal; the request waits for it
	// to come back and fails after maxAttempts refusals.
	assert.Equal(t, http.StatusBadGateway, code)
	assert.Contains(t, body, "pods failed to answer")
}

func TestRefusesUnknownModelAndLargeBody(t *testing.T) {
	r, srv, _ := testRouter(t, func(o *Options) { o.MaxRequestBodyBytes = 64 })
	b := newBackend(t, "a")
	r.SetEndpoints([]string{b.addr()})

	code, body := post(t, srv.URL, `{"model":"gpt-9","prompt":"x"}`)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body, "The model `gpt-9` does not exist.")

	code, body = post(t, srv.URL, `{"model":"`+testModel+`","prompt":"`+strings.Repeat("x", 100)+`"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Contains(t, body, "--max-request-body-bytes")

	code, _ = post(t, srv.URL, `{"prompt":"no model named"}`)
	assert.Equal(t, http.StatusOK, code, "a request naming no model goes to the default model")
	assert.Equal(t, int64(1), b.hits.Load())
}

func TestGetIsProxiedWithoutABody(t *testing.T) {
	seen := make(chan http.Header, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		_, _ = io.WriteString(w, `{"object":"list","data":[]}`)
	}))
	t.Cleanup(up.Close)
	r, srv, _ := testRouter(t, nil)
	r.SetEndpoints([]string{strings.TrimPrefix(up.URL, "http://")})
	resp, err := http.Get(srv.URL + "/v1/models")
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	h := <-seen
	assert.Empty(t, h.Get("Transfer-Encoding"), "a GET must not be sent chunked")
	assert.NotEmpty(t, h.Get("X-Forwarded-For"))
}

func TestStreamsAreRelayedAsTheyCome(t *testing.T) {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: {\"n\":1}\n\n")
		w.(http.Flusher).Flush()
		<-release
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(up.Close)
	r, srv, _ := testRouter(t, nil)
	r.SetEndpoints([]string{strings.TrimPrefix(up.URL, "http://")})
	resp, err := http.Post(srv.URL+"/v1/completions", "application/json", strings.NewReader(`{"stream":true}`))
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	rd := bufio.NewReader(resp.Body)
	line, err := rd.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "data: {\"n\":1}\n", line, "the first event arrives before the stream ends")
	close(release)
	rest, err := io.ReadAll(rd)
	require.NoError(t, err)
	assert.Contains(t, string(rest), "data: [DONE]")
}

func TestScorerFollowsScrapedQueues(t *testing.T) {
	r, srv, _ := testRouter(t, func(o *Options) { o.KVCacheWeight = 0 })
	busy, idle := newBackend(t, "busy"), newBackend(t, "idle")
	busy.waiting.Store(10)
	r.SetEndpoints([]string{busy.addr(), idle.addr()})
	r.refresh(context.Background())
	for range 5 {
		code, body := post(t, srv.URL, completion(testModel))
		require.Equal(t, http.StatusOK, code)
		assert.JSONEq(t, `{"served_by":"idle"}`, body)
	}
	// After a scrape showing the idle pod busier, requests move.
	idle.waiting.Store(20)
	busy.waiting.Store(0)
	r.refresh(context.Background())
	_, body := post(t, srv.URL, completion(testModel))
	assert.JSONEq(t, `{"served_by":"busy"}`, body)
}

func TestHealthWaitsForTheFirstEndpointRead(t *testing.T) {
	r, srv, _ := testRouter(t, nil)
	resp, err := http.Get(srv.URL + "/health")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	r.SetEndpoints(nil) // read: no pod yet, but the router is ready to hold requests
	resp, err = http.Get(srv.URL + "/health")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// The router counts the requests it receives for a served model as llm-d's endpoint
// picker does, from 0 before the first: a request for a model it does not serve is not
// counted.
func TestMetricsPageCountsArrivals(t *testing.T) {
	r, srv, _ := testRouter(t, nil)
	r.SetEndpoints([]string{newBackend(t, "a").addr()})
	series := route.RequestTotalMetric + `{model_name="` + testModel + `",target_model_name="` + testModel + `"} `
	_, page := get(t, srv.URL+"/metrics")
	assert.Contains(t, page, series+"0")
	for range 3 {
		code, body := post(t, srv.URL, completion(testModel))
		require.Equal(t, http.StatusOK, code, body)
	}
	code, _ := post(t, srv.URL, completion("gpt-9"))
	require.Equal(t, http.StatusNotFound, code)
	_, page = get(t, srv.URL+"/metrics")
	assert.Contains(t, page, series+"3")
	assert.NotContains(t, page, route.RequestTotalMetric+`{model_name="gpt-9"`)
}

func TestMetricsPageNamesTheQueueGauge(t *testing.T) {
	r, srv, _ := testRouter(t, nil)
	r.SetEndpoints(nil)
	_, page := get(t, srv.URL+"/metrics")
	assert.Contains(t, page, QueueSizeMetric+`{model_name="`+testModel+`",target_model_name="`+testModel+`"} 0`,
		"the queue gauge exists before any request: an explicit 0, not a missing signal")
	go func() { _, _ = post(t, srv.URL, completion(testModel)) }()
	require.Eventually(t, func() bool { return r.Queued() == 1 }, 5*time.Second, 5*time.Millisecond)
	_, page = get(t, srv.URL+"/metrics")
	assert.Contains(t, page, QueueSizeMetric+`{model_name="`+testModel+`",target_model_name="`+testModel+`"} 1`)
	r.SetEndpoints([]string{newBackend(t, "a").addr()})
	require.Eventually(t, func() bool { return r.Queued() == 0 }, 5*time.Second, 5*time.Millisecond)
}
