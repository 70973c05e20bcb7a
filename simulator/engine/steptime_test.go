package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunClosedFormMatchesSum(t *testing.T) {
	cm := &costModel{overlap: 0.4, overhead: 1e-3}
	cases := []run{
		{c0: 1e-3, c1: 1e-6, m0: 5e-3, m1: 2e-6},     // memory-bound throughout
		{c0: 6e-3, c1: 2e-6, m0: 5e-3, m1: 1e-6},     // compute-bound throughout
		{c0: 1e-3, c1: 5e-6, m0: 5e-3, m1: 1e-6},     // crosses to compute-bound
		{c0: 6e-3, c1: 1e-7, m0: 5e-3, m1: 2e-6},     // crosses to memory-bound
		{c0: 5e-3, c1: 1e-6, m0: 5e-3, m1: 1e-6},     // equal
		{c0: 2e-3, c1: 0, m0: 5e-3, m1: 0},           // constant
		{c0: 1e-3, c1: 5e-6, m0: 1.003e-3, m1: 1e-6}, // crosses right away
	}
	for i, r := range cases {
		r.setup(cm, 0)
		sum := 0.0
		for j := int64(0); j < 5000; j++ {
			c := r.c0 + r.c1*float64(j)
			m := r.m0 + r.m1*float64(j)
			want := cm.stepTime(c, m)
			require.InDelta(t, want, r.duration(j), 1e-12, "case %d step %d", i, j)
			require.InDelta(t, sum, r.elapsed(j), 1e-9, "case %d elapsed(%d)", i, j)
			sum += want
		}
		// stepsBy inverts elapsed.
		for _, k := range []int64{0, 1, 17, 999, 4999} {
			got := r.stepsBy(r.elapsed(k)+1e-12, 0, 5000)
			assert.Equal(t, k, got, "case %d", i)
			assert.Equal(t, k, stepsUntil(&r, r.elapsed(k)-1e-12, 0, 5000), "case %d", i)
		}
	}
}

func TestSuffixMax(t *testing.T) {
	var s suffixMax
	durations := []float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}
	for i, d := range durations {
		s.record(int64(i), d)
	}
	for x := range durations {
		want := 0.0
		for _, d := range durations[x:] {
			want = max(want, d)
		}
		assert.Equal(t, want, s.since(int64(x)), "since %d", x)
	}
	assert.Equal(t, 0.0, s.since(int64(len(durations))))
}

func TestDequeAndHeap(t *testing.T) {
	var d deque
	reqs := make([]*req, 40)
	for i := range reqs {
		reqs[i] = &req{seq: uint64(i)}
		if i%2 == 0 {
			d.pushBack(reqs[i])
		} else {
			d.pushFront(reqs[i])
		}
	}
	require.True(t, d.remove(reqs[10]))
	require.False(t, d.remove(reqs[10]))
	require.Equal(t, 39, d.len())
	assert.Same(t, reqs[39], d.front())

	var h finishHeap
	for i, r := range reqs {
		r.finishStep = int64((i * 7) % 13)
		h.push(r)
	}
	h.removeAt(reqs[5].heapIdx)
	prev := &req{finishStep: -1}
	for len(h) > 0 {
		r := h.removeAt(0)
		require.True(t, r.finishStep > prev.finishStep || (r.finishStep == prev.finishStep && r.seq > prev.seq))
		require.NotSame(t, reqs[5], r)
		prev = r
	}
}
