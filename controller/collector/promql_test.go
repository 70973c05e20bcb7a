package collector

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engineQuerier runs queries on Prometheus' real PromQL engine over test storage and
// keeps every raw result, so tests see what the matchers selected before Collect filters.
type engineQuerier struct {
	t       *testing.T
	engine  *promql.Engine
	store   storage.Queryable
	results map[string]model.Vector
}

func newEngineQuerier(t *testing.T, load string) *engineQuerier {
	t.Helper()
	return &engineQuerier{
		t:       t,
		engine:  promql.NewEngine(promql.EngineOpts{MaxSamples: 1e7, Timeout: 10 * time.Second, LookbackDelta: 5 * time.Minute}),
		store:   promqltest.LoadedStorage(t, load),
		results: map[string]model.Vector{},
	}
}

func (e *engineQuerier) Query(ctx context.Context, query string, ts time.Time) (model.Vector, error) {
	q, err := e.engine.NewInstantQuery(ctx, e.store, nil, query, ts)
	if err != nil {
		return nil, err
	}
	defer q.Close() // after the result is read: Close recovers its memory
	res := q.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	vec, err := res.Vector()
	if err != nil {
		return nil, err
	}
	out := make(model.Vector, 0, len(vec))
	for _, s := range vec {
		out = append(out, &model.Sample{Metric: metricOf(s.Metric), Value: model.SampleValue(s.F), Timestamp: model.Time(s.T)})
	}
	e.results[query] = out
	return out, nil
}

// QueryRange evaluates the query on the engine at every step from start to end.
func (e *engineQuerier) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) (model.Matrix, error) {
	q, err := e.engine.NewRangeQuery(ctx, e.store, nil, query, start, end, step)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	m, err := res.Matrix()
	if err != nil {
		return nil, err
	}
	out := make(model.Matrix, 0, len(m))
	for _, s := range m {
		ss := &model.SampleStream{Metric: metricOf(s.Metric)}
		for _, p := range s.Floats {
			ss.Values = append(ss.Values, model.SamplePair{Timestamp: model.Time(p.T), Value: model.SampleValue(p.F)})
		}
		out = append(out, ss)
	}
	return out, nil
}

func metricOf(ls labels.Labels) model.Metric {
	m := model.Metric{}
	ls.Range(func(l labels.Label) { m[model.LabelName(l.Name)] = model.LabelValue(l.Value) })
	return m
}

// instantOnly hides a Querier's range API: CollectHistory then asks instant by instant.
type instantOnly struct{ Querier }

// series renders one load line with properly quoted label values.
func series(metric string, values string, labels ...string) string {
	var b strings.Builder
	b.WriteString("  " + metric + "{")
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(labels[i] + "=" + strconv.Quote(labels[i+1]))
	}
	b.WriteString("} " + values + "\n")
	return b.String()
}

