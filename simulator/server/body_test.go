package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// overlongIDsBody is a completion body of about size bytes whose prompt is
// token ids, far more than any model's context (the body of issue 19: 15.8 MB,
// 2.3 million ids).
func overlongIDsBody(size int) []byte {
	b := make([]byte, 0, size+64)
	b = append(b, `{"model":"`+testModel+`","max_tokens":1,"prompt":[`...)
	for i := 0; len(b) < size-16; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(i%1000000), 10)
	}
	return append(b, "]}"...)
}

// overlongChatBody is a chat body of about size bytes of short messages.
func overlongChatBody(size int) []byte {
	b := make([]byte, 0, size+64)
	b = append(b, `{"max_tokens":1,"messages":[`...)
	for i := 0; len(b) < size-64; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"role":"user","content":"hi\n"}`...)
	}
	return append(b, "]}"...)
}

// serveAllocated serves one request with h and returns the recorder and the
// bytes allocated meanwhile (by every goroutine: run it on an idle server).
func serveAllocated(h http.Handler, path string, body []byte) (*httptest.ResponseRecorder, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
	runtime.ReadMemStats(&after)
	return rec, after.TotalAlloc - before.TotalAlloc
}

// TestOverlongPromptMemory: an over-long prompt is refused with vLLM's 400
// for less memory than a few times its body (it took 18 times the body before
// prompts were counted as they are decoded).
func TestOverlongPromptMemory(t *testing.T) {
	const size = 16 << 20
	ts := newInstantServer(t, func(c *Config) { c.MaxRequestBodyBytes = DefaultMaxRequestBodyBytes; c.PrefixBlockSize = 16 })
	h := ts.srv.Handler()
	for _, tt := range []struct {
		name, path string
		body       []byte
		param      any
	}{
		{"token ids", "/v1/completions", overlongIDsBody(size - 1024), "prompt"},
		{"text", "/v1/completions", []byte(`{"max_tokens":1,"prompt":"` + string(bytes.Repeat([]byte("abcd."), (size-1024)/5)) + `"}`), "prompt"},
		{"chat messages", "/v1/chat/completions", overlongChatBody(size - 1024), "prompt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec, allocated := serveAllocated(h, tt.path, tt.body)
			require.Equal(t, http.StatusBadRequest, rec.Code, "%.300s", rec.Body.Bytes())
			msg, param := requireErrorShape(t, rec.Code, rec.Body.Bytes())
			assert.Contains(t, msg, "This model's maximum context length is 4096 tokens. However, your request has ")
			assert.Equal(t, tt.param, param)
			t.Logf("body %d bytes, allocated %d bytes (%.1fx)", len(tt.body), allocated, float64(allocated)/float64(len(tt.body)))
			assert.Less(t, allocated, uint64(4*len(tt.body)), "bytes allocated to refuse a %d-byte body", len(tt.body))
		})
	}
}

// TestOverlongPromptErrors: a prompt whose ids or messages were counted but
// not kept is refused exactly as before, with its full token count, and the
// errors that came before the length check still come first.
func TestOverlongPromptErrors(t *testing.T) {
	ids := func(n int) string {
		b := make([]byte, 0, 8*n)
		for i := range n {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(i), 10)
		}
		return string(b)
	}
	messages := func(n int) string {
		b := make([]byte, 0, 40*n)
		for i := range n {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"role":"user","content":"hi"}`...)
		}
		return string(b)
	}
	l := limits{maxModelLen: 4096, seed: 1, prefix: newPrefixIndex(16, 1024)}
	tests := []struct {
		name, body string
		chat       bool
		param, msg string
	}{
		{"ids", `{"prompt":[` + ids(5000) + `]}`, false, "prompt", "This model's maximum context length is 4096 tokens. However, your request has 5000 input tokens. Please reduce the length of the input."},
		{"ids exactly the context", `{"prompt":[` + ids(4096) + `]}`, false, "prompt", "However, your request has 4096 input tokens."},
		{"batch", `{"prompt":[[1,2],[` + ids(4100) + `]],"max_tokens":2}`, false, "prompt", "However, your request has 4100 input tokens."},
		{"earlier prompt over max_tokens", `{"prompt":[[1,2],[` + ids(4100) + `]],"max_tokens":4095}`, false, "max_tokens", "However, you requested 4097 tokens (2 in the messages, 4095 in the completion)."},
		{"negative id after the limit", `{"prompt":[` + ids(5000) + `,-3]}`, false, "prompt", "Token id -3 in prompt 0 is out of vocabulary."},
		{"sampling first", `{"prompt":[` + ids(5000) + `],"max_tokens":0}`, false, "max_tokens", "max_tokens must be at least 1, got 0."},
		{"type error after the prompt", `{"prompt":[` + ids(5000) + `],"n":"x"}`, false, "n", `Invalid type for field "n"`},
		{"text", `{"prompt":"` + strings.Repeat("abcd ", 5000) + `"}`, false, "prompt", "However, your request has 5000 input tokens."},
		{"chat", `{"messages":[` + messages(1000) + `]}`, true, "prompt", "However, your request has 5003 input tokens."},
		{"chat bad role after the limit", `{"messages":[` + messages(1000) + `,{"role":"robot"}]}`, true, "messages[1000].role", `Message 1000 has role "robot"`},
		{"chat bad content after the limit", `{"messages":[` + messages(1000) + `,{"role":"user","content":[{"type":"image_url"}]}]}`, true, "messages[1000].content", `Content part 0 of "messages[1000].content" has type "image_url"`},
		{"chat type error after the limit", `{"messages":[` + messages(1000) + `,{"role":"user","name":5}]}`, true, "messages.name", `Invalid type for field "messages.name"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var limited, kept *APIError
			if tt.chat {
				var req *ChatRequest
				if req, limited = l.decodeChat([]byte(tt.body)); limited == nil {
					require.Nil(t, req.Messages.turns, "an over-long chat's messages are not kept")
					_, limited = l.chatJob(req, testModel)
				}
				if req, kept = DecodeChat([]byte(tt.body)); kept == nil {
					_, kept = l.chatJob(req, testModel)
				}
			} else {
				var req *CompletionRequest
				if req, limited = l.decodeCompletion([]byte(tt.body)); limited == nil {
					_, limited = l.completionJob(req, testModel)
				}
				if req, kept = DecodeCompletion([]byte(tt.body)); kept == nil {
					_, kept = l.completionJob(req, testModel)
				}
			}
			require.NotNil(t, limited)
			assert.Equal(t, kept, limited, "counting without keeping changes nothing")
			assert.Equal(t, http.StatusBadRequest, limited.Status)
			assert.Equal(t, tt.param, limited.Param)
			assert.Contains(t, limited.Message, tt.msg)
		})
	}
}
