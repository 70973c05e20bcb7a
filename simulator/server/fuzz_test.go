package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

var completionSeeds = []string{
	`{"model":"m","prompt":"hello","max_tokens":5}`,
	`{"prompt":[1,2,3],"max_tokens":1,"ignore_eos":true,"n":3}`,
	`{"prompt":[[1,2],[3]],"stream":true,"stream_options":{"include_usage":true,"continuous_usage_stats":true}}`,
	`{"prompt":["a","b"],"min_tokens":2,"max_tokens":3,"seed":-7}`,
	`{"prompt":"x","temperature":1e308,"top_p":0}`,
	`{"prompt":null}`, `{`, `[]`, `"str"`, ``, `{"prompt":[1,"a"]}`, `{"prompt":[[]]}`,
	`{"prompt":"x","max_tokens":-1}`, `{"prompt":"x","max_tokens":9223372036854775807}`,
	`{"prompt":"x","n":1000000}`, `{"prompt":"\u0000\xff"}`,
}

var chatSeeds = []string{
	`{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}`,
	`{"messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],"stream":true}`,
	`{"messages":[{"role":"assistant","content":null}],"max_completion_tokens":2,"ignore_eos":true}`,
	`{"messages":[{"role":"user","content":{}}]}`, `{"messages":null}`, `{"messages":[null]}`,
	`{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`,
}

// FuzzCompletionRequest decodes and validates arbitrary completion bodies: no
// panic, and either a job within the limits or an error of vLLM's shape.
func FuzzCompletionRequest(f *testing.F) {
	for _, s := range completionSeeds {
		f.Add([]byte(s))
	}
	l := limits{maxModelLen: 4096, seed: 1, prefix: newPrefixIndex(16, 1024)}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, apiErr := DecodeCompletion(body)
		if apiErr == nil {
			var j *job
			j, apiErr = l.completionJob(req, "m")
			if apiErr == nil {
				checkJob(t, j, l)
				return
			}
		}
		checkAPIError(t, apiErr)
	})
}

// FuzzChatRequest does the same for chat bodies.
func FuzzChatRequest(f *testing.F) {
	for _, s := range chatSeeds {
		f.Add([]byte(s))
	}
	l := limits{maxModelLen: 4096, seed: 1, prefix: newPrefixIndex(16, 1024)}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, apiErr := DecodeChat(body)
		if apiErr == nil {
			var j *job
			j, apiErr = l.chatJob(req, "m")
			if apiErr == nil {
				checkJob(t, j, l)
				return
			}
		}
		checkAPIError(t, apiErr)
	})
}

func checkJob(t *testing.T, j *job, l limits) {
	require.NotEmpty(t, j.seqs)
	for _, s := range j.seqs {
		require.Positive(t, s.promptTokens)
		require.Positive(t, s.outputTokens)
		require.LessOrEqual(t, s.promptTokens+s.outputTokens, l.maxModelLen)
		require.Contains(t, []string{"stop", "length"}, s.finishReason)
		require.LessOrEqual(t, s.prefixTokens, s.promptTokens)
		require.Zero(t, s.prefixTokens%16, "only full blocks are shared")
		if s.prefixTokens > 0 {
			require.NotEmpty(t, s.prefixGroup)
		}
		if j.maxTokens > 0 {
			require.LessOrEqual(t, s.outputTokens, j.maxTokens)
		}
	}
}

func checkAPIError(t *testing.T, e *APIError) {
	require.NotNil(t, e)
	require.Equal(t, http.StatusBadRequest, e.Status)
	require.NotEmpty(t, e.Message)
	var decoded map[string]map[string]any
	require.NoError(t, json.Unmarshal(appendError(nil, e), &decoded))
	require.Equal(t, e.Message, decoded["error"]["message"])
}

// FuzzHandler posts arbitrary bodies to both generation endpoints of a
// running server: every answer is a 200 (JSON or SSE ending in [DONE]) or an
// error of vLLM's shape.
func FuzzHandler(f *testing.F) {
	for _, s := range completionSeeds {
		f.Add(false, []byte(s))
	}
	for _, s := range chatSeeds {
		f.Add(true, []byte(s))
	}
	ts := newInstantServer(f)
	h := ts.srv.Handler()
	f.Fuzz(func(t *testing.T, chat bool, body []byte) {
		path := "/v1/completions"
		if chat {
			path = "/v1/chat/completions"
		}
		// Keep generated outputs small: the fuzzer explores parsing, not length.
		var probe map[string]any
		if json.Unmarshal(body, &probe) == nil {
			if _, ok := probe["max_tokens"]; !ok {
				if _, ok := probe["max_completion_tokens"]; !ok {
					return
				}
			}
			if n, ok := probe["n"].(float64); ok && n > 4 {
				return
			}
			if mt, ok := probe["max_tokens"].(float64); ok && mt > 64 {
				return
			}
			if mt, ok := probe["max_completion_tokens"].(float64); ok && mt > 64 {
				return
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		switch rec.Code {
		case http.StatusOK:
			out := rec.Body.Bytes()
			if bytes.HasPrefix(out, []byte("data: ")) {
				require.True(t, bytes.HasSuffix(out, []byte(doneEvent)), "stream must end with [DONE]: %s", out)
				return
			}
			require.True(t, json.Valid(out), "invalid JSON: %s", out)
		default:
			requireErrorShape(t, rec.Code, rec.Body.Bytes())
		}
	})
}
