package arrivals

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

func collect(t *testing.T, segs []Segment, procs []Process, seed uint64) []float64 {
	t.Helper()
	s, err := NewSchedule(segs)
	require.NoError(t, err)
	st, err := NewStream(s, procs, newRand(seed))
	require.NoError(t, err)
	var out []float64
	for {
		tm, _, ok := st.Next()
		if !ok {
			return out
		}
		out = append(out, tm)
	}
}

// countIn counts arrivals in [a, b) of sorted times.
func countIn(ts []float64, a, b float64) int {
	return sort.SearchFloat64s(ts, b) - sort.SearchFloat64s(ts, a)
}

func TestStreamFollowsTheRate(t *testing.T) {
	segs := []Segment{
		{Start: 0, End: 600, Shape: Constant, From: 50},
		{Start: 600, End: 1200, Shape: Linear, From: 10, To: 100},
		{Start: 1200, End: 1800, Shape: Exponential, From: 5, To: 80},
		{Start: 1800, End: 3600, Shape: Sine, Base: 40, Amplitude: 30, Period: 1800, PeakAt: 2250},
	}
	sched, err := NewSchedule(segs)
	require.NoError(t, err)
	for name, p := range map[string]Process{
		"poisson":       {Kind: Poisson},
		"gamma cv 2":    {Kind: Gamma, CV: 2},
		"gamma cv 0.5":  {Kind: Gamma, CV: 0.5},
		"deterministic": {Kind: Deterministic},
	} {
		t.Run(name, func(t *testing.T) {
			ts := collect(t, segs, []Process{p}, 42)
			require.True(t, sortedAscending(ts))
			// Every 60 s window holds the expected count within 5 standard deviations of a
			// count with the process's dispersion (CV² per unit of operational time).
			cv2 := 1.0
			if p.Kind == Gamma {
				cv2 = p.CV * p.CV
			}
			for a := 0.0; a < 3600; a += 60 {
				want := sched.Cum(a+60) - sched.Cum(a)
				got := float64(countIn(ts, a, a+60))
				tol := 5*math.Sqrt(want*cv2) + 2
				assert.InDelta(t, want, got, tol, "window [%g, %g)", a, a+60)
			}
			assert.InDelta(t, sched.Total(), float64(len(ts)), 5*math.Sqrt(sched.Total()*cv2)+2)
		})
	}
}

func sortedAscending(ts []float64) bool {
	for i := 1; i < len(ts); i++ {
		if ts[i] < ts[i-1] {
			return false
		}
	}
	return true
}

// gapCV measures the coefficient of variation of inter-arrival gaps.
func gapCV(ts []float64) float64 {
	var sum, sum2 float64
	n := float64(len(ts) - 1)
	for i := 1; i < len(ts); i++ {
		g := ts[i] - ts[i-1]
		sum += g
		sum2 += g * g
	}
	mean := sum / n
	return math.Sqrt(max(sum2/n-mean*mean, 0)) / mean
}

func TestStreamGapDispersion(t *testing.T) {
	seg := []Segment{{Start: 0, End: 20000, Shape: Constant, From: 10}}
	cases := []struct {
		name string
		p    Process
		cv   float64
	}{
		{"poisson", Process{Kind: Poisson}, 1},
		{"gamma 0.3", Process{Kind: Gamma, CV: 0.3}, 0.3},
		{"gamma 1", Process{Kind: Gamma, CV: 1}, 1},
		{"gamma 3", Process{Kind: Gamma, CV: 3}, 3},
		{"deterministic", Process{Kind: Deterministic}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := collect(t, seg, []Process{c.p}, 1)
			assert.InDelta(t, c.cv, gapCV(ts), 0.05*max(c.cv, 0.2))
			assert.InDelta(t, 0.1, (ts[len(ts)-1]-ts[0])/float64(len(ts)-1), 0.005, "mean gap is 1/rate")
		})
	}
}

func TestStreamDeterministicAndSeeded(t *testing.T) {
	segs := []Segment{{Start: 0, End: 300, Shape: Linear, From: 1, To: 40}}
	procs := []Process{{Kind: Gamma, CV: 1.5}}
	a := collect(t, segs, procs, 9)
	b := collect(t, segs, procs, 9)
	c := collect(t, segs, procs, 10)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
}

func TestStreamUsesEachSegmentsProcess(t *testing.T) {
	segs := []Segment{
		{Start: 0, End: 1000, Shape: Constant, From: 10, Process: 0},
		{Start: 1000, End: 2000, Shape: Constant, From: 10, Process: 1},
	}
	ts := collect(t, segs, []Process{{Kind: Deterministic}, {Kind: Gamma, CV: 2}}, 3)
	var first, second []float64
	for _, x := range ts {
		if x < 1000 {
			first = append(first, x)
		} else {
			second = append(second, x)
		}
	}
	assert.Less(t, gapCV(first), 0.01)
	assert.InDelta(t, 2, gapCV(second), 0.2)
}

func TestNewStreamRejectsBadProcesses(t *testing.T) {
	s, err := NewSchedule([]Segment{{Start: 0, End: 1, From: 1, Process: 1}})
	require.NoError(t, err)
	_, err = NewStream(s, []Process{{Kind: Poisson}}, newRand(1))
	require.ErrorContains(t, err, "process 1")
	_, err = NewStream(s, []Process{{Kind: Poisson}, {Kind: Gamma}}, newRand(1))
	require.ErrorContains(t, err, "cv")
}

func TestStreamZeroRateEverywhere(t *testing.T) {
	ts := collect(t, []Segment{{Start: 0, End: 100, Shape: Constant, From: 0}}, []Process{{Kind: Poisson}}, 1)
	assert.Empty(t, ts)
}

func BenchmarkStream(b *testing.B) {
	for name, seg := range map[string]Segment{
		"constant": {Start: 0, End: 1e9, Shape: Constant, From: 50},
		"linear":   {Start: 0, End: 1e9, Shape: Linear, From: 1, To: 100},
		"sine":     {Start: 0, End: 1e9, Shape: Sine, Base: 25, Amplitude: 24, Period: 86400},
	} {
		for pname, p := range map[string]Process{"poisson": {Kind: Poisson}, "gamma": {Kind: Gamma, CV: 2}} {
			b.Run(name+"/"+pname, func(b *testing.B) {
				s, err := NewSchedule([]Segment{seg})
				require.NoError(b, err)
				st, err := NewStream(s, []Process{p}, newRand(1))
				require.NoError(b, err)
				b.ResetTimer()
				for range b.N {
					if _, _, ok := st.Next(); !ok {
						b.Fatal("stream ended")
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "arrivals/s")
			})
		}
	}
}
