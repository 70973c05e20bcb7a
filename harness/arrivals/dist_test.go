package arrivals

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func moments(t *testing.T, spec DistSpec, n int) (mean, sd, lo, hi float64) {
	t.Helper()
	d, err := NewDist(spec)
	require.NoError(t, err)
	r := newRand(5)
	lo, hi = math.Inf(1), math.Inf(-1)
	var sum, sum2 float64
	for range n {
		x := d.Sample(r)
		sum += x
		sum2 += x * x
		lo, hi = min(lo, x), max(hi, x)
	}
	mean = sum / float64(n)
	return mean, math.Sqrt(sum2/float64(n) - mean*mean), lo, hi
}

func TestDistMoments(t *testing.T) {
	cases := []struct {
		name     string
		spec     DistSpec
		mean, sd float64
		lo, hi   float64
	}{
		{"fixed", DistSpec{Kind: Fixed, Value: 256}, 256, 0, 256, 256},
		{"uniform", DistSpec{Kind: Uniform, Min: 100, Max: 300}, 200, 200 / math.Sqrt(12), 100, 300},
		{"normal", DistSpec{Kind: Normal, Mean: 500, StdDev: 50}, 500, 50, 0, math.Inf(1)},
		{"lognormal", DistSpec{Kind: LogNormal, Mean: 512, StdDev: 256}, 512, 256, 0, math.Inf(1)},
		{"lognormal heavy", DistSpec{Kind: LogNormal, Mean: 1000, StdDev: 2000}, 1000, 2000, 0, math.Inf(1)},
		{"clamped normal", DistSpec{Kind: Normal, Mean: 10, StdDev: 100, Min: 1, Max: 20}, math.NaN(), math.NaN(), 1, 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mean, sd, lo, hi := moments(t, c.spec, 400000)
			if !math.IsNaN(c.mean) {
				assert.InDelta(t, c.mean, mean, 0.02*c.mean)
				assert.InDelta(t, c.sd, sd, 0.06*c.sd+1e-9)
			}
			assert.GreaterOrEqual(t, lo, c.lo)
			assert.LessOrEqual(t, hi, c.hi)
		})
	}
}

func TestEmpiricalFrequencies(t *testing.T) {
	spec := DistSpec{Kind: Empirical, Values: []float64{10, 20, 30, 40}, Weights: []float64{1, 2, 3, 4}}
	d, err := NewDist(spec)
	require.NoError(t, err)
	assert.InDelta(t, 30, d.Mean(), 1e-9)
	r := newRand(3)
	counts := map[float64]int{}
	const n = 200000
	for range n {
		counts[d.Sample(r)]++
	}
	require.Len(t, counts, 4)
	for i, v := range spec.Values {
		want := spec.Weights[i] / 10
		assert.InDelta(t, want, float64(counts[v])/n, 0.01, "value %g", v)
	}
}

func TestNewDistRejects(t *testing.T) {
	for name, spec := range map[string]DistSpec{
		"negative":            {Kind: Fixed, Value: -1},
		"NaN":                 {Kind: Normal, Mean: math.NaN()},
		"min above max":       {Kind: Uniform, Min: 5, Max: 2},
		"uniform without max": {Kind: Uniform},
		"lognormal mean 0":    {Kind: LogNormal},
		"empirical empty":     {Kind: Empirical},
		"empirical weights":   {Kind: Empirical, Values: []float64{1, 2}, Weights: []float64{1}},
		"empirical zero":      {Kind: Empirical, Values: []float64{1}, Weights: []float64{0}},
		"unknown kind":        {Kind: 42},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewDist(spec)
			require.Error(t, err)
		})
	}
}

func TestSampleIntClamps(t *testing.T) {
	d, err := NewDist(DistSpec{Kind: Normal, Mean: 100, StdDev: 1000})
	require.NoError(t, err)
	r := newRand(1)
	lo, hi := math.MaxInt, math.MinInt
	for range 10000 {
		x := d.SampleInt(r, 1, 150)
		lo, hi = min(lo, x), max(hi, x)
	}
	assert.Equal(t, 1, lo, "clamped at the low end")
	assert.Equal(t, 150, hi, "clamped at the high end")
}

func TestGammaVariateMoments(t *testing.T) {
	for _, shape := range []float64{0.1, 0.5, 1, 2.5, 10} {
		r := newRand(11)
		var sum, sum2 float64
		negative := 0
		const n = 300000
		for range n {
			x := GammaVariate(r, shape)
			if x < 0 {
				negative++
			}
			sum += x
			sum2 += x * x
		}
		require.Zero(t, negative, "shape %g: negative draws", shape)
		mean := sum / n
		assert.InDelta(t, shape, mean, 0.03*shape, "shape %g mean", shape)
		assert.InDelta(t, shape, sum2/n-mean*mean, 0.08*shape, "shape %g variance", shape)
	}
}

func BenchmarkDist(b *testing.B) {
	for name, spec := range map[string]DistSpec{
		"lognormal": {Kind: LogNormal, Mean: 512, StdDev: 256, Max: 8192},
		"empirical": {Kind: Empirical, Values: []float64{1, 2, 3, 4, 5, 6, 7, 8}, Weights: []float64{8, 7, 6, 5, 4, 3, 2, 1}},
	} {
		b.Run(name, func(b *testing.B) {
			d, err := NewDist(spec)
			require.NoError(b, err)
			r := newRand(1)
			sum := 0
			for range b.N {
				sum += d.SampleInt(r, 1, 1<<20)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
			_ = sum
		})
	}
}
