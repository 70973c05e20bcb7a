package planner_test

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/common/model"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/planner"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// answers is a collector.Querier with one canned answer per query name.
type answers map[string]model.Vector

func (a answers) Query(_ context.Context, q string, _ time.Time) (model.Vector, error) {
	for _, qu := range collector.Queries([]collector.Target{{Namespace: "prod", ModelID: "qwen"}}, collector.Options{}) {
		if qu.Expr == q {
			return a[qu.Name], nil
		}
	}
	return nil, fmt.Errorf("unknown query %q", q)
}

func podSample(v float64, pod string) *model.Sample {
	return &model.Sample{Metric: model.Metric{"namespace": "prod", "model_name": "qwen", "pod": model.LabelValue(pod)}, Value: model.SampleValue(v)}
}

// One controller cycle: collect, decide, and a second cycle in which a pod stopped
// reporting, so the planner holds instead of guessing.
func ExamplePlanner_Decide() {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	q := answers{
		collector.QueryKV:          {podSample(0.95, "qwen-7f9-a"), podSample(0.9, "qwen-7f9-b")},
		collector.QueryKVTimestamp: {podSample(float64(now.Unix()-5), "qwen-7f9-a"), podSample(float64(now.Unix()-5), "qwen-7f9-b")},
		collector.QueryWaiting:     {podSample(0, "qwen-7f9-a"), podSample(0, "qwen-7f9-b")},
		collector.QueryRunning:     {podSample(40, "qwen-7f9-a"), podSample(38, "qwen-7f9-b")},
	}
	targets := []collector.Target{{Namespace: "prod", ModelID: "qwen"}}
	states := []saturation.VariantState{{
		Name: "qwen", Namespace: "prod", ModelID: "qwen", TargetName: "qwen", Cost: 10,
		Current: 2, Ready: 2, Pods: []string{"qwen-7f9-a", "qwen-7f9-b"},
	}}
	p := planner.NewPlanner(planner.Options{})

	snap, _ := collector.Collect(context.Background(), q, now, targets, collector.Options{})
	d := p.Decide(now, snap, states, config.Default())[0]
	fmt.Println(d.Action(), d.Current, "->", d.Desired, d.MetricsAvailable)

	q[collector.QueryWaiting] = q[collector.QueryWaiting][:1] // pod b lost its waiting series
	snap, _ = collector.Collect(context.Background(), q, now.Add(30*time.Second), targets, collector.Options{})
	d = p.Decide(now.Add(30*time.Second), snap, states, config.Default())[0]
	fmt.Println(d.Action(), d.Current, "->", d.Desired, d.MetricsAvailable, d.MetricsReason)
	fmt.Println(d.MetricsMessage)
	// Output:
	// scale-up 2 -> 3 true
	// scale-up 2 -> 3 false MetricsMissing
	// pod qwen-7f9-b: no vllm:num_requests_waiting sample
}
