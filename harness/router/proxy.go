package router

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"

	"github.com/saturn-autoscaler/saturn/simulator/server"
)

// maxAttempts bounds how many pods a request is offered to when pods refuse
// or drop connections (a pod that just went away, before discovery noticed).
const maxAttempts = 3

type targetKey struct{}

// attempt carries one upstream try through the reverse proxy.
type attempt struct {
	ep  *endpoint
	err error
}

func (r *Router) newProxy(tr http.RoundTripper) http.Handler {
	return &httputil.ReverseProxy{
		Transport:     tr,
		FlushInterval: -1, // relay every SSE event as it comes
		Rewrite: func(pr *httputil.ProxyRequest) {
			a := pr.In.Context().Value(targetKey{}).(*attempt)
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = a.ep.addr
			pr.Out.Host = a.ep.addr
			pr.SetXForwarded()
		},
		ErrorHandler: func(_ http.ResponseWriter, req *http.Request, err error) {
			// Nothing was written to the client yet: ServeHTTP decides between
			// another pod and an error answer.
			req.Context().Value(targetKey{}).(*attempt).err = err
		},
	}
}

// Handler serves the proxied API, /health and the metrics handler at /metrics.
func (r *Router) Handler(metricsHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		if !r.Ready() {
			http.Error(w, "endpoints not read yet", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/", r.serveProxy)
	return mux
}

// statusRecorder remembers the status code answered (for the request counter).
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController flush the stream underneath.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (r *Router) serveProxy(w http.ResponseWriter, req *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	model := r.opts.Models[0]
	defer func() {
		r.metrics.requests.WithLabelValues(model, strconv.Itoa(rec.code)).Inc()
	}()
	body, apiErr := r.readBody(rec, req)
	if apiErr != nil {
		server.WriteError(rec, apiErr)
		return
	}
	info := parseRequest(body)
	if info.Model != "" {
		if !slices.Contains(r.opts.Models, info.Model) {
			model = "unknown"
			server.WriteError(rec, apiError(http.StatusNotFound, "NotFoundError", "model", "The model `%s` does not exist.", info.Model))
			return
		}
		model = info.Model
	}
	r.metrics.arrivals.WithLabelValues(model, model).Inc()
	ctx := req.Context()
	for try := 1; ; try++ {
		ep, err := r.acquire(ctx, model, info.Prefix)
		if err != nil {
			r.answerAcquireError(rec, err)
			return
		}
		upstreamErr := r.forward(rec, req, body, ep)
		if upstreamErr == nil {
			return
		}
		if ctx.Err() != nil {
			return // the client went away
		}
		r.markDown(ep)
		r.log.Warn("upstream failed", "endpoint", ep.addr, "attempt", try, "err", upstreamErr)
		if try == maxAttempts {
			server.WriteError(rec, apiError(http.StatusBadGateway, "BadGatewayError", "", "%d pods failed to answer; last error: %v", try, upstreamErr))
			return
		}
		r.metrics.retries.Inc()
	}
}

// forward relays req (with the buffered body) to ep and returns the error of a
// connection that failed before anything was answered.
func (r *Router) forward(w http.ResponseWriter, req *http.Request, body []byte, ep *endpoint) error {
	defer r.release(ep) // also when the proxy aborts a broken stream by panicking
	a := &attempt{ep: ep}
	out := req.Clone(context.WithValue(req.Context(), targetKey{}, a))
	out.ContentLength = int64(len(body))
	out.Body, out.GetBody = http.NoBody, nil
	if len(body) > 0 {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	r.proxy.ServeHTTP(w, out)
	return a.err
}

func (r *Router) readBody(w http.ResponseWriter, req *http.Request) ([]byte, *server.APIError) {
	limit := r.opts.MaxRequestBodyBytes
	if req.ContentLength > limit {
		return nil, apiError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "",
			"The request body is %d bytes; the router's limit is %d bytes (--max-request-body-bytes).", req.ContentLength, limit)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, apiError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "",
				"The request body exceeds the router's limit of %d bytes (--max-request-body-bytes).", limit)
		}
		return nil, apiError(http.StatusBadRequest, "BadRequestError", "", "Reading the request body: %v", err)
	}
	return body, nil
}

func (r *Router) answerAcquireError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errQueueFull):
		server.WriteError(w, apiError(http.StatusTooManyRequests, "TooManyRequests", "",
			"%d requests already wait for a ready pod (--max-queue).", r.opts.MaxQueue))
	case errors.Is(err, errQueueTimeout):
		server.WriteError(w, apiError(http.StatusServiceUnavailable, "ServiceUnavailableError", "",
			"No ready pod took the request within %s (--queue-timeout).", r.opts.QueueTimeout))
	default: // the client went away while queued: nobody reads an answer
		w.WriteHeader(499)
	}
}

func apiError(status int, typ, param, format string, args ...any) *server.APIError {
	return &server.APIError{Status: status, Type: typ, Param: param, Message: fmt.Sprintf(format, args...)}
}
