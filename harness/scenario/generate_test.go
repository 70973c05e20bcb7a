package scenario

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// load parses an inline scenario spec (everything under "spec:").
func load(t testing.TB, spec string) *Scenario {
	t.Helper()
	s, err := LoadBytes("inline.yaml", []byte("apiVersion: saturn.dev/v1alpha1\nkind: Scenario\nmetadata: {name: inline}\nspec:\n"+spec))
	require.NoError(t, err)
	return s
}

func generate(t testing.TB, s *Scenario, seed uint64) []Request {
	t.Helper()
	var out []Request
	for r, err := range Requests(s, seed) {
		require.NoError(t, err)
		out = append(out, r)
	}
	return out
}

const variantsYAML = `
  model: {name: meta-llama/Llama-3.1-8B-Instruct}
  variants: [{name: h100, accelerator: H100}]
`

func TestRequestsAreDeterministic(t *testing.T) {
	s := load(t, variantsYAML+`
  traffic:
    arrivals: {process: gamma, cv: 2}
    phases:
      - {name: a, duration: 2m, rate: {from: 1, to: 20}}
    classes:
      - {name: x, share: 0.5, prompt: {type: lognormal, mean: 300, stddev: 200}, output: {type: uniform, min: 10, max: 90}, prefix: {groups: 3, tokens: 50}}
      - {name: y, share: 0.5, prompt: 100, output: {type: normal, mean: 50, stddev: 10}, stream: true}
`)
	a := generate(t, s, 1)
	b := generate(t, s, 1)
	c := generate(t, s, 2)
	require.NotEmpty(t, a)
	assert.Equal(t, a, b, "same seed, same requests")
	assert.NotEqual(t, a, c, "another seed, other requests")
	for i, r := range a {
		require.Equal(t, int64(i), r.ID)
		require.Equal(t, "a", r.Phase)
		if i > 0 {
			require.GreaterOrEqual(t, r.Arrival, a[i-1].Arrival)
		}
	}
}

func TestArrivalsDoNotDependOnLengths(t *testing.T) {
	base := variantsYAML + `
  traffic:
    phases: [{name: a, duration: 1m, rate: 30}]
    classes: [{name: x, share: 1, prompt: %s, output: 20}]
`
	a := generate(t, load(t, fmt.Sprintf(base, "100")), 5)
	b := generate(t, load(t, fmt.Sprintf(base, "{type: lognormal, mean: 900, stddev: 500}")), 5)
	require.Equal(t, len(a), len(b))
	for i := range a {
		require.Equal(t, a[i].Arrival, b[i].Arrival)
	}
}

func TestRequestsFollowPhasesSpikesAndLabels(t *testing.T) {
	s := load(t, variantsYAML+`
  duration: 25m
  traffic:
    phases:
      - {name: low, duration: 5m, rate: 5}
      - {name: ramp, duration: 10m, rate: {from: 5, to: 50}}
      - {name: exp, duration: 5m, rate: {from: 50, to: 5, shape: exponential}}
    spikes:
      - {at: 2m, duration: 1m, multiplier: 4}
      - {at: 21m, duration: 2m, rate: 40}
`)
	reqs := generate(t, s, 3)
	sched, _, err := Schedule(&s.Spec)
	require.NoError(t, err)
	count := func(a, b time.Duration) float64 {
		n := 0
		for _, r := range reqs {
			if r.Arrival >= a && r.Arrival < b {
				n++
			}
		}
		return float64(n)
	}
	for a := time.Duration(0); a < 25*time.Minute; a += 30 * time.Second {
		b := a + 30*time.Second
		want := sched.Cum(b.Seconds()) - sched.Cum(a.Seconds())
		assert.InDelta(t, want, count(a, b), 5*math.Sqrt(want)+1, "window %s..%s", a, b)
	}
	// Hand-computed expectations.
	assert.InDelta(t, 4*5*60, count(2*time.Minute, 3*time.Minute), 5*math.Sqrt(1200))
	assert.InDelta(t, 27.5*600, count(5*time.Minute, 15*time.Minute), 5*math.Sqrt(16500))
	assert.InDelta(t, 40*120, count(21*time.Minute, 23*time.Minute), 5*math.Sqrt(4800))
	assert.Zero(t, count(20*time.Minute, 21*time.Minute), "after the phases (no diurnal) there is no traffic")
	for _, r := range reqs {
		want := ""
		switch {
		case r.Arrival < 5*time.Minute:
			want = "low"
		case r.Arrival < 15*time.Minute:
			want = "ramp"
		case r.Arrival < 20*time.Minute:
			want = "exp"
		}
		if r.Phase != want {
			require.Equal(t, want, r.Phase, "request at %s", r.Arrival)
		}
	}
}

