package planner

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// vectorQuerier answers each of the cycle's queries with a prebuilt vector, and each range
// query with a matrix built once per query and range.
type vectorQuerier struct {
	byExpr map[string]model.Vector
	ranges map[string]model.Matrix
	calls  int
}

func (q *vectorQuerier) Query(_ context.Context, expr string, _ time.Time) (model.Vector, error) {
	q.calls++
	v, ok := q.byExpr[expr]
	if !ok {
		return nil, fmt.Errorf("unexpected query %q", expr)
	}
	return v, nil
}

// QueryRange answers with the query's vector at every step from start to end, as a
// Prometheus whose series held still would.
func (q *vectorQuerier) QueryRange(_ context.Context, expr string, start, end time.Time, step time.Duration) (model.Matrix, error) {
	q.calls++
	v, ok := q.byExpr[expr]
	if !ok {
		return nil, fmt.Errorf("unexpected query %q", expr)
	}
	key := fmt.Sprint(expr, start.UnixNano(), end.UnixNano(), step)
	if m, ok := q.ranges[key]; ok {
		return m, nil
	}
	n := int(end.Sub(start)/step) + 1
	m := make(model.Matrix, len(v))
	for i, smp := range v {
		vals := make([]model.SamplePair, n)
		for k := range vals {
			vals[k] = model.SamplePair{Timestamp: model.TimeFromUnixNano(start.Add(time.Duration(k) * step).UnixNano()), Value: smp.Value}
		}
		m[i] = &model.SampleStream{Metric: smp.Metric, Values: vals}
	}
	if q.ranges == nil {
		q.ranges = map[string]model.Matrix{}
	}
	q.ranges[key] = m
	return m, nil
}

