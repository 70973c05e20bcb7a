package collector

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/common/model"
)

// fakeQuerier answers the cycle's queries by name with canned vectors, counts calls and
// can fail chosen queries.
type fakeQuerier struct {
	mu      sync.Mutex
	byName  map[string]model.Vector
	fail    map[string]error
	names   map[string]string // expr -> name
	calls   int
	queries []string
}

func newFake(targets []Target, opts Options) *fakeQuerier {
	f := &fakeQuerier{byName: map[string]model.Vector{}, fail: map[string]error{}, names: map[string]string{}}
	for _, q := range Queries(targets, opts) {
		f.names[q.Expr] = q.Name
	}
	return f
}

func (f *fakeQuerier) Query(_ context.Context, query string, _ time.Time) (model.Vector, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.queries = append(f.queries, query)
	name, ok := f.names[query]
	if !ok {
		return nil, fmt.Errorf("unexpected query %q", query)
	}
	if err := f.fail[name]; err != nil {
		return nil, err
	}
	return f.byName[name], nil
}

func sample(v float64, labels ...string) *model.Sample {
	m := model.Metric{}
	for i := 0; i+1 < len(labels); i += 2 {
		m[model.LabelName(labels[i])] = model.LabelValue(labels[i+1])
	}
	return &model.Sample{Metric: m, Value: model.SampleValue(v)}
}

// podSamples appends the per-pod series of one pod to f's vectors.
func (f *fakeQuerier) addPod(ns, mdl, pod string, kv, waiting, running float64, last time.Time, blocks, blockSize int) {
	l := []string{"namespace", ns, "model_name", mdl, "pod", pod}
	f.byName[QueryKV] = append(f.byName[QueryKV], sample(kv, l...))
	f.byName[QueryWaiting] = append(f.byName[QueryWaiting], sample(waiting, l...))
	f.byName[QueryRunning] = append(f.byName[QueryRunning], sample(running, l...))
	f.byName[QueryKVTimestamp] = append(f.byName[QueryKVTimestamp], sample(float64(last.UnixMilli())/1000, l...))
	if blocks > 0 {
		f.byName[QueryCacheConfig] = append(f.byName[QueryCacheConfig], sample(1,
			"namespace", ns, "pod", pod, "num_gpu_blocks", fmt.Sprint(blocks), "block_size", fmt.Sprint(blockSize)))
	}
}

func (f *fakeQuerier) addModel(ns, mdl string, meanPrompt, finished float64) {
	l := []string{"namespace", ns, "model_name", mdl}
	f.byName[QueryPromptTokens] = append(f.byName[QueryPromptTokens], sample(meanPrompt, l...))
	f.byName[QueryActivity] = append(f.byName[QueryActivity], sample(finished, l...))
}

func modelName(i int) string { return fmt.Sprintf("org-%d/model-%d", i%7, i) }

func manyTargets(n int) []Target {
	ts := make([]Target, n)
	for i := range ts {
		ts[i] = Target{Namespace: fmt.Sprintf("ns-%d", i%20), ModelID: modelName(i)}
	}
	return ts
}
