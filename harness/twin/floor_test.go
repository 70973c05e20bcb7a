package twin

import (
	"math/rand/v2"
	"strconv"
	"time"

	"testing"

	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// requireAboveFloor fails when a run's summary has no floor or comes in under it.
func requireAboveFloor(t *testing.T, sum *record.Summary) {
	t.Helper()
	f := sum.Floor
	require.NotNil(t, f, "the run has no floor")
	t.Logf("%s %s: %.3f GPU-h, floor %.3f (%s; work %.3f, min-replicas %.3f; %s %.2f req/s), cost %.2f floor %.2f",
		sum.Scenario, sum.Analyzer, sum.GPUHours, f.GPUHours, f.Bound, f.WorkGPUHours, f.MinReplicaGPUHours, f.Variant, f.MaxRPS, sum.Cost, f.Cost)
	require.Positive(t, f.GPUHours)
	require.GreaterOrEqual(t, sum.GPUHours, f.GPUHours, "GPU-hours under the floor")
	require.GreaterOrEqual(t, sum.Cost, f.Cost, "cost under the floor")
	if p := sum.Plan; p != nil {
		require.GreaterOrEqual(t, p.GPUHours, f.GPUHours, "the plan under the floor")
		require.GreaterOrEqual(t, p.Cost, f.Cost, "the plan's cost under the floor")
	}
}

func TestWorkCountsTheBestCasePrefixHits(t *testing.T) {
	w := NewWork(1)
	for _, q := range []scenario.Request{
		{PromptTokens: 500, OutputTokens: 10, PrefixGroup: "sys", PrefixTokens: 300},
		{PromptTokens: 400, OutputTokens: 20, PrefixGroup: "sys", PrefixTokens: 300},
		{PromptTokens: 200, OutputTokens: 30, PrefixGroup: "sys", PrefixTokens: 300}, // shorter than the prefix
		{PromptTokens: 100, OutputTokens: 40},
		{PromptTokens: 700, OutputTokens: 50, PrefixGroup: "other", PrefixTokens: 600},
	} {
		w.Add(q)
	}
	require.Equal(t, int64(5), w.Requests)
	require.Equal(t, int64(1900), w.PromptTokens)
	require.Equal(t, int64(150), w.OutputTokens)
	require.Equal(t, int64(300+200), w.CachedTokens, "the first request of a group computes its prefix; later ones find it cached")
	require.Len(t, w.sample, 5)
}

func TestWorkSampleIsBoundedAndUniform(t *testing.T) {
	w := NewWork(7)
	const n = 50 * floorSampleSize
	for i := range n {
		w.Add(scenario.Request{PromptTokens: 1 + i%2, OutputTokens: 1})
	}
	require.Len(t, w.sample, floorSampleSize)
	twos := 0
	for _, it := range w.sample {
		twos += it.prompt - 1
	}
	// Half the requests have 2 prompt tokens; a uniform sample holds about half of them.
	require.InDelta(t, floorSampleSize/2, twos, 0.05*floorSampleSize)
	require.InDelta(t, 1.0, w.scale(true)*float64(floorSampleSize)/n, 0.05)
}

func TestFloorTakesTheLargerBound(t *testing.T) {
	sc := loadScenario(t, "quickstart")
	rec := &record.Record{Meta: record.Meta{Duration: 2 * time.Hour, Variants: []record.Variant{
		{Name: "a", GPUsPerReplica: 4, CostPerHour: 10, MinReplicas: 2},
		{Name: "b", GPUsPerReplica: 1, CostPerHour: 3, MinReplicas: 1},
	}}}
	f, err := Floor(sc, rec, NewWork(1))
	require.NoError(t, err)
	require.Equal(t, record.FloorBoundMinReplicas, f.Bound)
	require.InDelta(t, (2*4+1)*2.0, f.GPUHours, 1e-9)
	require.InDelta(t, (2*10+3)*2.0, f.Cost, 1e-9)

	w, err := WorkOf(sc, uint64(sc.Spec.Seed))
	require.NoError(t, err)
	rec.Meta.Variants = nil
	f, err = Floor(sc, rec, w)
	require.NoError(t, err)
	require.Equal(t, record.FloorBoundWork, f.Bound)
	require.Positive(t, f.WorkGPUHours)
	require.Equal(t, f.WorkGPUHours, f.GPUHours)
	require.Equal(t, w.Requests, f.Requests)
}

// The saturated throughput is the most one replica serves: an open loop of
// Poisson arrivals above it falls behind and serves no more than it, one
// below it keeps up.
func TestSaturatedThroughputIsWhatAReplicaServesAtMost(t *testing.T) {
	cfg := h100Llama(t).WithDefaults()
	mix := []mixEntry{{512, 128}, {1024, 256}, {256, 64}}
	var sample []workItem
	for range 200 {
		for _, m := range mix {
			sample = append(sample, workItem{prompt: m.prompt, output: m.output})
		}
	}
	secs, served, err := saturatedSeconds(cfg, sample)
	require.NoError(t, err)
	require.Equal(t, len(sample), served)
	saturated := float64(len(sample)) / secs
	over := openLoopThroughput(t, cfg, mix, 1.5*saturated)
	require.LessOrEqual(t, over, 1.01*saturated, "an overloaded replica served more than the saturated throughput %.2f req/s", saturated)
	require.Greater(t, over, 0.95*saturated, "an overloaded replica served much less than the saturated throughput %.2f req/s", saturated)
	under := openLoopThroughput(t, cfg, mix, 0.8*saturated)
	require.InDelta(t, 0.8*saturated, under, 0.02*saturated, "a replica below saturation keeps up")

	// Prefix hits taken off the prompts only make a replica faster.
	for i := range sample {
		sample[i].cached = sample[i].prompt / 2
	}
	require.False(t, cfg.EnablePrefixCaching)
	off, _, err := saturatedSeconds(cfg, sample)
	require.NoError(t, err)
	require.InDelta(t, secs, off, 1e-9, "without prefix caching the hits do not count")
	cfg.EnablePrefixCaching = true
	cached, _, err := saturatedSeconds(cfg, sample)
	require.NoError(t, err)
	require.Less(t, cached, secs)
}

// openLoopThroughput sends 10,000 Poisson arrivals of the mix at rate to one
// replica and returns the requests served per second until the last finished.
func openLoopThroughput(t *testing.T, cfg engine.Config, mix []mixEntry, rate float64) float64 {
	t.Helper()
	eng, err := engine.New(cfg)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 10000
	var arrival float64
	next, done := 0, 0
	var evs []engine.Event
	var last time.Time
	for done < n {
		tEng, busy := eng.NextEventTime()
		if arr := at(time.Duration(arrival * float64(time.Second))); next < n && (!busy || !arr.After(tEng)) {
			m := mix[next%len(mix)]
			require.NoError(t, eng.Add(arr, engine.Request{ID: strconv.Itoa(next), PromptTokens: m.prompt, OutputTokens: m.output}))
			next++
			arrival += rng.ExpFloat64() / rate
			continue
		}
		evs = eng.AdvanceInto(evs[:0], tEng)
		for _, ev := range evs {
			if ev.Kind == engine.EventFinished {
				done++
				last = ev.Time
			}
		}
	}
	return n / offset(last).Seconds()
}