// fleet builds n VAs: n/2 models in 25 namespaces, each served by two variants (L40S at
// cost 5 and H100 at cost 20) of 3 ready pods, with Prometheus answers shaped like a real
// server's (vLLM label sets, engine label, cache_config_info labels).
func fleet(n int, now time.Time) ([]saturation.VariantState, []collector.Target, *vectorQuerier) {
	var states []saturation.VariantState
	var targets []collector.Target
	byName := map[string]model.Vector{}
	add := func(name string, v float64, ls ...string) {
		m := model.Metric{}
		for i := 0; i+1 < len(ls); i += 2 {
			m[model.LabelName(ls[i])] = model.LabelValue(ls[i+1])
		}
		byName[name] = append(byName[name], &model.Sample{Metric: m, Value: model.SampleValue(v), Timestamp: model.TimeFromUnixNano(now.UnixNano())})
	}
	for i := 0; i < n/2; i++ {
		ns := fmt.Sprintf("team-%02d", i%25)
		mdl := fmt.Sprintf("org-%d/model-%04d", i%9, i)
		targets = append(targets, collector.Target{Namespace: ns, ModelID: mdl})
		add(collector.QueryPromptTokens, 400+float64(i%300), "namespace", ns, "model_name", mdl)
		add(collector.QueryActivity, float64(i%40), "namespace", ns, "model_name", mdl)
		for v, acc := range []string{"l40s", "h100"} {
			deploy := fmt.Sprintf("model-%04d-%s-decode", i, acc)
			st := saturation.VariantState{Name: deploy, Namespace: ns, ModelID: mdl, Accelerator: acc, TargetName: deploy,
				Cost: []float64{5, 20}[v], Current: 3, Ready: 3}
			for p := range 3 {
				pod := fmt.Sprintf("%s-7d9f8c6b5-%05d", deploy, p)
				st.Pods = append(st.Pods, pod)
				ls := []string{"namespace", ns, "model_name", mdl, "pod", pod}
				load := float64((i*7+p*13+v*5)%100) / 100
				add(collector.QueryKV, load, ls...)
				add(collector.QueryKVTimestamp, float64(now.Add(-7*time.Second).Unix()), ls...)
				add(collector.QueryWaiting, float64(int(load*10)%6), ls...)
				add(collector.QueryRunning, 20*load, ls...)
				add(collector.QueryCacheConfig, 1, "namespace", ns, "pod", pod, "num_gpu_blocks", "8192", "block_size", "16")
			}
			states = append(states, st)
		}
	}
	q := &vectorQuerier{byExpr: map[string]model.Vector{}}
	for _, qu := range collector.Queries(targets, collector.Options{}) {
		q.byExpr[qu.Expr] = byName[qu.Name]
	}
	return states, targets, q
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCycle1000VAs is one full controller cycle for 1,000 VariantAutoscalings
// (500 models x 2 variants x 3 pods): Collect (8 queries on prebuilt answers) + Decide.
// Reports CPU ms per cycle (target: under 100).
func BenchmarkCycle1000VAs(b *testing.B) {
	now := t0
	states, targets, q := fleet(1000, now)
	p := NewPlanner(Options{})
	cfg := config.Default()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	startCPU := cpuTime()
	for i := 0; b.Loop(); i++ {
		at := now.Add(time.Duration(i) * 30 * time.Second)
		snap, err := collector.Collect(ctx, q, at, targets, collector.Options{StaleAfter: 1000 * time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		ds := p.Decide(at, snap, states, cfg)
		if len(ds) != len(states) {
			b.Fatalf("got %d decisions", len(ds))
		}
	}
	cpu := cpuTime() - startCPU
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/cycle")
	b.ReportMetric(float64(q.calls)/float64(b.N), "queries/cycle")
}

func TestFleetCycleIsComplete(t *testing.T) {
	states, targets, q := fleet(1000, t0)
	snap, err := collector.Collect(context.Background(), q, t0, targets, collector.Options{})
	require.NoError(t, err)
	require.Equal(t, 16, q.calls, "a constant number of queries per cycle, whatever the fleet")
	ds := NewPlanner(Options{}).Decide(t0, snap, states, config.Default())
	require.Len(t, ds, 1000)
	moved := 0
	for _, d := range ds {
		require.True(t, d.MetricsAvailable, "%s: %s", d.Variant, d.MetricsMessage)
		if d.Desired != d.Current {
			moved++
		}
	}
	require.Positive(t, moved, "a realistic fleet has some variants to scale")
}

// BenchmarkFirstCycle1000VAs is a restarted controller's first cycle for the same fleet:
// Collect, the history of every model (one range query over 60 past instants for each of
// the ITL, mean-running, running, waiting and KV queries, each answered for all 3,000
// pods), and Decide, whose planner
// seeds each variant's ITL line and replays its pods' load from it. Reports CPU ms per
// first cycle and its queries.
func BenchmarkFirstCycle1000VAs(b *testing.B) {
	now := t0
	states, targets, q := fleet(1000, now)
	var itl, running model.Vector
	for i, st := range states {
		for p, pod := range st.Pods {
			m := model.Metric{"namespace": model.LabelValue(st.Namespace), "model_name": model.LabelValue(st.ModelID), "pod": model.LabelValue(pod)}
			r := float64(2 + (i*7+p*5)%30)
			running = append(running, &model.Sample{Metric: m, Value: model.SampleValue(r)})
			itl = append(itl, &model.Sample{Metric: m, Value: model.SampleValue(0.007 + 0.0002*r)})
		}
	}
	for _, qu := range collector.Queries(targets, collector.Options{}) {
		switch qu.Name {
		case collector.QueryITL:
			q.byExpr[qu.Expr] = itl
		case collector.QueryMeanRunning:
			q.byExpr[qu.Expr] = running
		}
	}
	cfg := config.Default()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	startCPU := cpuTime()
	for b.Loop() {
		p := NewPlanner(Options{})
		snap, err := collector.Collect(ctx, q, now, targets, collector.Options{StaleAfter: 1000 * time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.ReadHistory(ctx, q, &snap, states, 30*time.Second, collector.Options{}); err != nil {
			b.Fatal(err)
		}
		if ds := p.Decide(now, snap, states, cfg); len(ds) != len(states) {
			b.Fatalf("got %d decisions", len(ds))
		}
	}
	cpu := cpuTime() - startCPU
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/cycle")
	b.ReportMetric(float64(q.calls)/float64(b.N), "queries/cycle")
}
