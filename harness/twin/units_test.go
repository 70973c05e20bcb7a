package twin

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/simulator/vllmmetrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScrapedFamiliesExistInVLLMMetrics: every family the twin appends is
// one simulator/vllmmetrics registers (names live in one place).
func TestScrapedFamiliesExistInVLLMMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	_, err := vllmmetrics.Register(reg, "m", 4096, vllmmetrics.CacheConfig{BlockSize: 16, NumGPUBlocks: 100})
	require.NoError(t, err)
	fams, err := reg.Gather()
	require.NoError(t, err)
	var names []string
	for _, f := range fams {
		names = append(names, f.GetName())
	}
	for _, n := range []string{famRunning, famWaiting, famKVUsage, famSuccess, famPromptTokens, famCacheConfig, famPreemptions, famPromptTotal, famGenTotal, famITL, famGenTokens, famPrefill} {
		assert.Contains(t, names, n)
	}
}

func TestTimerHeapOrder(t *testing.T) {
	var h timerHeap
	r := rand.New(rand.NewPCG(1, 2))
	var want []time.Duration
	for i := 0; i < 500; i++ {
		d := time.Duration(r.IntN(50)) * time.Second
		h.push(d, timerScrape, i, 0)
		want = append(want, d)
	}
	slices.Sort(want)
	var got []time.Duration
	lastSeq := map[time.Duration]uint64{}
	for h.len() > 0 {
		tm := h.pop()
		got = append(got, tm.at)
		assert.Greater(t, tm.seq, lastSeq[tm.at], "ties pop in push order")
		lastSeq[tm.at] = tm.seq
	}
	assert.Equal(t, want, got)
}

// miniScenario is a small scenario for behaviour tests.
func miniScenario(t *testing.T, extra string) *scenario.Scenario {
	src := `apiVersion: saturn.dev/v1alpha1
kind: Scenario
metadata: {name: mini}
spec:
  seed: 5
  model: {name: meta-llama/Llama-3.1-8B-Instruct}
  variants:
    - name: h100
      accelerator: H100
      minReplicas: 1
      initialReplicas: 2
      maxReplicas: 6
      startup: {scheduling: 5s, weightsLoading: 20s}
  autoscaler:
    analyzer: capacity
    interval: 15s
    actuation: {mode: direct}
  prometheus: {scrapeInterval: 5s}
  router: {policy: round-robin}
  traffic:
    phases:
      - {name: steady, duration: 6m, rate: 8}
    classes:
      - {name: chat, share: 1, prompt: 256, output: 64}
` + extra
	sc, err := scenario.LoadBytes("mini.yaml", []byte(src))
	require.NoError(t, err)
	return sc
}

func TestKillReplicaIsReplaced(t *testing.T) {
	sc := miniScenario(t, `  faults:
    - killReplica: {at: 2m, variant: h100, count: 1}
`)
	rec, err := Run(context.Background(), sc, Options{NoYardstick: true})
	require.NoError(t, err)
	var failedAt time.Duration
	var created []string
	for _, e := range rec.Lifecycle {
		if e.State == record.ReplicaFailed {
			failedAt = e.Time
		}
		if e.State == record.ReplicaPending && e.Time > 0 {
			created = append(created, e.Replica)
		}
	}
	require.Equal(t, 2*time.Minute, failedAt, "the fault kills a replica at 2m")
	require.NotEmpty(t, created, "the Deployment replaces the killed pod")
	readyAgain := false
	for _, e := range rec.Lifecycle {
		if e.Replica == created[0] && e.State == record.ReplicaReady {
			readyAgain = true
			assert.Equal(t, failedAt+25*time.Second, e.Time, "scheduling 5s + weights 20s")
		}
	}
	assert.True(t, readyAgain)
	lost := 0
	for _, r := range rec.Requests {
		if r.Status == record.StatusLost {
			lost++
		}
	}
	assert.Zero(t, lost)
}

func TestPrometheusOutageHoldsReplicas(t *testing.T) {
	sc := miniScenario(t, `  faults:
    - prometheusOutage: {start: 2m, duration: 2m}
`)
	rec, err := Run(context.Background(), sc, Options{NoYardstick: true})
	require.NoError(t, err)
	inOutage := 0
	for _, d := range rec.Decisions {
		if d.Time > 2*time.Minute && d.Time < 4*time.Minute {
			inOutage++
			assert.False(t, d.MetricsOK, "decision at %v", d.Time)
			assert.GreaterOrEqual(t, d.Desired, d.Current, "never scales down blind: %s", d.Reason)
		}
	}
	assert.Positive(t, inOutage)
	for _, e := range rec.Scales {
		if e.Time > 2*time.Minute && e.Time < 4*time.Minute {
			assert.Greater(t, e.To, e.From, "no scale-down during the outage")
		}
	}
}