func TestDiurnalShape(t *testing.T) {
	s := load(t, variantsYAML+`
  duration: 2h
  traffic:
    diurnal: {base: 20, amplitude: 15, period: 1h, peakAt: 15m}
    arrivals: {process: constant}
`)
	reqs := generate(t, s, 1)
	perMin := make([]int, 120)
	for _, r := range reqs {
		perMin[int(r.Arrival/time.Minute)]++
	}
	// Constant arrivals follow the rate closely: each minute holds 60 × the mean rate ± 1.
	for m := range perMin {
		mid := float64(m) + 0.5
		// Mean over the minute of 20 + 15 cos(2π(t-15)/60).
		w := 2 * math.Pi / 60
		mean := 20 + 15/(w)*(math.Sin(w*(mid+0.5-15))-math.Sin(w*(mid-0.5-15)))
		assert.InDelta(t, 60*mean, float64(perMin[m]), 1.5, "minute %d", m)
	}
	assert.InDelta(t, 20*7200, float64(len(reqs)), 2)
}

func TestClassesSharesAndLengths(t *testing.T) {
	s := load(t, variantsYAML+`
  traffic:
    phases: [{name: a, duration: 20m, rate: 50}]
    classes:
      - {name: chat, share: 0.6, prompt: {type: lognormal, mean: 500, stddev: 300}, output: {type: normal, mean: 200, stddev: 40}, stream: true, prefix: {groups: 5, tokens: 128}}
      - {name: batch, share: 0.3, prompt: {type: uniform, min: 1000, max: 2000}, output: 16}
      - name: code
        share: 0.1
        prompt: {type: empirical, values: [{value: 64, weight: 1}, {value: 4096, weight: 3}]}
        output: 8
`)
	reqs := generate(t, s, 11)
	n := float64(len(reqs))
	byClass := map[string][]Request{}
	for _, r := range reqs {
		byClass[r.Class] = append(byClass[r.Class], r)
	}
	shares := map[string]float64{"chat": 0.6, "batch": 0.3, "code": 0.1}
	for name, share := range shares {
		got := float64(len(byClass[name]))
		assert.InDelta(t, share*n, got, 5*math.Sqrt(n*share*(1-share)), "class %s", name)
	}
	meanOf := func(rs []Request, f func(Request) int) float64 {
		sum := 0
		for _, r := range rs {
			sum += f(r)
		}
		return float64(sum) / float64(len(rs))
	}
	prompt := func(r Request) int { return r.PromptTokens }
	output := func(r Request) int { return r.OutputTokens }
	assert.InDelta(t, 500, meanOf(byClass["chat"], prompt), 15)
	assert.InDelta(t, 200, meanOf(byClass["chat"], output), 3)
	assert.InDelta(t, 1500, meanOf(byClass["batch"], prompt), 15)
	assert.InDelta(t, 16, meanOf(byClass["batch"], output), 0)
	assert.InDelta(t, 0.25*64+0.75*4096, meanOf(byClass["code"], prompt), 80)

	groups := map[string]int{}
	for _, r := range byClass["chat"] {
		require.True(t, r.Stream)
		require.NotEmpty(t, r.PrefixGroup)
		require.Equal(t, min(128, r.PromptTokens), r.PrefixTokens)
		groups[r.PrefixGroup]++
	}
	assert.Len(t, groups, 5)
	for _, r := range byClass["batch"] {
		require.False(t, r.Stream)
		require.Empty(t, r.PrefixGroup)
		require.Zero(t, r.PrefixTokens)
	}
}

func TestLengthsAreClampedToTheContext(t *testing.T) {
	s := load(t, `
  model: {name: Qwen/Qwen3-0.6B, engine: {maxModelLen: 2048}}
  variants: [{name: h100, accelerator: H100}]
  traffic:
    phases: [{name: a, duration: 5m, rate: 20}]
    classes: [{name: x, share: 1, prompt: {type: lognormal, mean: 1500, stddev: 1500}, output: {type: uniform, min: 100, max: 3000}}]
`)
	clamped := 0
	for _, r := range generate(t, s, 1) {
		require.GreaterOrEqual(t, r.PromptTokens, 1)
		require.GreaterOrEqual(t, r.OutputTokens, 1)
		require.LessOrEqual(t, r.PromptTokens+r.OutputTokens, 2048)
		if r.PromptTokens+r.OutputTokens == 2048 {
			clamped++
		}
	}
	assert.Positive(t, clamped, "the distribution reaches the limit, so some requests are clamped")
}

