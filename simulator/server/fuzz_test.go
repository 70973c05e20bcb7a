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
		req, apiErr := l.decodeCompletion(body)
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
		req, apiErr := l.decodeChat(body)
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

// FuzzJSONScanning checks the request decoder's JSON scanning against
// encoding/json on valid JSON: string literals decode alike, arrays have the
// same elements, token id arrays the same ids or error, and messages and
// content parts the same fields.
func FuzzJSONScanning(f *testing.F) {
	for _, s := range []string{
		`"a\u00e9\n\ud83d\ude00 \ud800x\"\\\/"`, "\"\xff\xfe\"", `[1, -0, null, 9223372036854775807, -9223372036854775808]`,
		`[1,9223372036854775808]`, `[1.0]`, `[1e2, "a"]`, `[{"a":[1,"]"]}, [2], "}"]`, ` [ ] `,
		`{"ROLE":"user","Content":[{"type":"text","text":"a"}],"name":null}`, `{"\u0072ole":"tool","role":null}`,
		`{"role":5}`, `{"type":"text","TEXT":"b","type":null}`, `{"name":["x"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		b = bytes.TrimSpace(b)
		switch b[0] {
		case '"':
			var want string
			require.NoError(t, json.Unmarshal(b, &want))
			got, ok := unquote(b, nil)
			require.True(t, ok)
			require.Equal(t, want, string(got))
		case '[':
			var want []json.RawMessage
			require.NoError(t, json.Unmarshal(b, &want))
			var got []json.RawMessage
			for _, elem := range elements(b) {
				got = append(got, elem)
			}
			require.Equal(t, len(want), len(got))
			for i := range want {
				require.Equal(t, string(bytes.TrimSpace(want[i])), string(got[i]))
			}
			var wantIDs []int
			wantErr := json.Unmarshal(b, &wantIDs)
			in, err := decodeIDs(b, 0)
			if wantErr != nil {
				require.EqualError(t, err, wantErr.Error())
				return
			}
			require.NoError(t, err)
			require.Equal(t, len(wantIDs), in.tokens)
			require.Equal(t, wantIDs, in.ids)
		case '{':
			if msg, ok := decodeMessage(b); ok {
				var want chatMessage
				require.NoError(t, json.Unmarshal(b, &want))
				require.Equal(t, want.Role, msg.Role)
				require.Equal(t, string(want.Content), string(msg.Content))
			}
			if typ, text, ok := decodePart(b); ok {
				var want contentPart
				require.NoError(t, json.Unmarshal(b, &want))
				require.Equal(t, want.Type, string(typ))
				require.Equal(t, want.Text, string(text))
			}
		}
	})
}