func TestRoundRobinSpreadsEvenly(t *testing.T) {
	sc := miniScenario(t, "")
	rec, err := Run(context.Background(), sc, Options{NoYardstick: true})
	require.NoError(t, err)
	perReplica := map[string]int{}
	for _, r := range rec.Requests {
		if r.Arrival < time.Minute {
			perReplica[r.Replica]++
		}
	}
	require.Len(t, perReplica, 2, "two initial replicas")
	var counts []int
	for _, n := range perReplica {
		counts = append(counts, n)
	}
	assert.InDelta(t, counts[0], counts[1], 1, "round-robin alternates: %v", perReplica)
}

func TestUnresponsiveReplicaFailsItsRequests(t *testing.T) {
	sc := miniScenario(t, `  faults:
    - unresponsiveReplica: {at: 1m, variant: h100, duration: 1m}
`)
	rec, err := Run(context.Background(), sc, Options{NoYardstick: true})
	require.NoError(t, err)
	failed, during := 0, 0
	var hung string
	for _, r := range rec.Requests {
		if r.Status == record.StatusError {
			failed++
			hung = r.Replica
		}
	}
	for _, r := range rec.Requests {
		if r.Arrival > 61*time.Second && r.Arrival < 119*time.Second && r.Replica == hung {
			during++
		}
	}
	assert.Positive(t, failed, "in-flight requests on the hung replica fail")
	assert.Zero(t, during, "the router avoids the hung replica")
}

func TestPodNamesLookLikeDeploymentPods(t *testing.T) {
	v := &variant{name: "llama-h100", rsHash: rsHash("llama-h100")}
	seen := map[string]bool{}
	for range 1000 {
		n := v.podName()
		require.Regexp(t, `^llama-h100-[a-z0-9]{10}-[a-z0-9]{5}[0-9]$`, n)
		require.False(t, seen[n], "duplicate pod name %s", n)
		seen[n] = true
	}
	assert.Equal(t, rsHash("llama-h100"), rsHash("llama-h100"))
	assert.NotEqual(t, rsHash("a"), rsHash("b"))
}

// A controller restart: no cycle runs while it is down, and the new controller knows the
// ITL line its predecessor fitted from its first cycle on (it reads Prometheus' history),
// where it would otherwise need minutes of new samples.
func TestControllerRestartKeepsTheITLLine(t *testing.T) {
	src := `apiVersion: saturn.dev/v1alpha1
kind: Scenario
metadata: {name: restart}
spec:
  seed: 5
  model: {name: meta-llama/Llama-3.1-8B-Instruct}
  variants:
    - {name: h100, accelerator: H100, minReplicas: 1, initialReplicas: 1, maxReplicas: 6, startup: {scheduling: 5s, weightsLoading: 20s}}
  autoscaler: {analyzer: capacity, interval: 15s, actuation: {mode: direct}}
  prometheus: {scrapeInterval: 5s}
  slo: {ttft: 2s, itl: 50ms}
  traffic:
    phases:
      - {name: low, duration: 2m, rate: 2}
      - {name: high, duration: 5m, rate: 25}
    classes:
      - {name: chat, share: 1, prompt: 256, output: 256}
  faults:
    - controllerRestart: {at: 5m, downtime: 45s}
`
	before, after := aroundRestart(t, src)
	assert.Contains(t, before.Reason, "by the fitted ITL")
	// Its two pods give the new controller two samples of its own, six are needed for a
	// line: the others come from the history.
	assert.Contains(t, after.Reason, "by the fitted ITL", "the first cycle after the restart")
	// Its lead time counts the start-up its ready pods took (5 s scheduling, 20 s loading),
	// not DefaultStartup, plus the rate window's lag.
	assert.InDelta(t, 25+30, after.Inputs["leadSeconds"], 1e-9, after.Reason)
}

