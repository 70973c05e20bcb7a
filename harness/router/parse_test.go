package router

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type prometheusMetric = prometheus.Metric

func readCount(t *testing.T, m prometheus.Metric) uint64 {
	t.Helper()
	var out dto.Metric
	require.NoError(t, m.Write(&out))
	return out.GetHistogram().GetSampleCount()
}

func TestParseRequest(t *testing.T) {
	a := parseRequest([]byte(`{"model":"m","prompt":"You are a helpful assistant. Q1"}`))
	b := parseRequest([]byte(`{"model":"m","prompt":"You are a helpful assistant. Q2"}`))
	assert.Equal(t, "m", a.Model)
	assert.NotZero(t, a.Prefix)
	assert.NotEqual(t, a.Prefix, b.Prefix, "short prompts differ")

	long := strings.Repeat("system prompt ", 40)
	c := parseRequest([]byte(`{"model":"m","messages":[{"role":"system","content":"` + long + `"},{"role":"user","content":"a"}]}`))
	d := parseRequest([]byte(`{"model":"m","messages":[{"role":"system","content":"` + long + `"},{"role":"user","content":"b"}]}`))
	assert.Equal(t, c.Prefix, d.Prefix, "a shared long system prompt is one prefix group")

	assert.Equal(t, requestInfo{}, parseRequest([]byte(`not json`)))
	assert.Equal(t, requestInfo{Model: "m"}, parseRequest([]byte(`{"model":"m"}`)))
}

func TestParseLoad(t *testing.T) {
	page := `# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="a"} 3
vllm:num_requests_waiting{engine="0",model_name="b"} 2
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="a"} 0.5
vllm:kv_cache_usage_perc{engine="0",model_name="b"} 0.75
`
	l, err := parseLoad(strings.NewReader(page))
	require.NoError(t, err)
	assert.Equal(t, podLoad{waiting: 5, kv: 0.75}, l)

	_, err = parseLoad(strings.NewReader("# TYPE other gauge\nother 1\n"))
	assert.ErrorContains(t, err, "vllm:num_requests_waiting")
	_, err = parseLoad(strings.NewReader("garbage{{{"))
	assert.Error(t, err)

	l, err = parseLoad(strings.NewReader("vllm:num_requests_waiting NaN\nvllm:kv_cache_usage_perc 7\n"))
	require.NoError(t, err)
	assert.Equal(t, podLoad{waiting: 0, kv: 1}, l, "NaN is empty, usage is clamped to 1")
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","prompt":["a","b"]}`))
	f.Add([]byte(`{"messages":[{"content":[{"type":"text","text":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		info := parseRequest(body)
		if info.Model != "" {
			lower := strings.ToLower(string(body))
			assert.True(t, strings.Contains(lower, "model") || strings.Contains(lower, `\u`), "the model comes from the body")
		}
	})
}

func FuzzParseLoad(f *testing.F) {
	f.Add("vllm:num_requests_waiting 3\nvllm:kv_cache_usage_perc 0.4\n")
	f.Fuzz(func(t *testing.T, page string) {
		l, err := parseLoad(strings.NewReader(page))
		if err == nil {
			assert.GreaterOrEqual(t, l.waiting, 0)
			assert.True(t, l.kv >= 0 && l.kv <= 1, "kv %v", l.kv)
		}
	})
}
