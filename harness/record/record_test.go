package record

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const s = time.Second

func sampleRecord() *Record {
	rec := &Record{Meta: Meta{
		Scenario: "t", Mode: ModeTwin, Duration: time.Hour,
		Variants: []Variant{{Name: "a", Accelerator: "H100", GPUsPerReplica: 2, CostPerHour: 10, MinReplicas: 1, MaxReplicas: 4}},
		Phases:   []Phase{{Name: "warm", Start: 0, End: 30 * time.Minute}, {Name: "peak", Start: 30 * time.Minute, End: time.Hour}},
		SLO:      SLO{TTFT: 1 * s, ITL: 50 * time.Millisecond},
	}}
	for i := 1; i <= 100; i++ {
		rec.Requests = append(rec.Requests, Request{
			ID: int64(i), Class: "chat", Variant: "a", Replica: "a-0", Status: StatusOK,
			Arrival: time.Duration(i) * s, FirstToken: time.Duration(i)*s + time.Duration(i)*10*time.Millisecond,
			Finish: time.Duration(i)*s + 5*s, PromptTokens: 100, OutputTokens: 11, MeanITL: time.Duration(i) * time.Millisecond,
		})
	}
	rec.Requests = append(rec.Requests, Request{ID: 101, Class: "chat", Status: StatusError, Error: `no ready replica, "a"`, Arrival: 200 * s})
	rec.Requests = append(rec.Requests, Request{ID: 102, Class: "chat", Status: StatusLost, Arrival: 201 * s})
	rec.Lifecycle = []ReplicaEvent{
		{0, "a", "a-0", ReplicaStarting}, {60 * s, "a", "a-0", ReplicaReady},
		{10 * time.Minute, "a", "a-1", ReplicaPending}, {20 * time.Minute, "a", "a-1", ReplicaStarting},
		{50 * time.Minute, "a", "a-1", ReplicaStopped},
	}
	rec.Timeline = []TimelinePoint{{Time: 0, Variant: "a", Desired: 1, Ready: 0}, {Time: 60 * s, Variant: "a", Desired: 2, Ready: 1}, {Time: 120 * s, Variant: "a", Desired: 2, Ready: 2}}
	rec.Scales = []ScaleEvent{{Time: 60 * s, Variant: "a", From: 1, To: 2, Source: "hpa"}, {Time: 90 * s, Variant: "a", From: 2, To: 3}, {Time: 120 * s, Variant: "a", From: 3, To: 2}, {Time: 150 * s, Variant: "a", From: 2, To: 3}}
	rec.Decisions = []Decision{{Time: 1500 * time.Millisecond, Variant: "a", Current: 1, Desired: 2, Reason: "kv", Inputs: map[string]float64{"z": 1, "a": 2, "nan": math.NaN(), "inf": math.Inf(1)}}}
	rec.Floor = &Floor{GPUHours: 2, Cost: 10}
	rec.Plan = &Plan{GPUHours: 1.5, Cost: 7, Variant: "a", StepSeconds: 1800, Replicas: []int{1, 3}}
	return rec
}

func TestQuantileNearestRank(t *testing.T) {
	rec := sampleRecord()
	l := Collect(rec.Requests, nil)
	tests := []struct {
		m    Metric
		q    float64
		want time.Duration
	}{
		{TTFT, 0.5, 500 * time.Millisecond},
		{TTFT, 0.99, 990 * time.Millisecond},
		{TTFT, 1, 1000 * time.Millisecond},
		{TTFT, 0, 10 * time.Millisecond},
		{E2E, 0.9, 5 * s},
		{ITL, 0.5, 50 * time.Millisecond},
		{ITL, 0.95, 95 * time.Millisecond},
	}
	for _, tc := range tests {
		got, ok := l.Quantile(tc.m, tc.q)
		require.True(t, ok)
		assert.Equal(t, tc.want, got, "%s q%.2f", tc.m, tc.q)
	}
	assert.Equal(t, int64(1000), l.Count(ITL))
	empty := Collect(nil, nil)
	_, ok := empty.Quantile(TTFT, 0.5)
	assert.False(t, ok)
}