// The real queries on the real engine: peak KV over 1m, staleness from timestamp(),
// capacity join, mean prompt from histogram rates, finished requests, scale-from-zero.
func TestQueriesOnPrometheusEngine(t *testing.T) {
	pod := func(p string) []string {
		return []string{"namespace", "prod", "model_name", "meta/llama", "pod", p, "engine", "0"}
	}
	load := "load 15s\n" +
		// 21 samples: 0s..300s. Peak in the last minute (240s..300s) is 0.7.
		series("vllm:kv_cache_usage_perc", "0.1x12 0.9 0.2 0.3 0.1 0.7 0.4 0.2 0.3 0.2", pod("llama-1")...) +
		series("vllm:num_requests_waiting", "0x16 3 1 0 0 0", pod("llama-1")...) +
		series("vllm:num_requests_running", "5x20", pod("llama-1")...) +
		// llama-2 stopped reporting at 120s: stale at 300s.
		series("vllm:kv_cache_usage_perc", "0.5x8", pod("llama-2")...) +
		series("vllm:num_requests_waiting", "0x8", pod("llama-2")...) +
		series("vllm:num_requests_running", "1x8", pod("llama-2")...) +
		series("vllm:cache_config_info", "1x20", "namespace", "prod", "pod", "llama-1", "engine", "0", "num_gpu_blocks", "2048", "block_size", "16") +
		// 10 requests/15s of 500 prompt tokens each.
		series("vllm:request_prompt_tokens_sum", "0+5000x20", "namespace", "prod", "model_name", "meta/llama", "pod", "llama-1") +
		series("vllm:request_prompt_tokens_count", "0+10x20", "namespace", "prod", "model_name", "meta/llama", "pod", "llama-1") +
		series("vllm:request_success_total", "0+10x20", "namespace", "prod", "model_name", "meta/llama", "pod", "llama-1", "finished_reason", "stop") +
		series("inference_extension_flow_control_queue_size", "4x20", "namespace", "prod", "target_model_name", "qwen", "inference_pool", "pool") +
		series("llm_d_epp_flow_control_queue_size", "6x20", "namespace", "prod", "target_model_name", "qwen", "inference_pool", "pool")
	e := newEngineQuerier(t, load)
	now := time.Unix(300, 0).UTC()
	targets := []Target{{"prod", "meta/llama"}, {"prod", "qwen"}}
	snap, err := Collect(context.Background(), e, now, targets, Options{})
	require.NoError(t, err)
	require.Empty(t, snap.Failed)

	llama := snap.Models[ModelKey{"prod", "meta/llama"}]
	p1 := llama.Pods["llama-1"]
	require.NotNil(t, p1)
	assert.InDelta(t, 0.7, p1.KVUsage, 1e-9, "max_over_time peak of the last minute")
	assert.InDelta(t, 3, p1.Waiting, 1e-9)
	assert.InDelta(t, 5, p1.Running, 1e-9)
	assert.InDelta(t, 2048*16, p1.KVCapacityTokens, 1e-9)
	assert.Equal(t, now, p1.LastSample)
	ok, _ := p1.Complete()
	assert.True(t, ok)

	p2 := llama.Pods["llama-2"]
	require.NotNil(t, p2, "the timestamp query still sees the stopped pod")
	assert.True(t, p2.Stale)
	assert.Equal(t, time.Unix(120, 0).UTC(), p2.LastSample)

	assert.InDelta(t, 500, llama.MeanPromptTokens, 1e-6)
	assert.InDelta(t, 80, llama.FinishedRequests, 1e-6, "increase over 2m at 10 per 15s")
	assert.InDelta(t, 6, snap.Models[ModelKey{"prod", "qwen"}].ScaleFromZeroWaiting, 1e-9,
		"the llm_d_epp_ name wins over the deprecated one")
}

