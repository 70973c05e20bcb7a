package arrivals

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// integrate is a reference for Cum: the trapezoid rule over RateAt.
func integrate(seg Segment, x float64) float64 {
	const n = 20000
	h := x / n
	sum := 0.0
	for i := range n {
		a := seg.Start + float64(i)*h
		sum += (seg.RateAt(a) + seg.RateAt(a+h)) / 2 * h
	}
	return sum
}

func shapes() map[string]Segment {
	return map[string]Segment{
		"constant":         {Start: 10, End: 70, Shape: Constant, From: 4},
		"linear up":        {Start: 0, End: 300, Shape: Linear, From: 2, To: 30},
		"linear down to 0": {Start: 5, End: 65, Shape: Linear, From: 20, To: 0},
		"linear flat":      {Start: 0, End: 60, Shape: Linear, From: 7, To: 7},
		"exponential up":   {Start: 0, End: 120, Shape: Exponential, From: 1, To: 64},
		"exponential down": {Start: 0, End: 120, Shape: Exponential, From: 50, To: 2},
		"sine full day":    {Start: 0, End: 86400, Shape: Sine, Base: 25, Amplitude: 24, Period: 86400, PeakAt: 50400},
		"sine zero trough": {Start: 100, End: 4000, Shape: Sine, Base: 10, Amplitude: 10, Period: 3600, PeakAt: 0},
		"scaled constant":  {Start: 0, End: 60, Shape: Constant, From: 3, Scale: 4},
		"scaled linear":    {Start: 0, End: 60, Shape: Linear, From: 3, To: 9, Scale: 0.5},
	}
}

func TestSegmentCumMatchesIntegral(t *testing.T) {
	for name, seg := range shapes() {
		t.Run(name, func(t *testing.T) {
			length := seg.End - seg.Start
			for _, f := range []float64{0.1, 0.37, 0.5, 0.9, 1} {
				x := f * length
				want := integrate(seg, x)
				assert.InDelta(t, want, seg.cum(x), 1e-4*max(1, want), "x=%g", x)
			}
		})
	}
}

func TestSegmentInverseRoundTrip(t *testing.T) {
	for name, seg := range shapes() {
		t.Run(name, func(t *testing.T) {
			length := seg.End - seg.Start
			total := seg.cum(length)
			for i := 0; i <= 100; i++ {
				u := total * float64(i) / 100
				x := seg.inverse(u, -1)
				require.GreaterOrEqual(t, x, 0.0)
				require.LessOrEqual(t, x, length)
				assert.InDelta(t, u, seg.cum(x), 1e-6*max(1, u), "u=%g x=%g", u, x)
			}
		})
	}
}

func TestNewScheduleRejectsBadSegments(t *testing.T) {
	cases := map[string][]Segment{
		"empty":               nil,
		"gap":                 {{Start: 0, End: 10, From: 1}, {Start: 11, End: 20, From: 1}},
		"not from zero":       {{Start: 1, End: 10, From: 1}},
		"empty segment":       {{Start: 0, End: 0, From: 1}},
		"negative rate":       {{Start: 0, End: 10, From: -1}},
		"exponential from 0":  {{Start: 0, End: 10, Shape: Exponential, From: 0, To: 5}},
		"sine below zero":     {{Start: 0, End: 10, Shape: Sine, Base: 1, Amplitude: 2, Period: 10}},
		"sine without period": {{Start: 0, End: 10, Shape: Sine, Base: 1}},
		"NaN":                 {{Start: 0, End: 10, From: math.NaN()}},
		"unknown shape":       {{Start: 0, End: 10, Shape: 9}},
	}
	for name, segs := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewSchedule(segs)
			require.Error(t, err)
		})
	}
}

func TestScheduleCumAndInverse(t *testing.T) {
	segs := []Segment{
		{Start: 0, End: 60, Shape: Constant, From: 2},
		{Start: 60, End: 120, Shape: Constant, From: 0}, // silence
		{Start: 120, End: 420, Shape: Linear, From: 2, To: 30},
		{Start: 420, End: 600, Shape: Sine, Base: 30, Amplitude: 10, Period: 600, PeakAt: 500},
	}
	s, err := NewSchedule(segs)
	require.NoError(t, err)
	assert.Equal(t, 600.0, s.End())
	assert.InDelta(t, 120, s.Cum(60), 1e-9)
	assert.InDelta(t, 120, s.Cum(120), 1e-9, "no arrivals expected in the silent segment")
	assert.InDelta(t, 120+4800, s.Cum(420), 1e-6)
	assert.InDelta(t, s.Total(), s.Cum(1e9), 1e-9)
	assert.Equal(t, 0.0, s.Rate(90))
	assert.InDelta(t, 16, s.Rate(270), 1e-9)

	// Inverse lands in the right segment, never in the silent one, and round-trips.
	hint := 0
	for u := 0.5; u < s.Total(); u += 37.3 {
		tm, seg, ok := s.Inverse(u, hint)
		require.True(t, ok)
		require.NotEqual(t, 1, seg, "u=%g fell in the silent segment", u)
		assert.InDelta(t, u, s.Cum(tm), 1e-6*u)
		hint = seg
	}
	// Non-monotone calls still work.
	tm, _, ok := s.Inverse(10, 3)
	require.True(t, ok)
	assert.InDelta(t, 5, tm, 1e-9)
	_, _, ok = s.Inverse(s.Total()+1, 0)
	assert.False(t, ok)
}

func TestApplySpikes(t *testing.T) {
	segs := []Segment{
		{Start: 0, End: 100, Shape: Linear, From: 0, To: 10},
		{Start: 100, End: 200, Shape: Constant, From: 10},
	}
	out := ApplySpikes(segs, []Spike{
		{Start: 50, End: 150, Multiplier: 3},
		{Start: 160, End: 170, Replace: true, Rate: 1},
	})
	s, err := NewSchedule(out)
	require.NoError(t, err)
	// Rates at a few points.
	assert.InDelta(t, 2, s.Rate(20), 1e-9)
	assert.InDelta(t, 3*6, s.Rate(60), 1e-9)
	assert.InDelta(t, 30, s.Rate(120), 1e-9)
	assert.InDelta(t, 10, s.Rate(155), 1e-9)
	assert.InDelta(t, 1, s.Rate(165), 1e-9)
	assert.InDelta(t, 10, s.Rate(175), 1e-9)
	// Totals: base 500 + 1000, spike adds 2x(ramp 50..100: 375) + 2x(500) and replaces 100 by 10.
	assert.InDelta(t, 500+1000+2*375+2*500-90, s.Total(), 1e-6)
	// No spikes: unchanged.
	assert.Equal(t, segs, ApplySpikes(segs, nil))
}
