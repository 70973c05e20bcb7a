package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

func TestCompletionPinnedLength(t *testing.T) {
	for _, paced := range []bool{false, true} {
		t.Run(fmt.Sprintf("paced=%v", paced), func(t *testing.T) {
			ts := newInstantServer(t)
			if paced {
				ts = newPacedServer(t, time.Millisecond, 64)
			}
			status, body := ts.post(t, "/v1/completions", `{"model":"alias","prompt":"Hello there, world","max_tokens":17,"ignore_eos":true}`)
			require.Equal(t, http.StatusOK, status, "%s", body)
			c := decodeCompletion(t, body)
			assert.Equal(t, "text_completion", c.Object)
			assert.Equal(t, "alias", c.Model)
			assert.True(t, strings.HasPrefix(c.ID, "cmpl-"))
			require.Len(t, c.Choices, 1)
			assert.Equal(t, "length", *c.Choices[0].FinishReason)
			assert.Equal(t, 17, tokenize.Count(c.Choices[0].Text))
			require.NotNil(t, c.Usage)
			assert.Equal(t, wireUsage{PromptTokens: tokenize.Count("Hello there, world"), CompletionTokens: 17, TotalTokens: tokenize.Count("Hello there, world") + 17}, *c.Usage)
		})
	}
}

func TestTokenIDPromptCountsExactly(t *testing.T) {
	ts := newInstantServer(t)
	status, body := ts.post(t, "/v1/completions", `{"prompt":[101,2,3,4,5,6,7],"max_tokens":3,"ignore_eos":true}`)
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Equal(t, 7, decodeCompletion(t, body).Usage.PromptTokens)
}

func TestBatchPromptsAndN(t *testing.T) {
	ts := newPacedServer(t, time.Millisecond, 64)
	status, body := ts.post(t, "/v1/completions", `{"prompt":[[1,2,3],[4,5,6,7,8]],"n":2,"max_tokens":4,"ignore_eos":true}`)
	require.Equal(t, http.StatusOK, status, "%s", body)
	c := decodeCompletion(t, body)
	require.Len(t, c.Choices, 4)
	for i, ch := range c.Choices {
		assert.Equal(t, i, ch.Index)
		assert.Equal(t, 4, tokenize.Count(ch.Text))
	}
	assert.Equal(t, wireUsage{PromptTokens: 8, CompletionTokens: 16, TotalTokens: 24}, *c.Usage)
}

func TestDrawnLengthIsReproducibleAndBounded(t *testing.T) {
	ts := newInstantServer(t)
	lengths := map[int]bool{}
	for i := 0; i < 30; i++ {
		req := fmt.Sprintf(`{"prompt":"question number %d","max_tokens":300}`, i)
		_, b1 := ts.post(t, "/v1/completions", req)
		_, b2 := ts.post(t, "/v1/completions", req)
		c1, c2 := decodeCompletion(t, b1), decodeCompletion(t, b2)
		require.Equal(t, c1.Usage.CompletionTokens, c2.Usage.CompletionTokens, "same request, same length")
		require.Equal(t, c1.Choices[0].Text, c2.Choices[0].Text)
		n := c1.Usage.CompletionTokens
		require.GreaterOrEqual(t, n, 1)
		require.LessOrEqual(t, n, 300)
		if n < 300 {
			assert.Equal(t, "stop", *c1.Choices[0].FinishReason)
		} else {
			assert.Equal(t, "length", *c1.Choices[0].FinishReason)
		}
		lengths[n] = true
	}
	assert.Greater(t, len(lengths), 10, "output lengths should vary with the prompt")

	// A different server seed draws different lengths for the same prompts.
	other := newInstantServer(t, func(c *Config) { c.Seed = 2 })
	differ := 0
	for i := 0; i < 30; i++ {
		req := fmt.Sprintf(`{"prompt":"question number %d","max_tokens":300}`, i)
		_, b1 := ts.post(t, "/v1/completions", req)
		_, b2 := other.post(t, "/v1/completions", req)
		if decodeCompletion(t, b1).Usage.CompletionTokens != decodeCompletion(t, b2).Usage.CompletionTokens {
			differ++
		}
	}
	assert.Greater(t, differ, 20)
}

func TestCompletionStream(t *testing.T) {
	ts := newPacedServer(t, time.Millisecond, 64)
	resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(
		`{"prompt":"Tell me a story","max_tokens":12,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	body := readAll(t, resp)
	events := sseEvents(t, body)
	require.GreaterOrEqual(t, len(events), 3)
	assert.Equal(t, "[DONE]", events[len(events)-1])

	var text strings.Builder
	var finish []string
	for _, e := range events[:len(events)-2] {
		c := decodeCompletion(t, []byte(e))
		assert.Equal(t, "text_completion", c.Object)
		require.Len(t, c.Choices, 1)
		assert.Nil(t, c.Usage, "usage is null on content chunks")
		assert.Contains(t, e, `"usage":null`)
		text.WriteString(c.Choices[0].Text)
		if c.Choices[0].FinishReason != nil {
			finish = append(finish, *c.Choices[0].FinishReason)
		}
	}
	assert.Equal(t, []string{"length"}, finish, "only the last chunk carries finish_reason")
	assert.Equal(t, 12, tokenize.Count(text.String()))

	final := decodeCompletion(t, []byte(events[len(events)-2]))
	assert.Empty(t, final.Choices)
	require.NotNil(t, final.Usage)
	assert.Equal(t, 12, final.Usage.CompletionTokens)
	assert.Equal(t, tokenize.Count("Tell me a story"), final.Usage.PromptTokens)
}

func TestChatStream(t *testing.T) {
	ts := newPacedServer(t, time.Millisecond, 64)
	resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(
		`{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]}],"max_tokens":5,"ignore_eos":true,"stream":true}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	events := sseEvents(t, readAll(t, resp))
	require.Equal(t, "[DONE]", events[len(events)-1])
	first := decodeCompletion(t, []byte(events[0]))
	assert.Equal(t, "chat.completion.chunk", first.Object)
	require.NotNil(t, first.Choices[0].Delta.Role)
	assert.Equal(t, "assistant", *first.Choices[0].Delta.Role)
	assert.NotContains(t, events[0], `"usage"`, "no usage field without include_usage")
	var content strings.Builder
	for _, e := range events[1 : len(events)-1] {
		c := decodeCompletion(t, []byte(e))
		require.Len(t, c.Choices, 1)
		if c.Choices[0].Delta.Content != nil {
			content.WriteString(*c.Choices[0].Delta.Content)
		}
	}
	assert.Equal(t, 5, tokenize.Count(content.String()))
	last := decodeCompletion(t, []byte(events[len(events)-2]))
	assert.Equal(t, "length", *last.Choices[0].FinishReason)
}

