package assert

import (
	"testing"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	s  = time.Second
	ms = time.Millisecond
)

func ptr[T any](v T) *T { return &v }

// testRecord: 10 min run, phases "calm" [0,5m) and "peak" [5m,10m), one
// variant scaling 1 -> 3 at 6m, 3 -> 4 at 6m30s, 4 -> 2 at 9m.
func testRecord() *record.Record {
	rec := &record.Record{Meta: record.Meta{
		Duration: 10 * time.Minute,
		Variants: []record.Variant{{Name: "a", GPUsPerReplica: 1, CostPerHour: 10, Initial: 1}},
		Phases:   []record.Phase{{Name: "calm", Start: 0, End: 5 * time.Minute}, {Name: "peak", Start: 5 * time.Minute, End: 10 * time.Minute}, {Name: "cool", Start: 7 * time.Minute, End: 10 * time.Minute}},
	}}
	for i := 0; i < 100; i++ {
		arr := time.Duration(i) * 6 * s
		ttft := 100 * ms
		if arr >= 5*time.Minute {
			ttft = time.Duration(i) * 20 * ms // 1s..2s in peak
		}
		r := record.Request{ID: int64(i), Class: "chat", Arrival: arr, FirstToken: arr + ttft, Finish: arr + ttft + 2*s, OutputTokens: 21, MeanITL: 20 * ms}
		if i == 99 {
			r.Status, r.Finish, r.FirstToken = record.StatusLost, 0, 0
		}
		if i == 98 {
			r.Status, r.Error = record.StatusError, "boom"
		}
		rec.Requests = append(rec.Requests, r)
	}
	rec.Scales = []record.ScaleEvent{
		{Time: 6 * time.Minute, Variant: "a", From: 1, To: 3},
		{Time: 6*time.Minute + 30*s, Variant: "a", From: 3, To: 4},
		{Time: 9 * time.Minute, Variant: "a", From: 4, To: 2},
	}
	for t := time.Duration(0); t < 10*time.Minute; t += 30 * s {
		ready := 1
		switch {
		case t >= 9*time.Minute:
			ready = 2
		case t >= 7*time.Minute:
			ready = 4
		}
		rec.Timeline = append(rec.Timeline, record.TimelinePoint{Time: t, Variant: "a", Ready: ready})
	}
	rec.Lifecycle = []record.ReplicaEvent{
		{Time: 0, Variant: "a", Replica: "a-1", State: record.ReplicaReady},
		{Time: 6 * time.Minute, Variant: "a", Replica: "a-2", State: record.ReplicaStarting},
		{Time: 9 * time.Minute, Variant: "a", Replica: "a-2", State: record.ReplicaStopped},
	}
	return rec
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name     string
		a        scenario.Assertion
		pass     bool
		value    float64
		observed string
	}{
		{"replicas within bounds", scenario.Assertion{Replicas: &scenario.ReplicasCheck{Variant: "a", Min: ptr(1), Max: ptr(4)}}, true, 4, "1..4 ready"},
		{"replicas above max", scenario.Assertion{Replicas: &scenario.ReplicasCheck{Variant: "a", Max: ptr(3)}}, false, 4, "1..4 ready"},
		{"replicas below min in calm", scenario.Assertion{Phase: "calm", Replicas: &scenario.ReplicasCheck{Variant: "a", Min: ptr(2)}}, false, 1, "1..1 ready"},
		{"replicas held in calm", scenario.Assertion{Phase: "calm", Replicas: &scenario.ReplicasCheck{Variant: "a", Held: true}}, true, 1, "1..1 ready, desired held at 1"},
		{"replicas not held in peak", scenario.Assertion{Phase: "peak", Replicas: &scenario.ReplicasCheck{Variant: "a", Held: true}}, false, 3, "1..4 ready, desired 1 -> 3 at 6m0s"},
		{"scale up within 2m of peak", scenario.Assertion{Phase: "peak", ScaleUpWithin: &scenario.ScaleUpCheck{Variant: "a", Within: 2 * time.Minute, ToAtLeast: 4}}, true, 90, "1m30s (1 -> 4)"},
		{"scale up too slow", scenario.Assertion{Phase: "peak", ScaleUpWithin: &scenario.ScaleUpCheck{Variant: "a", Within: 50 * s, ToAtLeast: 2}}, false, 50, "not within 50.00s (1 -> 1)"},
		{"scale up default target", scenario.Assertion{Phase: "peak", ScaleUpWithin: &scenario.ScaleUpCheck{Variant: "a", Within: 70 * s}}, true, 60, "1m0s (1 -> 3)"},
		{"scale down default target", scenario.Assertion{Phase: "cool", ScaleDownWithin: &scenario.ScaleDownCheck{Variant: "a", Within: 3 * time.Minute}}, true, 120, "2m0s (4 -> 2)"},
		{"scale down not reached", scenario.Assertion{Phase: "cool", ScaleDownWithin: &scenario.ScaleDownCheck{Variant: "a", Within: time.Minute}}, false, 60, "not within 1m0s (4 -> 4)"},
		{"scale down to 2", scenario.Assertion{ScaleDownWithin: &scenario.ScaleDownCheck{Variant: "a", Within: 10 * time.Minute, ToAtMost: ptr(2)}}, true, 0, "0s (already 1)"},
		{"changes: 2 in 1m", scenario.Assertion{MaxReplicaChanges: &scenario.MaxReplicaChangesCheck{Window: time.Minute, Count: 1}}, false, 2, "2 changes"},
		{"changes: 3 in 5m allowed", scenario.Assertion{MaxReplicaChanges: &scenario.MaxReplicaChangesCheck{Variant: "a", Window: 5 * time.Minute, Count: 3}}, true, 3, "3 changes"},
		{"ttft p50 calm", scenario.Assertion{Phase: "calm", Latency: &scenario.LatencyCheck{Metric: "ttft", Percentile: "p50", Max: 200 * ms}}, true, 0.1, "100ms"},
		{"ttft p99 peak", scenario.Assertion{Phase: "peak", Latency: &scenario.LatencyCheck{Metric: "ttft", Percentile: "p99", Max: 1500 * ms}}, false, 1.96, "1.96s"},
		{"slo attainment", scenario.Assertion{SLOAttainment: &scenario.SLOAttainmentCheck{TTFT: 1500 * ms, ITL: 50 * ms, MinShare: 0.7}}, true, 0.76, "76.00%"},
		{"error rate", scenario.Assertion{ErrorRate: &scenario.ErrorRateCheck{Max: 0.01}}, false, 0.02, "2.000% (2 of 100)"},
		{"nothing lost", scenario.Assertion{NothingLost: ptr(true)}, false, 1, "1 lost of 100"},
		{"nothing lost in calm", scenario.Assertion{Phase: "calm", NothingLost: ptr(true)}, true, 0, "0 lost of 50"},
		// a-1 10 min + a-2 3 min = 13/60 h.
		{"gpu hours", scenario.Assertion{GPUHours: &scenario.BudgetCheck{Max: 0.25}}, true, 0.216667, "0.217 GPU-h"},
		{"cost", scenario.Assertion{Cost: &scenario.BudgetCheck{Max: 2}}, false, 2.166667, "2.17"},
		{"cost in peak", scenario.Assertion{Phase: "peak", Cost: &scenario.BudgetCheck{Max: 2}}, true, 1.333333, "1.33"},
	}
	rec := testRecord()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.a.Name = tc.name
			res := Evaluate([]scenario.Assertion{tc.a}, rec)
			require.Len(t, res, 1)
			assert.Equal(t, tc.pass, res[0].Pass, "detail: %s", res[0].Detail)
			assert.InDelta(t, tc.value, res[0].Value, 1e-6)
			assert.Equal(t, tc.observed, res[0].Observed)
		})
	}
}

func TestUnknownPhaseFails(t *testing.T) {
	res := Evaluate([]scenario.Assertion{{Name: "x", Phase: "nope", NothingLost: ptr(true)}}, testRecord())
	assert.False(t, res[0].Pass)
	assert.Contains(t, res[0].Detail, `phase "nope"`)
}

func TestVerdictAndApply(t *testing.T) {
	assert.Equal(t, record.VerdictPass, Verdict(nil))
	assert.Equal(t, record.VerdictFail, Verdict([]record.AssertionResult{{Pass: true}, {Pass: false}}))
	var sum record.Summary
	Apply(&sum, []scenario.Assertion{{Name: "calm ok", Phase: "calm", NothingLost: ptr(true)}}, testRecord())
	assert.Equal(t, record.VerdictPass, sum.Verdict)
	require.Len(t, sum.Assertions, 1)
}
