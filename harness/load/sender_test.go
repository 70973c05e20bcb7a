package load

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

// openAIServer is a small OpenAI-compatible server for the sender's tests: it checks the
// request, paces streamed tokens by gap, and misbehaves on request for some models.
func openAIServer(t *testing.T, gap time.Duration) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model     string `json:"model"`
			Prompt    string `json:"prompt"`
			MaxTokens int    `json:"max_tokens"`
			MinTokens int    `json:"min_tokens"`
			IgnoreEOS bool   `json:"ignore_eos"`
			Stream    bool   `json:"stream"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if body.Model == "missing" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = fmt.Fprint(w, `{"error":{"message":"The model `+"`missing`"+` does not exist.","type":"NotFoundError","param":null,"code":404}}`)
			return
		}
		if body.MaxTokens != body.MinTokens || !body.IgnoreEOS {
			http.Error(w, "max_tokens must equal min_tokens with ignore_eos", http.StatusBadRequest)
			return
		}
		prompt := tokenize.Count(body.Prompt)
		w.Header().Set(ReplicaHeader, "sim-0")
		if !body.Stream {
			time.Sleep(gap)
			_, _ = fmt.Fprintf(w, `{"id":"x","object":"text_completion","choices":[{"index":0,"text":"hi","finish_reason":"length"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`,
				prompt, body.MaxTokens, prompt+body.MaxTokens)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		for i := range body.MaxTokens {
			time.Sleep(gap)
			if body.Model == "broken-stream" && i == 1 {
				_, _ = fmt.Fprint(w, "data: {\"error\":{\"message\":\"engine died\"}}\n\n")
				fl.Flush()
				return
			}
			_, _ = fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"text\":\" tok\"}]}\n\n")
			fl.Flush()
		}
		_, _ = fmt.Fprintf(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d}}\n\n", prompt, body.MaxTokens)
		if body.Model != "no-done" {
			_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func testSender(target, model string, timeout time.Duration) *HTTPSender {
	opts := DefaultOptions()
	opts.Target, opts.Model, opts.RequestTimeout = target, model, timeout
	return NewHTTPSender(opts, nil, clock.RealClock{})
}

func TestHTTPSenderMeasuresStreams(t *testing.T) {
	const gap = 15 * time.Millisecond
	srv := openAIServer(t, gap)
	s := testSender(srv.URL, "m", 10*time.Second)
	req := scenario.Request{ID: 3, Class: "chat", Phase: "p", PromptTokens: 40, OutputTokens: 6, Stream: true}
	start := time.Now()
	res := s.Send(context.Background(), req, start)
	require.Equal(t, record.StatusOK, res.Status, res.Error)
	assert.Equal(t, 200, res.Code)
	assert.Equal(t, "sim-0", res.Replica)
	assert.Equal(t, 40, res.PromptTokens, "usage reports the prompt the server counted")
	assert.Equal(t, 6, res.OutputTokens)
	assert.GreaterOrEqual(t, res.FirstToken, gap)
	assert.GreaterOrEqual(t, res.MaxITL, gap-2*time.Millisecond)
	assert.GreaterOrEqual(t, res.Finish-res.FirstToken, 5*gap-5*time.Millisecond)
	assert.Equal(t, "chat", res.Class)
	assert.Equal(t, "p", res.Phase)
}

func TestHTTPSenderNonStreaming(t *testing.T) {
	srv := openAIServer(t, 10*time.Millisecond)
	res := testSender(srv.URL, "m", 10*time.Second).Send(context.Background(),
		scenario.Request{ID: 1, PromptTokens: 12, OutputTokens: 30}, time.Now())
	require.Equal(t, record.StatusOK, res.Status, res.Error)
	assert.Equal(t, 12, res.PromptTokens)
	assert.Equal(t, 30, res.OutputTokens)
	assert.Zero(t, res.FirstToken, "a non-streaming client does not see the first token")
	assert.GreaterOrEqual(t, res.Finish, 10*time.Millisecond)
}

func TestHTTPSenderFailures(t *testing.T) {
	srv := openAIServer(t, 20*time.Millisecond)
	tests := []struct {
		name    string
		model   string
		timeout time.Duration
		stream  bool
		code    int
		want    string
	}{
		{"openai error body", "missing", 10 * time.Second, true, 404, "HTTP 404: The model `missing` does not exist."},
		{"error event in stream", "broken-stream", 10 * time.Second, true, 200, "server error in stream: engine died"},
		{"stream without DONE", "no-done", 10 * time.Second, true, 200, "stream ended without data: [DONE]"},
		{"timeout", "m", 50 * time.Millisecond, true, 200, "timed out after 50ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := testSender(srv.URL, tt.model, tt.timeout).Send(context.Background(),
				scenario.Request{ID: 2, PromptTokens: 5, OutputTokens: 8, Stream: tt.stream}, time.Now())
			assert.Equal(t, record.StatusError, res.Status)
			assert.Equal(t, tt.code, res.Code)
			assert.Contains(t, res.Error, tt.want)
		})
	}
}

func TestHTTPSenderConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	res := testSender(url, "m", time.Second).Send(context.Background(), scenario.Request{ID: 1, PromptTokens: 1, OutputTokens: 1}, time.Now())
	assert.Equal(t, record.StatusError, res.Status)
	assert.Zero(t, res.Code)
	assert.Contains(t, res.Error, "connection refused")
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Options)
		want   string
	}{
		{"ok", func(o *Options) {}, ""},
		{"no target", func(o *Options) { o.Target = "" }, "--target is required"},
		{"not a url", func(o *Options) { o.Target = "sim:8000" }, "is not an http(s) URL"},
		{"with path", func(o *Options) { o.Target = "http://sim:8000/v1/completions" }, "without the /v1/"},
		{"bad api", func(o *Options) { o.API = "embeddings" }, `--api "embeddings"`},
		{"timeout", func(o *Options) { o.RequestTimeout = 0 }, "--request-timeout"},
		{"in flight", func(o *Options) { o.MaxInFlight = 0 }, "--max-in-flight"},
		{"drain", func(o *Options) { o.Drain = -time.Second }, "--drain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.Target = "http://127.0.0.1:8000"
			tt.mutate(&o)
			err := o.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
