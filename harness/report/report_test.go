package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testRun() (*record.Record, *record.Summary) {
	rec := &record.Record{Meta: record.Meta{
		Scenario: "demo", Mode: record.ModeTwin, Seed: 3, Duration: 10 * time.Minute, Model: "m", Analyzer: "capacity", Actuation: "hpa",
		Variants: []record.Variant{{Name: "h100", Accelerator: "H100", GPUsPerReplica: 1, CostPerHour: 100, Initial: 1}},
		Phases:   []record.Phase{{Name: "calm", Start: 0, End: 5 * time.Minute}, {Name: "<peak>", Start: 5 * time.Minute, End: 10 * time.Minute}},
		SLO:      record.SLO{TTFT: 2 * time.Second, ITL: 50 * time.Millisecond},
	}}
	for i := 0; i < 600; i++ {
		arr := time.Duration(i) * time.Second
		rec.Requests = append(rec.Requests, record.Request{ID: int64(i), Arrival: arr, FirstToken: arr + 300*time.Millisecond,
			Finish: arr + 3*time.Second, OutputTokens: 50, MeanITL: 20 * time.Millisecond})
	}
	for t := time.Duration(0); t <= 10*time.Minute; t += 15 * time.Second {
		rec.Timeline = append(rec.Timeline, record.TimelinePoint{Time: t, Variant: "h100", Desired: 2, Ready: 1 + int(t/(5*time.Minute)), KVMean: 0.3, KVMax: 0.5, Waiting: 2})
	}
	rec.Decisions = []record.Decision{{Time: 30 * time.Second, Variant: "h100", Current: 1, Desired: 2, Reason: "kv <high> & queue", Analyzer: "capacity"}}
	rec.Scales = []record.ScaleEvent{{Time: 45 * time.Second, Variant: "h100", From: 1, To: 2}}
	rec.Floor = &record.Floor{GPUHours: 0.1, Cost: 10, Bound: record.FloorBoundWork, Variant: "h100", MaxRPS: 20, Requests: 600, PromptTokens: 1000}
	rec.Plan = &record.Plan{GPUHours: 0.2, Cost: 20, Attainment: 0.995, Target: 0.99, Variant: "h100", StepSeconds: 60, LeadSeconds: 65, Replicas: []int{1, 1, 1, 1, 1, 2, 2, 2, 2, 2}, PeakReplicas: 2, Replays: 3}
	sum := record.Summarize(rec)
	sum.Verdict = record.VerdictFail
	sum.Assertions = []record.AssertionResult{
		{Name: "ttft p99 <= 1s", Pass: true, Observed: "300ms"},
		{Name: "replicas h100", Pass: false, Observed: "1..2 ready", Detail: "reached 2 ready, above max 1"},
	}
	sum.Run = &record.RunStats{WallSeconds: 0.5, YardstickSeconds: 0.7, SimSecondsPerWall: 1200, RequestsPerWallSecond: 1200}
	return rec, &sum
}

func TestText(t *testing.T) {
	_, sum := testRun()
	var b bytes.Buffer
	require.NoError(t, Text(&b, sum))
	out := b.String()
	for _, want := range []string{
		"verdict: FAIL (1/2 assertions hold)",
		"replicas h100", "FAIL: reached 2 ready, above max 1",
		"600 total, 600 ok",
		"TTFT", "300ms",
		"floor 0.100 GPU-h, cost 10.00 (600 requests back to back on h100 at its saturated 20.00 req/s",
		"plan 0.200 GPU-h, cost 20.00, SLO attainment 99.50% for a target of 99.00% (h100, peak 2, started 1m5s ahead, replayed 3 times)",
		"wall time 500ms (+700ms for the floor and the plan), 1200 simulated s per wall s",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "oracle")

	// A plan sized or bounded by the scenario's own assertions says how many.
	sum.Plan.Assertions = 3
	b.Reset()
	require.NoError(t, Text(&b, sum))
	assert.Contains(t, b.String(), "SLO attainment 99.50% for a target of 99.00% and the scenario's 3 assertions on it (h100,")
	sum.Plan.Assertions = 1
	b.Reset()
	require.NoError(t, Text(&b, sum))
	assert.Contains(t, b.String(), "for a target of 99.00% and the scenario's assertion on it (h100,")
}