// A controller restarted after its replica queued at its batch limit (--max-num-seqs 8,
// one replica allowed) knows the limit from its first cycle: it replays the cycles its
// predecessor ran from Prometheus' history instead of waiting for three queueing cycles
// of its own.
func TestControllerRestartKeepsTheSaturation(t *testing.T) {
	src := `apiVersion: saturn.dev/v1alpha1
kind: Scenario
metadata: {name: restart-saturated}
spec:
  seed: 5
  model: {name: meta-llama/Llama-3.1-8B-Instruct, engine: {maxNumSeqs: 8}}
  variants:
    - {name: h100, accelerator: H100, minReplicas: 1, initialReplicas: 1, maxReplicas: 1, startup: {scheduling: 5s, weightsLoading: 20s}}
  autoscaler: {analyzer: capacity, interval: 15s, actuation: {mode: direct}}
  prometheus: {scrapeInterval: 5s}
  traffic:
    phases:
      - {name: queueing, duration: 3m, rate: 6}
      - {name: calm, duration: 3m, rate: 1}
    classes:
      - {name: chat, share: 1, prompt: 256, output: 256}
  faults:
    - controllerRestart: {at: 4m, downtime: 30s}
`
	before, after := aroundRestart(t, src)
	assert.InDelta(t, 8, before.Inputs["saturationConcurrency"], 1e-9, "learned while queueing: %s", before.Reason)
	assert.InDelta(t, 8, after.Inputs["saturationConcurrency"], 1e-9, "the first cycle after the restart, in the calm: %s", after.Reason)
}

// The twin scrapes each replica's vllm:request_prefill_time_seconds as vLLM observes it
// (first scheduled to first token, when a request finishes), and the controller reads it
// into the latency model: a request's time in a replica. A long prompt's prefill is
// longer than a short one's, and never longer than the TTFT the requests saw.
func TestPrefillTimeReachesTheController(t *testing.T) {
	prefill := func(prompt int) (seconds, meanTTFT float64) {
		src := fmt.Sprintf(`apiVersion: saturn.dev/v1alpha1
kind: Scenario
metadata: {name: prefill}
spec:
  seed: 5
  model: {name: meta-llama/Llama-3.1-8B-Instruct}
  variants:
    - {name: h100, accelerator: H100, minReplicas: 2, initialReplicas: 2, maxReplicas: 2, startup: {scheduling: 5s, weightsLoading: 20s}}
  autoscaler: {analyzer: capacity, interval: 15s, actuation: {mode: direct}}
  prometheus: {scrapeInterval: 5s}
  slo: {ttft: 2s, itl: 50ms}
  traffic:
    phases:
      - {name: low, duration: 3m, rate: {from: 1, to: 12}}
    classes:
      - {name: chat, share: 1, prompt: %d, output: 128}
`, prompt)
		sc, err := scenario.LoadBytes("prefill.yaml", []byte(src))
		require.NoError(t, err)
		rec, err := Run(context.Background(), sc, Options{NoYardstick: true})
		require.NoError(t, err)
		re := regexp.MustCompile(`per running request, prefill (\d+\.\d+)s`)
		for _, d := range rec.Decisions {
			if m := re.FindStringSubmatch(d.Reason); m != nil {
				seconds, err = strconv.ParseFloat(m[1], 64)
				require.NoError(t, err)
			}
		}
		var sum float64
		var n int
		for _, r := range rec.Requests {
			if r.FirstToken > 0 {
				sum += r.TTFT().Seconds()
				n++
			}
		}
		require.Positive(t, n)
		return seconds, sum / float64(n)
	}
	short, shortTTFT := prefill(128)
	long, longTTFT := prefill(6000)
	require.Positive(t, short, "the last decision with a fitted line names the prefill")
	assert.Greater(t, long, 3*short, "6,000 prompt tokens take longer to prefill than 128")
	assert.LessOrEqual(t, short, shortTTFT+0.005, "a prefill is within the TTFT (rounded to 10 ms)")
	assert.LessOrEqual(t, long, longTTFT+0.005)
}

// aroundRestart runs the scenario src, whose first fault is a controllerRestart, and
// returns the last decision before the restart and the first after it; no decision falls
// while the controller is down.
func aroundRestart(t *testing.T, src string) (before, after *record.Decision) {
	t.Helper()
	sc, err := scenario.LoadBytes("restart.yaml", []byte(src))
	require.NoError(t, err)
	require.NotEmpty(t, sc.Spec.Faults)
	r := sc.Spec.Faults[0].ControllerRestart
	require.NotNil(t, r)
	rec, err := Run(context.Background(), sc, Options{NoYardstick: true})
	require.NoError(t, err)
	for i, d := range rec.Decisions {
		assert.False(t, d.Time > r.At && d.Time < r.At+r.Downtime, "a decision at %v while the controller is down", d.Time)
		if d.Time <= r.At {
			before = &rec.Decisions[i]
		} else if after == nil {
			after = &rec.Decisions[i]
		}
	}
	require.NotNil(t, before)
	require.NotNil(t, after)
	return before, after
}