// The load-forecast and latency-model queries on the real engine: completion rate and
// the growth of the requests in flight over 1m, mean output tokens, each pod's mean ITL
// (vLLM >= 0.10's inter_token_latency histogram, or time_per_output_token on older
// releases), mean running requests and tokens generated.
func TestForecastQueriesOnPrometheusEngine(t *testing.T) {
	pod := func(p string, extra ...string) []string {
		return append([]string{"namespace", "prod", "model_name", "meta/llama", "pod", p}, extra...)
	}
	load := "load 15s\n" +
		// 0s..300s. llama-1: running climbs 1 per 15s in the last minute (4/min), waiting 2
		// per 15s (8/min): in flight grows 0.2 req/s.
		series("vllm:kv_cache_usage_perc", "0.5x20", pod("llama-1", "engine", "0")...) +
		series("vllm:num_requests_running", "10x16 11 12 13 14", pod("llama-1", "engine", "0")...) +
		series("vllm:num_requests_waiting", "0x16 2 4 6 8", pod("llama-1", "engine", "0")...) +
		// 3 completions per 15s on llama-1, 1.5 on llama-2: 0.3 req/s in all.
		series("vllm:request_success_total", "0+3x20", pod("llama-1", "finished_reason", "stop")...) +
		series("vllm:request_success_total", "0+1.5x20", pod("llama-2", "finished_reason", "length")...) +
		// 3 requests of 200 output tokens per 15s.
		series("vllm:request_generation_tokens_sum", "0+600x20", pod("llama-1")...) +
		series("vllm:request_generation_tokens_count", "0+3x20", pod("llama-1")...) +
		// llama-1: 600 gaps per 15s summing to 12s: 20 ms mean ITL.
		series("vllm:inter_token_latency_seconds_sum", "0+12x20", pod("llama-1")...) +
		series("vllm:inter_token_latency_seconds_count", "0+600x20", pod("llama-1")...) +
		// llama-2 runs an older vLLM: only time_per_output_token, 50 ms.
		series("vllm:kv_cache_usage_perc", "0.2x20", pod("llama-2", "engine", "0")...) +
		series("vllm:num_requests_running", "4x20", pod("llama-2", "engine", "0")...) +
		series("vllm:num_requests_waiting", "0x20", pod("llama-2", "engine", "0")...) +
		series("vllm:time_per_output_token_seconds_sum", "0+5x20", pod("llama-2")...) +
		series("vllm:time_per_output_token_seconds_count", "0+100x20", pod("llama-2")...) +
		// llama-1 generates 600 tokens per 15s; llama-2's engine hangs at 150s: its counter
		// stops while it keeps 4 requests running.
		series("vllm:generation_tokens_total", "0+600x20", pod("llama-1")...) +
		series("vllm:generation_tokens_total", "0+100x10 1000x10", pod("llama-2")...) +
		// llama-1: 3 requests per 15s, their prefills summing to 0.45 s: 150 ms each over
		// the 1m rate window; llama-2 exports no prefill time (unknown, not zero).
		series("vllm:request_prefill_time_seconds_sum", "0+0.45x20", pod("llama-1")...) +
		series("vllm:request_prefill_time_seconds_count", "0+3x20", pod("llama-1")...)
	e := newEngineQuerier(t, load)
	now := time.Unix(300, 0).UTC()
	snap, err := Collect(context.Background(), e, now, []Target{{"prod", "meta/llama"}}, Options{})
	require.NoError(t, err)
	require.Empty(t, snap.Failed)
	llama := snap.Models[ModelKey{"prod", "meta/llama"}]
	assert.InDelta(t, 0.3, llama.CompletionRate, 1e-9, "rate of request_success_total over 1m, both pods")
	assert.InDelta(t, 0.2, llama.InFlightGrowth, 1e-9, "deriv of running + waiting over 1m")
	// In flight at 300s: 14 + 8 + 4 (llama-2) = 26; at 240s: 10 + 0 + 4 = 14: 0.2 req/s.
	assert.InDelta(t, 0.2, llama.InFlightChange, 1e-9, "summed in flight now minus one window ago")
	assert.InDelta(t, 200, llama.MeanOutputTokens, 1e-9)
	p1, p2 := llama.Pods["llama-1"], llama.Pods["llama-2"]
	require.NotNil(t, p1)
	require.NotNil(t, p2)
	assert.InDelta(t, 0.020, p1.MeanITL, 1e-9)
	assert.InDelta(t, 0.050, p2.MeanITL, 1e-9, "time_per_output_token stands in where inter_token_latency is missing")
	// avg_over_time over (240s, 300s]: 11, 12, 13, 14.
	assert.InDelta(t, 12.5, p1.MeanRunning, 1e-9)
	assert.InDelta(t, 4, p2.MeanRunning, 1e-9)
	assert.InDelta(t, 0.150, p1.MeanPrefill, 1e-9, "request_prefill_time over the rate window")
	assert.True(t, math.IsNaN(p2.MeanPrefill), "no prefill histogram: unknown")
	// increase over 1m: 4 x 600 tokens on llama-1, none on the hung llama-2.
	assert.InDelta(t, 2400, p1.Generated, 1e-6)
	assert.Zero(t, p2.Generated, "no progress in the generation counter")
}