func TestTraceReplay(t *testing.T) {
	spec := func(format, file string, timeScale, mult float64) string {
		return variantsYAML + fmt.Sprintf(`
  duration: 20m
  traffic:
    phases: [{name: early, duration: 5m}, {name: late, duration: 15m}]
    trace: {format: %s, path: ../../scenarios/traces/%s, timeScale: %g, rateMultiplier: %g, stream: true}
`, format, file, timeScale, mult)
	}
	base := generate(t, load(t, spec("azure", "azure-conv-sample.csv", 1, 1)), 1)
	require.Greater(t, len(base), 5000)
	assert.Less(t, base[len(base)-1].Arrival, 15*time.Minute+time.Second)
	for _, r := range base {
		require.Equal(t, DefaultTraceClass, r.Class)
		require.True(t, r.Stream)
		require.Equal(t, map[bool]string{true: "early", false: "late"}[r.Arrival < 5*time.Minute], r.Phase)
	}

	half := generate(t, load(t, spec("azure", "azure-conv-sample.csv", 0.5, 1)), 1)
	require.Equal(t, len(base), len(half))
	for i := range base {
		require.InDelta(t, float64(base[i].Arrival)/2, float64(half[i].Arrival), 1)
		require.Equal(t, base[i].PromptTokens, half[i].PromptTokens)
	}

	double := generate(t, load(t, spec("azure", "azure-conv-sample.csv", 1, 2)), 1)
	assert.Equal(t, 2*len(base), len(double))
	for i := 1; i < len(double); i++ {
		require.GreaterOrEqual(t, double[i].Arrival, double[i-1].Arrival)
	}
	thinned := generate(t, load(t, spec("azure", "azure-conv-sample.csv", 1, 0.5)), 1)
	assert.InDelta(t, len(base)/2, len(thinned), 1)

	// A short run cuts the trace.
	cut := load(t, spec("burstgpt", "burstgpt-sample.csv", 1, 1))
	cut.Spec.Duration = 2 * time.Minute
	cut.Spec.Traffic.Phases = nil
	for _, r := range generate(t, cut, 1) {
		require.Less(t, r.Arrival, 2*time.Minute)
		require.GreaterOrEqual(t, r.OutputTokens, 1, "failed BurstGPT requests replay as 1-token requests")
	}
}

func TestMooncakePrefixGroups(t *testing.T) {
	s, err := Load("testdata/valid-trace.yaml")
	require.NoError(t, err)
	reqs := generate(t, s, 1)
	require.NotEmpty(t, reqs)
	grouped := 0
	groups := map[string]bool{}
	for _, r := range reqs {
		require.LessOrEqual(t, r.PrefixTokens, r.PromptTokens)
		if r.PrefixGroup != "" {
			grouped++
			groups[r.PrefixGroup] = true
			require.Zero(t, r.PrefixTokens%512, "whole 512-token blocks unless capped")
		}
	}
	// The sample puts 70% of prompts behind 12 shared prefixes.
	assert.InDelta(t, 0.7, float64(grouped)/float64(len(reqs)), 0.05)
	assert.Len(t, groups, 12)
}

func TestTraceErrorsEndTheStream(t *testing.T) {
	// Load checks the trace; a file that disappears or changes afterwards fails the stream.
	s := load(t, variantsYAML+`
  duration: 1m
  traffic:
    trace: {format: azure, path: ../../scenarios/traces/azure-conv-sample.csv}
`)
	s.Spec.Traffic.Trace.Path = "testdata/missing.csv"
	var errs []error
	for _, err := range Requests(s, 1) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], "spec.traffic.trace")

	s.Spec.Traffic.Trace.Path = "../../scenarios/traces/azure-conv-sample.csv"
	s.Spec.Traffic.Trace.Format = "mooncake"
	_, err := NewGenerator(s, 1)
	require.ErrorContains(t, err, "line 1")
}

func BenchmarkRequests(b *testing.B) {
	for name, spec := range map[string]string{
		"poisson-constant-lengths": variantsYAML + `
  traffic:
    phases: [{name: a, duration: 10000h, rate: 50}]
    classes: [{name: x, share: 1, prompt: 256, output: 128}]
`,
		"diurnal-two-classes": variantsYAML + `
  duration: 10000h
  traffic:
    diurnal: {base: 25, amplitude: 24}
    classes:
      - {name: chat, share: 0.7, prompt: {type: lognormal, mean: 600, stddev: 400}, output: {type: lognormal, mean: 250, stddev: 150}, stream: true, prefix: {groups: 8, tokens: 200}}
      - {name: rag, share: 0.3, prompt: {type: uniform, min: 2000, max: 6000}, output: {type: normal, mean: 150, stddev: 30}}
`,
	} {
		b.Run(name, func(b *testing.B) {
			s := load(b, spec)
			g, err := NewGenerator(s, 1)
			require.NoError(b, err)
			b.ResetTimer()
			for range b.N {
				if _, ok := g.Next(); !ok {
					b.Fatal("stream ended")
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
		})
	}
}
