package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireErrorShape checks vLLM's error body: exactly message, type, param and
// code, with code equal to the HTTP status.
func requireErrorShape(t testing.TB, status int, body []byte) (message string, param any) {
	t.Helper()
	var outer map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &outer), "body %s", body)
	require.Len(t, outer, 1, "body %s", body)
	var inner map[string]any
	require.NoError(t, json.Unmarshal(outer["error"], &inner))
	require.ElementsMatch(t, []string{"message", "type", "param", "code"}, keys(inner))
	require.InDelta(t, float64(status), inner["code"], 0)
	require.NotEmpty(t, inner["type"])
	msg, _ := inner["message"].(string)
	require.NotEmpty(t, msg)
	return msg, inner["param"]
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestErrorResponses(t *testing.T) {
	ts := newInstantServer(t)
	big := `{"model":"` + testModel + `","prompt":"` + strings.Repeat("a", 70<<10) + `"}`
	tests := []struct {
		name       string
		path       string
		body       string
		status     int
		param      any // nil for null
		msgContain string
	}{
		{"malformed json", "/v1/completions", `{"model":`, 400, nil, "Malformed JSON"},
		{"not an object", "/v1/completions", `[1,2]`, 400, nil, "JSON object"},
		{"empty body", "/v1/completions", ``, 400, nil, "empty"},
		{"trailing data", "/v1/completions", `{"prompt":"hi"} {}`, 400, nil, "after the JSON object"},
		{"unknown model", "/v1/completions", `{"model":"gpt-9","prompt":"hi"}`, 404, "model", "The model `gpt-9` does not exist."},
		{"unknown model chat", "/v1/chat/completions", `{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}`, 404, "model", "The model `gpt-9` does not exist."},
		{"context overflow", "/v1/completions", `{"prompt":[1,2,3,4,5],"max_tokens":4092}`, 400, "max_tokens", "maximum context length is 4096 tokens"},
		{"prompt alone too long", "/v1/completions", `{"prompt":[` + strings.TrimSuffix(strings.Repeat("1,", 4096), ",") + `]}`, 400, "prompt", "maximum context length"},
		{"chat context overflow", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":5000}`, 400, "max_completion_tokens", "maximum context length"},
		{"body too large", "/v1/completions", big, 413, nil, "limit"},
		{"max_tokens zero", "/v1/completions", `{"prompt":"hi","max_tokens":0}`, 400, "max_tokens", "at least 1"},
		{"max_tokens wrong type", "/v1/completions", `{"prompt":"hi","max_tokens":"ten"}`, 400, "max_tokens", "max_tokens"},
		{"n zero", "/v1/completions", `{"prompt":"hi","n":0}`, 400, "n", "n must be"},
		{"negative temperature", "/v1/completions", `{"prompt":"hi","temperature":-1}`, 400, "temperature", "temperature"},
		{"top_p above one", "/v1/completions", `{"prompt":"hi","top_p":1.5}`, 400, "top_p", "top_p"},
		{"presence penalty", "/v1/completions", `{"prompt":"hi","presence_penalty":3}`, 400, "presence_penalty", "presence_penalty"},
		{"min above max", "/v1/completions", `{"prompt":"hi","max_tokens":2,"min_tokens":3}`, 400, "min_tokens", "min_tokens"},
		{"stream options without stream", "/v1/completions", `{"prompt":"hi","stream_options":{"include_usage":true}}`, 400, "stream_options", "stream=True"},
		{"missing prompt", "/v1/completions", `{"model":"` + testModel + `"}`, 400, "prompt", "required"},
		{"empty prompt", "/v1/completions", `{"prompt":""}`, 400, "prompt", "empty"},
		{"empty token list", "/v1/completions", `{"prompt":[]}`, 400, "prompt", "empty"},
		{"negative token id", "/v1/completions", `{"prompt":[1,-2]}`, 400, "prompt", "out of vocabulary"},
		{"prompt object", "/v1/completions", `{"prompt":{"a":1}}`, 400, "prompt", "prompt"},
		{"mixed prompt array", "/v1/completions", `{"prompt":["a",1]}`, 400, "prompt", "prompt"},
		{"echo", "/v1/completions", `{"prompt":"hi","echo":true}`, 400, "echo", "echo"},
		{"no messages", "/v1/chat/completions", `{"messages":[]}`, 400, "messages", "at least one"},
		{"bad role", "/v1/chat/completions", `{"messages":[{"role":"robot","content":"hi"}]}`, 400, "messages[0].role", "role"},
		{"image part", "/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, 400, "messages[0].content", "text"},
		{"content number", "/v1/chat/completions", `{"messages":[{"role":"user","content":5}]}`, 400, "messages[0].content", "content"},
		{"messages wrong type", "/v1/chat/completions", `{"messages":"hi"}`, 400, "messages", "messages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := ts.post(t, tt.path, tt.body)
			require.Equal(t, tt.status, status, "body %s", body)
			msg, param := requireErrorShape(t, status, body)
			assert.Equal(t, tt.param, param)
			assert.Contains(t, msg, tt.msgContain)
		})
	}
}

func TestMethodAndPathErrors(t *testing.T) {
	ts := newInstantServer(t)
	resp, err := http.Get(ts.URL + "/v1/completions")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	resp, err = http.Get(ts.URL + "/v2/nothing")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestNotReady(t *testing.T) {
	ready := false
	ts := newInstantServer(t, func(c *Config) { c.Ready = func() bool { return ready } })
	resp, err := http.Get(ts.URL + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	status, body := ts.post(t, "/v1/completions", `{"prompt":"hi"}`)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	requireErrorShape(t, status, body)

	ready = true
	resp, err = http.Get(ts.URL + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestFaultInjection(t *testing.T) {
	t.Run("error rate", func(t *testing.T) {
		ts := newInstantServer(t, func(c *Config) { c.Faults.ErrorRate = 0.5 })
		failed := 0
		for i := 0; i < 200; i++ {
			status, body := ts.post(t, "/v1/completions", `{"prompt":"hi","max_tokens":2}`)
			if status == http.StatusInternalServerError {
				failed++
				requireErrorShape(t, status, body)
			} else {
				require.Equal(t, http.StatusOK, status)
			}
		}
		assert.InDelta(t, 100, failed, 30)
	})
	t.Run("crash after", func(t *testing.T) {
		crashed := make(chan struct{})
		ts := newInstantServer(t, func(c *Config) {
			c.Faults.CrashAfter = 3
			c.Faults.Crash = func() { close(crashed) }
		})
		for i := 0; i < 3; i++ {
			status, _ := ts.post(t, "/v1/completions", `{"prompt":"hi","max_tokens":2}`)
			require.Equal(t, http.StatusOK, status)
		}
		status, body := ts.post(t, "/v1/completions", `{"prompt":"hi","max_tokens":2}`)
		require.Equal(t, http.StatusServiceUnavailable, status)
		requireErrorShape(t, status, body)
		<-crashed
		resp, err := http.Get(ts.URL + "/health")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	})
}