func TestCompare(t *testing.T) {
	_, a := testRun()
	_, b := testRun()
	b.Variants[0].Reversals = 3
	var buf bytes.Buffer
	require.NoError(t, Compare(&buf, "capacity/hpa", "wva-v1/hpa", a, b))
	out := buf.String()
	assert.Contains(t, out, "A: capacity/hpa")
	assert.Contains(t, out, "B: wva-v1/hpa")
	assert.Regexp(t, `h100 flaps \(reversals\)\s+0\s+3`, out)
	assert.Regexp(t, `h100 first scale-up\s+45.00s\s+45.00s`, out)
	assert.Regexp(t, `vs floor \(GPU-h\)\s+\S+x\s+\S+x`, out)
	assert.Regexp(t, `vs plan \(GPU-h\)\s+\S+x\s+\S+x`, out)
	assert.Regexp(t, `h100 in <peak>: ready for the plan's need after\s+\+0s \(2\)|h100 in <peak>: ready for the plan's need after\s+already \(2\)`, out)
	assert.Contains(t, out, "A: floor 0.100 GPU-h")
	assert.Contains(t, out, "B: plan 0.200 GPU-h")
	assert.NotContains(t, out, "oracle")
}

func TestJUnit(t *testing.T) {
	_, sum := testRun()
	var b bytes.Buffer
	require.NoError(t, JUnit(&b, sum))
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, 2, doc.Tests)
	assert.Equal(t, 1, doc.Failures)
	require.Len(t, doc.Suites, 1)
	assert.Equal(t, "saturn.demo", doc.Suites[0].Name)
	assert.Nil(t, doc.Suites[0].Cases[0].Failure)
	require.NotNil(t, doc.Suites[0].Cases[1].Failure)
	assert.Contains(t, doc.Suites[0].Cases[1].Failure.Message, "1..2 ready")
}

func TestJSONRoundTrip(t *testing.T) {
	_, sum := testRun()
	var b bytes.Buffer
	require.NoError(t, JSON(&b, sum))
	var back record.Summary
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, *sum, back)
}

func TestHTMLSelfContained(t *testing.T) {
	rec, sum := testRun()
	var b bytes.Buffer
	require.NoError(t, HTML(&b, rec, sum))
	page := b.String()
	assert.Equal(t, 6, strings.Count(page, "<svg "), "load, replicas, KV, queue, TTFT and ITL plots")
	assert.NotContains(t, page, "<script")
	assert.NotRegexp(t, `(src|href)="https?://`, page)
	assert.Contains(t, page, "&lt;peak&gt;", "phase names are escaped")
	assert.Contains(t, page, "kv &lt;high&gt; &amp; queue", "reasons are escaped")
	assert.Contains(t, page, "1 → 2")
	assert.Contains(t, page, "SLO 2.00s")
	assert.Contains(t, page, "plan (h100)", "the plan's schedule is drawn on the replicas plot")
	assert.Contains(t, page, "floor 0.100 · ")
	assert.Contains(t, page, "plan 0.200 GPU-h, cost 20.00")
	assert.NotContains(t, page, "oracle")
}

func TestNiceSteps(t *testing.T) {
	tests := []struct {
		max  float64
		want float64
	}{{1, 0.2}, {7, 2}, {12, 2.5}, {100, 20}, {0.05, 0.01}}
	for _, tc := range tests {
		assert.InDelta(t, tc.want, niceStep(tc.max, 5), 1e-12, "max %g", tc.max)
	}
	assert.Equal(t, 60.0, timeStep(600))
	assert.Equal(t, 7200.0, timeStep(86400))
	assert.Equal(t, "1h30", fmtClock(5400, 86400))
	assert.Equal(t, "1:30", fmtClock(90, 600))
}

func TestDownsample(t *testing.T) {
	var pts []point
	for i := 0; i < 10; i++ {
		pts = append(pts, point{float64(i), float64(i % 3)})
	}
	got := downsample(pts, 5, aggMax)
	require.Len(t, got, 5)
	assert.Equal(t, []point{{0, 1}, {2, 2}, {4, 2}, {6, 1}, {8, 2}}, got)
	assert.Len(t, downsample(pts, 20, aggMax), 10)
}