func TestChatCompletion(t *testing.T) {
	ts := newInstantServer(t)
	status, body := ts.post(t, "/v1/chat/completions", `{"model":"`+testModel+`","messages":[{"role":"user","content":"What is up?"}],"max_completion_tokens":9,"ignore_eos":true}`)
	require.Equal(t, http.StatusOK, status, "%s", body)
	c := decodeCompletion(t, body)
	assert.Equal(t, "chat.completion", c.Object)
	assert.True(t, strings.HasPrefix(c.ID, "chatcmpl-"))
	require.NotNil(t, c.Choices[0].Message)
	assert.Equal(t, "assistant", c.Choices[0].Message.Role)
	assert.Equal(t, 9, tokenize.Count(c.Choices[0].Message.Content))
	want := tokenize.ReplyPrimer + tokenize.MessageOverhead + tokenize.Count("What is up?")
	assert.Equal(t, want, c.Usage.PromptTokens)
}

func TestModelsAndHealth(t *testing.T) {
	ts := newInstantServer(t)
	resp, err := http.Get(ts.URL + "/v1/models")
	require.NoError(t, err)
	defer resp.Body.Close()
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID          string `json:"id"`
			Object      string `json:"object"`
			MaxModelLen int    `json:"max_model_len"`
			Root        string `json:"root"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	assert.Equal(t, "list", list.Object)
	require.Len(t, list.Data, 2)
	assert.Equal(t, testModel, list.Data[0].ID)
	assert.Equal(t, "alias", list.Data[1].ID)
	assert.Equal(t, 4096, list.Data[0].MaxModelLen)

	h, err := http.Get(ts.URL + "/health")
	require.NoError(t, err)
	h.Body.Close()
	assert.Equal(t, http.StatusOK, h.StatusCode)
}

func TestMetricsRecordWhatClientsSee(t *testing.T) {
	ts := newPacedServer(t, 5*time.Millisecond, 64)
	for i := 0; i < 3; i++ {
		status, body := ts.post(t, "/v1/completions", `{"prompt":"abc","max_tokens":10,"ignore_eos":true}`)
		require.Equal(t, http.StatusOK, status, "%s", body)
	}
	assert.Equal(t, 1, testutil.CollectAndCount(ts.reg, "vllm:time_to_first_token_seconds"))
	families, err := ts.reg.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	counts := map[string]uint64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				got[f.GetName()] = h.GetSampleSum()
				counts[f.GetName()] = h.GetSampleCount()
			}
			if c := m.GetCounter(); c != nil {
				for _, l := range m.GetLabel() {
					if l.GetName() == "finished_reason" && l.GetValue() == "length" {
						got["success_length"] = c.GetValue()
					}
				}
				if f.GetName() == "vllm:generation_tokens_total" {
					got[f.GetName()] = c.GetValue()
				}
			}
		}
	}
	assert.InDelta(t, 3, got["success_length"], 0)
	assert.Equal(t, uint64(3), counts["vllm:time_to_first_token_seconds"])
	assert.Equal(t, uint64(27), counts["vllm:inter_token_latency_seconds"])
	assert.Equal(t, uint64(3), counts["vllm:e2e_request_latency_seconds"])
	assert.InDelta(t, 30, got["vllm:generation_tokens_total"], 0, "engine counters flow through SetFromStats")
	// 10 steps of 5 ms: every request took at least 50 ms end to end, and the
	// mean gap between tokens is at least one step.
	assert.GreaterOrEqual(t, got["vllm:e2e_request_latency_seconds"], 3*0.050)
	assert.GreaterOrEqual(t, got["vllm:inter_token_latency_seconds"]/27, 0.004)
}

func TestClientDisconnectAborts(t *testing.T) {
	ts := newPacedServer(t, 5*time.Millisecond, 64)
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/completions", strings.NewReader(`{"prompt":"abc","max_tokens":1000,"ignore_eos":true,"stream":true}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	buf := make([]byte, 64)
	_, err = resp.Body.Read(buf)
	require.NoError(t, err)
	resp.Body.Close()
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(ts.srv.cfg.Metrics.SuccessCounter("abort")) == 1
	}, 5*time.Second, 5*time.Millisecond)
}

func readAll(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	var b strings.Builder
	_, err := fmt.Fprint(&b, "")
	require.NoError(t, err)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return []byte(b.String())
}

func TestReplicaHeader(t *testing.T) {
	ts := newInstantServer(t, func(c *Config) { c.ReplicaName = "sim-abc-1" })
	resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"x","max_tokens":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "sim-abc-1", resp.Header.Get(ReplicaHeader))

	plain := newInstantServer(t)
	resp, err = http.Get(plain.URL + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Empty(t, resp.Header.Values(ReplicaHeader))
}