// A pod that appears within the rate window and fills at once: the slope fitted on its
// short series reads the fill as a fast growth, the in-flight change summed over the pods
// counts it from zero over the whole window.
func TestInFlightChangeCountsANewPodFromZero(t *testing.T) {
	pod := func(p string) []string {
		return []string{"namespace", "prod", "model_name", "meta/llama", "pod", p, "engine", "0"}
	}
	load := "load 15s\n" +
		// old: 40 running until 240s, then it drains 10 per 15s to 0 at 300s.
		series("vllm:num_requests_running", "40x16 30 20 10 0", pod("old")...) +
		series("vllm:num_requests_waiting", "0x20", pod("old")...) +
		series("vllm:kv_cache_usage_perc", "0.5x20", pod("old")...) +
		// new: ready at 270s, scraped at 270, 285, 300 with 20, 50, 60 running.
		series("vllm:num_requests_running", "_x18 20 50 60", pod("new")...) +
		series("vllm:num_requests_waiting", "_x18 0 0 0", pod("new")...) +
		series("vllm:kv_cache_usage_perc", "_x18 0.2 0.4 0.5", pod("new")...)
	e := newEngineQuerier(t, load)
	snap, err := Collect(context.Background(), e, time.Unix(300, 0).UTC(), []Target{{"prod", "meta/llama"}}, Options{})
	require.NoError(t, err)
	mm := snap.Models[ModelKey{"prod", "meta/llama"}]
	// 60 in flight now, 40 a minute ago: 20 more in 60 s.
	assert.InDelta(t, 20.0/60, mm.InFlightChange, 1e-9)
	// The slopes over (240s, 300s]: new 20, 50, 60 at 270..300s, 1.33/s; old 30, 20, 10, 0,
	// -0.67/s: 0.67/s, twice the change.
	assert.InDelta(t, 2.0/3, mm.InFlightGrowth, 1e-9, "the per-pod slope overstates a new pod's fill")
	assert.Equal(t, time.Minute, snap.RateWindow)
}

// hostileNames try to widen a regex matcher or break out of the PromQL string.
var hostileNames = []string{
	`.*`, `.+`, `a|b`, `model)|(.*`, `x"} or vector(1) or {y="`, `x"}) or vector(1) #`,
	`back\slash`, `back\\"slash`, "new\nline", `[a-z]+`, `$^`, `ünïcode/模型`, "tab\tnul\x00",
	`meta-llama/Llama-3.1-8B-Instruct`, "`backtick`", `'single'`,
}

func TestMatchersEscapeHostileNames(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for _, name := range hostileNames {
		t.Run(strconv.Quote(name), func(t *testing.T) {
			targets := []Target{{Namespace: name, ModelID: name}, {Namespace: "ns", ModelID: "plain"}}
			for _, q := range Queries(targets, Options{}) {
				if q.Name == QueryScaleFromZero {
					continue // a static, operator-supplied query
				}
				expr, err := p.ParseExpr(q.Expr)
				require.NoError(t, err, q.Expr)
				sels := parser.ExtractSelectors(expr)
				require.NotEmpty(t, sels)
				for _, sel := range sels {
					for _, m := range sel {
						if m.Name != "namespace" && m.Name != "model_name" {
							continue
						}
						other := "ns"
						if m.Name == "model_name" {
							other = "plain"
						}
						assert.True(t, m.Matches(name), "%s must match %q", m, name)
						assert.True(t, m.Matches(other), "%s must match %q", m, other)
						for _, decoy := range []string{"decoy", name + "x", "x" + name, "", "a", "b", "ns2"} {
							if decoy != name && decoy != other {
								assert.False(t, m.Matches(decoy), "%s must not match %q", m, decoy)
							}
						}
					}
				}
			}
		})
	}
}

// End to end on the engine: a hostile model name selects exactly its own series.
func TestHostileNamesSelectOnlyTheirSeries(t *testing.T) {
	var load strings.Builder
	load.WriteString("load 15s\n")
	names := append([]string{"decoy", "a", "b"}, hostileNames...)
	for i, n := range names {
		if strings.ContainsRune(n, 0) {
			continue // the load syntax cannot carry NUL; the parser test covers it
		}
		load.WriteString(series("vllm:kv_cache_usage_perc", "0.5x20", "namespace", "ns", "model_name", n, "pod", fmt.Sprintf("pod-%d", i)))
	}
	e := newEngineQuerier(t, load.String())
	for _, name := range hostileNames {
		if strings.ContainsRune(name, 0) {
			continue
		}
		q := Queries([]Target{{"ns", name}}, Options{})[0]
		require.Equal(t, QueryKV, q.Name)
		vec, err := e.Query(context.Background(), q.Expr, time.Unix(300, 0))
		require.NoError(t, err, q.Expr)
		require.Len(t, vec, 1, "query %s selected %v", q.Expr, vec)
		assert.Equal(t, name, string(vec[0].Metric["model_name"]))
	}
}
