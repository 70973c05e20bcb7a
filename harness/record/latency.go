package record

import (
	"cmp"
	"slices"
	"time"
)

// Metric names a per-request latency.
type Metric string

// Latency metrics.
const (
	TTFT Metric = "ttft"
	ITL  Metric = "itl"
	E2E  Metric = "e2e"
)

// weighted is a latency value with the number of observations it stands for.
type weighted struct {
	v time.Duration
	w int64
}

// Latencies holds sorted latency distributions of a set of completed
// requests. ITL is weighted by the number of inter-token gaps of each
// request, so its quantiles approximate vLLM's per-token histogram.
type Latencies struct {
	ttft, e2e []time.Duration
	itl       []weighted
	itlTotal  int64
}

// Collect gathers the latencies of the requests accepted by keep (all when
// keep is nil) that produced a first token (TTFT) or finished (E2E, ITL).
func Collect(reqs []Request, keep func(*Request) bool) *Latencies {
	l := &Latencies{}
	for i := range reqs {
		r := &reqs[i]
		if keep != nil && !keep(r) {
			continue
		}
		if r.FirstToken != 0 {
			l.ttft = append(l.ttft, r.TTFT())
		}
		if r.Status == StatusOK && r.Finish != 0 {
			l.e2e = append(l.e2e, r.E2E())
			if gaps := int64(r.OutputTokens) - 1; gaps > 0 {
				l.itl = append(l.itl, weighted{r.MeanITL, gaps})
				l.itlTotal += gaps
			}
		}
	}
	slices.Sort(l.ttft)
	slices.Sort(l.e2e)
	slices.SortFunc(l.itl, func(a, b weighted) int { return cmp.Compare(a.v, b.v) })
	return l
}

// Count returns the number of observations of m.
func (l *Latencies) Count(m Metric) int64 {
	switch m {
	case TTFT:
		return int64(len(l.ttft))
	case E2E:
		return int64(len(l.e2e))
	case ITL:
		return l.itlTotal
	}
	return 0
}

// Quantile returns the q-quantile (0..1, nearest rank) of m; ok is false
// when there is no observation.
func (l *Latencies) Quantile(m Metric, q float64) (time.Duration, bool) {
	switch m {
	case TTFT:
		return quantile(l.ttft, q)
	case E2E:
		return quantile(l.e2e, q)
	case ITL:
		if l.itlTotal == 0 {
			return 0, false
		}
		rank := nearestRank(l.itlTotal, q)
		var seen int64
		for _, w := range l.itl {
			seen += w.w
			if seen >= rank {
				return w.v, true
			}
		}
		return l.itl[len(l.itl)-1].v, true
	}
	return 0, false
}

func quantile(sorted []time.Duration, q float64) (time.Duration, bool) {
	if len(sorted) == 0 {
		return 0, false
	}
	return sorted[nearestRank(int64(len(sorted)), q)-1], true
}

// nearestRank returns the 1-based nearest rank of quantile q among n values.
func nearestRank(n int64, q float64) int64 {
	if q <= 0 {
		return 1
	}
	if q >= 1 {
		return n
	}
	r := int64(q*float64(n) + 0.999999999)
	if r < 1 {
		r = 1
	}
	if r > n {
		r = n
	}
	return r
}

// MeetsSLO reports whether a completed request met the TTFT and ITL targets
// (a zero target is not checked). Failed and lost requests never meet it.
func (s SLO) MeetsSLO(r *Request) bool {
	if r.Status != StatusOK {
		return false
	}
	if s.TTFT > 0 && r.TTFT() > s.TTFT {
		return false
	}
	if s.ITL > 0 && r.OutputTokens > 1 && r.MeanITL > s.ITL {
		return false
	}
	return true
}