func TestSummarize(t *testing.T) {
	sum := Summarize(sampleRecord())
	assert.Equal(t, 102, sum.Requests.Total)
	assert.Equal(t, 1, sum.Requests.Errors)
	assert.Equal(t, 1, sum.Requests.Lost)
	assert.InDelta(t, 2.0/102, sum.Requests.ErrorRate, 1e-6)
	// SLO: TTFT <= 1s for all 100, ITL <= 50ms for 50 of them.
	assert.InDelta(t, 50.0/102, sum.Requests.SLOAttainment, 1e-6)
	require.Len(t, sum.Variants, 1)
	v := sum.Variants[0]
	assert.Equal(t, 0, v.ReplicasMin)
	assert.Equal(t, 2, v.ReplicasMax)
	assert.InDelta(t, 1.0, v.ReplicasMean, 1e-9)
	assert.Equal(t, 3, v.ScaleUps)
	assert.Equal(t, 1, v.ScaleDowns)
	assert.Equal(t, 2, v.Reversals)
	require.Len(t, v.Phases, 2)
	assert.Equal(t, VariantPhase{Phase: "warm", ScaleUpAfterSeconds: 60, ReadyMax: 2, ReadyMean: 1, PlanNeed: 1, ReadyForNeedSeconds: 60}, v.Phases[0])
	assert.Equal(t, VariantPhase{Phase: "peak", ScaleUpAfterSeconds: -1, PlanNeed: 3, ReadyForNeedSeconds: -1}, v.Phases[1])
	// a-0: 1h alive; a-1: 30 min from starting to stopped -> 1.5 replica-hours x 2 GPUs.
	assert.InDelta(t, 3.0, sum.GPUHours, 1e-6)
	assert.InDelta(t, 15.0, sum.Cost, 1e-6)
	assert.InDelta(t, 1.5, sum.FloorRatio, 1e-6)
	assert.InDelta(t, 2, sum.PlanRatio, 1e-6)
	assert.InDelta(t, -1, sum.TimeToPlanSeconds, 1e-9, "the plan's 3 replicas were never ready in peak")
}

func TestSLOMeets(t *testing.T) {
	slo := SLO{TTFT: s, ITL: 10 * time.Millisecond}
	tests := []struct {
		name string
		r    Request
		want bool
	}{
		{"ok", Request{Status: StatusOK, Arrival: s, FirstToken: 1500 * time.Millisecond, OutputTokens: 5, MeanITL: 5 * time.Millisecond}, true},
		{"slow first token", Request{Status: StatusOK, Arrival: s, FirstToken: 3 * s}, false},
		{"slow tokens", Request{Status: StatusOK, Arrival: s, FirstToken: 1100 * time.Millisecond, OutputTokens: 5, MeanITL: 20 * time.Millisecond}, false},
		{"single token ignores itl", Request{Status: StatusOK, Arrival: s, FirstToken: 1100 * time.Millisecond, OutputTokens: 1, MeanITL: 20 * time.Millisecond}, true},
		{"error", Request{Status: StatusError}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, slo.MeetsSLO(&tc.r)) })
	}
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	rec := sampleRecord()
	sum := Summarize(rec)
	require.NoError(t, WriteDir(dir, rec, &sum))

	f, err := os.Open(filepath.Join(dir, RequestsFile))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err, "requests.csv must be valid CSV")
	require.Len(t, rows, 103)
	assert.Equal(t, strings.Split(strings.TrimSpace(RequestsHeader), ","), rows[0])
	assert.Equal(t, `no ready replica, "a"`, rows[101][7])
	assert.Equal(t, "lost", rows[102][6])
	assert.Equal(t, "", rows[102][9], "absent first token is an empty field")

	dec, err := os.ReadFile(filepath.Join(dir, DecisionsFile))
	require.NoError(t, err)
	assert.Equal(t, `{"t":1.5,"variant":"a","current":1,"desired":2,"reason":"kv","metrics_available":false,"inputs":{"a":2,"z":1}}`+"\n", string(dec))

	tl, err := os.ReadFile(filepath.Join(dir, TimelineFile))
	require.NoError(t, err)
	assert.Contains(t, string(tl), "60.000,a,2,1,0,0,")

	reps, err := os.ReadFile(filepath.Join(dir, ReplicasFile))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(reps)), "\n")
	assert.Len(t, lines, 1+len(rec.Lifecycle))

	var buf bytes.Buffer
	require.NoError(t, WriteSummaryJSON(&buf, &sum))
	got, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	assert.Equal(t, buf.String(), string(got))
}

func TestPlanNeedPerPhase(t *testing.T) {
	rec := sampleRecord()
	rec.Plan.Replicas = []int{2, 1}
	sum := Summarize(rec)
	ph := sum.Variants[0].Phases[0]
	assert.Equal(t, 2, ph.PlanNeed)
	assert.InDelta(t, 120, ph.ReadyForNeedSeconds, 1e-9, "2 ready at 120 s")
	assert.Equal(t, 1, sum.Variants[0].Phases[1].PlanNeed)
	assert.InDelta(t, -1, sum.Variants[0].Phases[1].ReadyForNeedSeconds, 1e-9, "nothing sampled in peak")
	rec.Plan.Variant = "other"
	sum = Summarize(rec)
	assert.Zero(t, sum.Variants[0].Phases[0].PlanNeed, "only the plan's variant has a need")
	rec.Plan = nil
	sum = Summarize(rec)
	assert.Zero(t, sum.TimeToPlanSeconds)
	assert.Zero(t, sum.PlanRatio)
}
