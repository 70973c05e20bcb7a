package planner

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// promEngine is a collector.Querier on Prometheus' PromQL engine over test storage: the
// same query path as the cluster (Prometheus) and the twin (embedded TSDB).
type promEngine struct {
	engine *promql.Engine
	store  storage.Queryable
}

func (e promEngine) Query(ctx context.Context, q string, ts time.Time) (model.Vector, error) {
	qry, err := e.engine.NewInstantQuery(ctx, e.store, nil, q, ts)
	if err != nil {
		return nil, err
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	vec, err := res.Vector()
	if err != nil {
		return nil, err
	}
	out := make(model.Vector, 0, len(vec))
	for _, s := range vec {
		m := model.Metric{}
		s.Metric.Range(func(l labels.Label) { m[model.LabelName(l.Name)] = model.LabelValue(l.Value) })
		out = append(out, &model.Sample{Metric: m, Value: model.SampleValue(s.F), Timestamp: model.Time(s.T)})
	}
	return out, nil
}

// vllmPod writes the load lines of one simulated vLLM pod (15s scrapes, 0..300s).
func vllmPod(b *strings.Builder, ns, mdl, pod string, kv, waiting, running string, blocks int) {
	l := `{namespace="` + ns + `",model_name="` + mdl + `",pod="` + pod + `",engine="0"}`
	b.WriteString("  vllm:kv_cache_usage_perc" + l + " " + kv + "\n")
	b.WriteString("  vllm:num_requests_waiting" + l + " " + waiting + "\n")
	b.WriteString("  vllm:num_requests_running" + l + " " + running + "\n")
	b.WriteString(`  vllm:cache_config_info{namespace="` + ns + `",pod="` + pod + `",engine="0",num_gpu_blocks="` +
		strconv.Itoa(blocks) + `",block_size="16"} 1x20` + "\n")
	b.WriteString("  vllm:request_prompt_tokens_sum" + l + " 0+8000x20\n")
	b.WriteString("  vllm:request_prompt_tokens_count" + l + " 0+10x20\n")
	b.WriteString(`  vllm:request_success_total{namespace="` + ns + `",model_name="` + mdl + `",pod="` + pod + `",finished_reason="stop"} 0+10x20` + "\n")
}

// From PromQL to decision: two variants of a model on the real engine.
func TestCycleOnPrometheusEngine(t *testing.T) {
	var b strings.Builder
	b.WriteString("load 15s\n")
	// L40S variant (cheap, 1250 blocks x 16 = 20000 tokens): two pods near full with a queue.
	vllmPod(&b, "prod", "meta/llama", "llama-l40s-5d8f-a", "0.5x15 0.9x5", "0x15 4x5", "30x20", 1250)
	vllmPod(&b, "prod", "meta/llama", "llama-l40s-5d8f-b", "0.5x15 0.85x5", "0x15 2x5", "30x20", 1250)
	// H100 variant (dear, 2500 blocks = 40000 tokens): one pod.
	vllmPod(&b, "prod", "meta/llama", "llama-h100-77c4-a", "0.6x20", "0x20", "40x20", 2500)
	e := promEngine{
		engine: promql.NewEngine(promql.EngineOpts{MaxSamples: 1e6, Timeout: 10 * time.Second, LookbackDelta: 5 * time.Minute}),
		store:  promqltest.LoadedStorage(t, b.String()),
	}
	now := time.Unix(300, 0).UTC()
	snap, err := collector.Collect(context.Background(), e, now, []collector.Target{{Namespace: "prod", ModelID: "meta/llama"}}, collector.Options{})
	require.NoError(t, err)
	states := []saturation.VariantState{
		{Name: "llama-l40s", Namespace: "prod", ModelID: "meta/llama", TargetName: "llama-l40s", Cost: 5, Current: 2, Ready: 2},
		{Name: "llama-h100", Namespace: "prod", ModelID: "meta/llama", TargetName: "llama-h100", Cost: 20, Current: 1, Ready: 1},
	}
	ds := NewPlanner(Options{}).Decide(now, snap, states, config.Default())
	require.Len(t, ds, 2)
	for _, d := range ds {
		require.True(t, d.MetricsAvailable, d.MetricsMessage)
	}
	// In use 0.9x20000 + 0.85x20000 + 0.6x40000 = 59000 tokens; 6 waiting x 800 mean
	// prompt = 4800; demand 63800 needs 91143 at 70%; supply 80000: short 11143 -> one
	// more L40S (20000). Waiting 6 at 2 per replica needs 3 <= 3 replicas.
	assert.InDelta(t, 800, ds[0].Inputs["meanPromptTokens"], 1e-6)
	assert.InDelta(t, 63800, ds[0].Inputs["demand"], 1e-6)
	assert.Equal(t, 3, ds[0].Desired, ds[0].Reason)
	assert.Equal(t, 1, ds[1].Desired, ds[1].Reason)
}

// A restarted controller on the real engine: the pod's last half hour (running 4 -> 24,
// ITL 12 -> 16 ms) fits the ITL line on the first cycle; the history is read once.
func TestReadHistoryOnPrometheusEngine(t *testing.T) {
	l := `{namespace="prod",model_name="meta/llama",pod="llama-h100-77c4-a",engine="0"}`
	var b strings.Builder
	b.WriteString("load 15s\n")
	// 121 samples, 0..1800s: running steps up by 4 every 6 minutes (24 scrapes), the
	// ITL by 0.8 ms (100 tokens per scrape).
	var running, itlSum []string
	sum := 0.0
	for i := range 121 {
		r := 4 + 4*float64(i/24)
		running = append(running, strconv.FormatFloat(r, 'f', -1, 64))
		itlSum = append(itlSum, strconv.FormatFloat(sum, 'f', -1, 64))
		sum += 100 * (0.0112 + 0.0002*r)
	}
	b.WriteString("  vllm:kv_cache_usage_perc" + l + " 0.3x120\n")
	b.WriteString("  vllm:num_requests_waiting" + l + " 0x120\n")
	b.WriteString("  vllm:num_requests_running" + l + " " + strings.Join(running, " ") + "\n")
	b.WriteString("  vllm:inter_token_latency_seconds_sum" + l + " " + strings.Join(itlSum, " ") + "\n")
	b.WriteString("  vllm:inter_token_latency_seconds_count" + l + " 0+100x120\n")
	b.WriteString(`  vllm:cache_config_info{namespace="prod",pod="llama-h100-77c4-a",engine="0",num_gpu_blocks="2500",block_size="16"} 1x120` + "\n")
	b.WriteString("  vllm:request_prompt_tokens_sum" + l + " 0+8000x120\n")
	b.WriteString("  vllm:request_prompt_tokens_count" + l + " 0+10x120\n")
	e := promEngine{
		engine: promql.NewEngine(promql.EngineOpts{MaxSamples: 1e6, Timeout: 10 * time.Second, LookbackDelta: 5 * time.Minute}),
		store:  promqltest.LoadedStorage(t, b.String()),
	}
	now := time.Unix(1800, 0).UTC()
	states := []saturation.VariantState{{Name: "llama-h100", Namespace: "prod", ModelID: "meta/llama", TargetName: "llama-h100", Cost: 20, Current: 1, Ready: 1}}
	cfg := cfgWith(map[string]string{"default": "sloITL: 50ms\n"}, nil)
	targets := []collector.Target{{Namespace: "prod", ModelID: "meta/llama"}}
	p := NewPlanner(Options{})

	snap, err := collector.Collect(context.Background(), e, now, targets, collector.Options{})
	require.NoError(t, err)
	failed := snap
	failed.Failed = map[string]error{collector.QueryITL: assert.AnError}
	n, err := p.ReadHistory(context.Background(), e, &failed, states, time.Minute, collector.Options{})
	require.NoError(t, err)
	assert.Zero(t, n, "the cycle's ITL query failed: no history read")

	n, err = p.ReadHistory(context.Background(), e, &snap, states, time.Minute, collector.Options{})
	require.NoError(t, err)
	assert.Equal(t, collector.QueriesPerHistoryPoint*30, n, "30 minutes at one point per minute")
	d := p.Decide(now, snap, states, cfg)[0]
	// 29 history points (the one at 0s has no window) and this cycle's; a window that
	// straddles a step averages its two loads (the newest: 20, 20, 20, 24 running).
	assert.Contains(t, d.Reason, "by the fitted ITL 11.2ms + 0.199ms per running request (30 samples up to 21 running; within 10% at any load)")

	snap, err = collector.Collect(context.Background(), e, now.Add(30*time.Second), targets, collector.Options{})
	require.NoError(t, err)
	n, err = p.ReadHistory(context.Background(), e, &snap, states, time.Minute, collector.Options{})
	require.NoError(t, err)
	assert.Zero(t, n, "read once")
	assert.Nil(t, snap.History)
}

// A controller restarted after its replicas queued at their batch limit (--max-num-seqs 8:
// 8 running, 5 waiting, KV to spare) knows that limit from its first cycle, whether the
// queue lasts until now or ended minutes ago: the history replays what the cycles before
// it learned (the queue still there also counts as sustained at once). A fresh planner
// without the history knows no limit.
func TestReadHistoryTeachesSaturation(t *testing.T) {
	for _, c := range []struct {
		name, waiting, running string
	}{
		{"queueing now", "0x80 5x40", "3x80 8x40"},
		{"queued ten minutes ago", "0x40 5x40 0x40", "3x40 8x40 6x40"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := `{namespace="prod",model_name="meta/llama",pod="llama-h100-77c4-a",engine="0"}`
			load := "load 15s\n" +
				"  vllm:kv_cache_usage_perc" + l + " 0.3x120\n" +
				"  vllm:num_requests_waiting" + l + " " + c.waiting + "\n" +
				"  vllm:num_requests_running" + l + " " + c.running + "\n" +
				"  vllm:inter_token_latency_seconds_sum" + l + " 0+1.2x120\n" +
				"  vllm:inter_token_latency_seconds_count" + l + " 0+100x120\n" +
				`  vllm:cache_config_info{namespace="prod",pod="llama-h100-77c4-a",engine="0",num_gpu_blocks="2500",block_size="16"} 1x120` + "\n" +
				"  vllm:request_prompt_tokens_sum" + l + " 0+8000x120\n" +
				"  vllm:request_prompt_tokens_count" + l + " 0+10x120\n"
			e := promEngine{
				engine: promql.NewEngine(promql.EngineOpts{MaxSamples: 1e6, Timeout: 10 * time.Second, LookbackDelta: 5 * time.Minute}),
				store:  promqltest.LoadedStorage(t, load),
			}
			now := time.Unix(1800, 0).UTC()
			states := []saturation.VariantState{{Name: "llama-h100", Namespace: "prod", ModelID: "meta/llama", TargetName: "llama-h100", Cost: 20, Current: 1, Ready: 1}}
			cfg := cfgWith(nil, nil)
			targets := []collector.Target{{Namespace: "prod", ModelID: "meta/llama"}}
			snap, err := collector.Collect(context.Background(), e, now, targets, collector.Options{})
			require.NoError(t, err)

			fresh := NewPlanner(Options{})
			d := fresh.Decide(now, snap, states, cfg)[0]
			assert.Zero(t, d.Inputs["saturationConcurrency"], d.Reason)

			p := NewPlanner(Options{})
			_, err = p.ReadHistory(context.Background(), e, &snap, states, 30*time.Second, collector.Options{})
			require.NoError(t, err)
			d = p.Decide(now, snap, states, cfg)[0]
			assert.InDelta(t, 8, d.Inputs["saturationConcurrency"], 1e-9, d.Reason)
			assert.Contains(t, d.Reason, "at 8 running")
			assert.Greater(t, d.Desired, 1, "sized by the learned limit: %s", d.Reason)
		})
	}
}
