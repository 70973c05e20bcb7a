package collector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/prometheus/common/model"
)

// The history: each pod's figures at past instants, read once when a controller first
// sees a model (a start, a restart, a new VariantAutoscaling), so that what the planner
// learns from its pods' recent past (the ITL line, the concurrency at which a replica
// saturates) is known from the first cycle instead of being re-learned over minutes of
// traffic. The queries are the cycle's own (QueryITL, QueryMeanRunning, QueryRunning,
// QueryWaiting, QueryKV), evaluated at the past instants, so that what the history holds
// is exactly what the cycles would have seen: one instant per cycle interval. The instants
// are a grid, which Prometheus' range API evaluates in one request per query (a
// RangeQuerier); a Querier without it is asked instant by instant.

// MaxHistoryPoints is the most past instants a history reads, QueriesPerHistoryPoint
// queries each.
const (
	MaxHistoryPoints       = 60
	QueriesPerHistoryPoint = len(historyQueries)
)

// historyQueries are the cycle's queries a history evaluates at each instant.
var historyQueries = [...]string{QueryITL, QueryMeanRunning, QueryRunning, QueryWaiting, QueryKV}

// HistoryPoint is one pod's figures at a past instant, as a cycle then would have read
// them; NaN where the pod reported none.
type HistoryPoint struct {
	At time.Time
	// MeanRunning and ITL (seconds) are the pod's means over the rate window ending At
	// (QueryMeanRunning, QueryITL): the latency model's samples.
	MeanRunning float64
	ITL         float64
	// Running is its running requests at At, Waiting and KVUsage the peaks of its waiting
	// requests and KV cache usage over the KV window ending At (QueryRunning, QueryWaiting,
	// QueryKV): what the planner learns the saturation concurrency from.
	Running float64
	Waiting float64
	KVUsage float64
}

// HasLatency tells whether the point holds a latency sample (a mean ITL and running).
func (p HistoryPoint) HasLatency() bool { return finite(p.ITL) && finite(p.MeanRunning) }

// HasLoad tells whether the point holds the pod's running, waiting and KV usage.
func (p HistoryPoint) HasLoad() bool {
	return finite(p.Running) && finite(p.Waiting) && finite(p.KVUsage)
}

// History is the history of some models: by model, by pod, oldest first. A model asked
// for has an entry, possibly empty; a model missing from Models was not read (its queries
// failed).
type History struct {
	Models map[ModelKey]map[string][]HistoryPoint
	// Queries is the number of PromQL queries issued.
	Queries int
}

// HistoryInstants returns the past instants a history over lookback reads before now,
// oldest first: one per interval (the cycles' own), farther apart when more than
// MaxHistoryPoints would fit, the newest one step before now.
func HistoryInstants(now time.Time, lookback, interval time.Duration) []time.Time {
	if lookback <= 0 || interval <= 0 {
		return nil
	}
	step := historyStep(lookback, interval)
	n := int(lookback / step)
	out := make([]time.Time, 0, n)
	for k := n; k >= 1; k-- {
		out = append(out, now.Add(-time.Duration(k)*step))
	}
	return out
}

// historyStep is the time between two of HistoryInstants' instants.
func historyStep(lookback, interval time.Duration) time.Duration {
	return max(interval, lookback/MaxHistoryPoints)
}

// CollectHistory reads the history of the targets over lookback before now, at the
// instants of a controller cycling every interval (see HistoryInstants). With a
// RangeQuerier it issues one range query per expression, and a failed one leaves the
// history unknown (the models are absent; the error names the query). Otherwise it
// queries instant by instant: a failed query drops its instant for every target and is
// returned, joined, the instants read still counting. Only a cancelled context stops it
// early (the history is then empty).
func CollectHistory(ctx context.Context, q Querier, now time.Time, targets []Target, lookback, interval time.Duration, opts Options) (History, error) {
	h := History{Models: map[ModelKey]map[string][]HistoryPoint{}}
	if err := opts.Validate(); err != nil {
		return h, fmt.Errorf("collector options: %w", err)
	}
	opts = opts.WithDefaults()
	byName := map[string]Query{}
	for _, qu := range Queries(targets, opts) {
		byName[qu.Name] = qu
	}
	if len(byName) == 0 {
		return h, nil
	}
	queries := make([]Query, len(historyQueries))
	for i, name := range historyQueries {
		queries[i] = byName[name]
	}
	for _, t := range targets {
		h.Models[ModelKey(t)] = map[string][]HistoryPoint{}
	}
	instants := HistoryInstants(now, lookback, interval)
	if rq, ok := q.(RangeQuerier); ok && len(instants) > 0 {
		return collectRange(ctx, rq, h, queries, instants, historyStep(lookback, interval))
	}
	var errs []error
	read := 0
	// points holds this instant's point of each pod (by its series number), stamped with
	// the instant's number when seen in it.
	var series podSeries
	var points []HistoryPoint
	var stamp []int
	var out [][]HistoryPoint
	for n, at := range instants {
		if err := ctx.Err(); err != nil {
			return unknownHistory(h.Queries), fmt.Errorf("reading the history: %w", err)
		}
		seen := 0
		failed := false
		for _, qu := range queries {
			h.Queries++
			vec, err := q.Query(ctx, qu.Expr, at)
			if err != nil {
				errs = append(errs, fmt.Errorf("query %s at %s (%s): %w", qu.Name, at.UTC().Format(time.RFC3339), qu.Expr, err))
				failed = true
				break
			}
			for _, smp := range vec {
				v := float64(smp.Value)
				if !finite(v) || v < 0 {
					continue
				}
				j, isNew, ok := series.of(h, smp.Metric)
				if !ok {
					continue
				}
				if isNew {
					points = append(points, HistoryPoint{})
					stamp = append(stamp, -1)
					out = append(out, nil)
				}
				pt := &points[j]
				if stamp[j] != n {
					stamp[j] = n
					*pt = emptyPoint(at)
					seen++
				}
				pt.set(qu.Name, v)
			}
		}
		if failed {
			continue // its points are stamped n, which no later instant reads
		}
		read++
		for j := 0; seen > 0 && j < len(points); j++ {
			if p := points[j]; stamp[j] == n {
				seen--
				if p.HasLatency() || p.HasLoad() {
					if out[j] == nil {
						// A pod seen once is usually seen at every instant after it.
						out[j] = make([]HistoryPoint, 0, len(instants)-n)
					}
					out[j] = append(out[j], p)
				}
			}
		}
	}
	for j, k := range series.keys {
		if out[j] != nil {
			h.Models[k.key][k.pod] = out[j]
		}
	}
	if read == 0 && len(errs) > 0 {
		// Not one instant was read: the history is unknown, not empty.
		return unknownHistory(h.Queries), errors.Join(errs...)
	}
	return h, errors.Join(errs...)
}

// podAt is a pod of a model.
type podAt struct {
	key ModelKey
	pod string
}

func podOf(m model.Metric) podAt {
	return podAt{ModelKey{string(m["namespace"]), string(m["model_name"])}, string(m["pod"])}
}

// podSeries numbers the pods a history reads, in the order it first sees them: the same
// pods come back at every instant and in every query.
type podSeries struct {
	index map[podAt]int
	keys  []podAt
}

// of returns the number of the pod a series names and whether it is seen for the first
// time; ok is false for a series without a pod or of a model the history was not asked for.
func (s *podSeries) of(h History, m model.Metric) (j int, isNew, ok bool) {
	k := podOf(m)
	if j, seen := s.index[k]; seen {
		return j, false, true
	}
	if _, asked := h.Models[k.key]; !asked || k.pod == "" {
		return 0, false, false
	}
	if s.index == nil {
		s.index = map[podAt]int{}
	}
	j = len(s.keys)
	s.index[k] = j
	s.keys = append(s.keys, k)
	return j, true, true
}

// unknownHistory is the answer when the history could not be read: no model, not empty ones.
func unknownHistory(queries int) History {
	return History{Models: map[ModelKey]map[string][]HistoryPoint{}, Queries: queries}
}

// emptyPoint is a point at at with no figure yet.
func emptyPoint(at time.Time) HistoryPoint {
	nan := math.NaN()
	return HistoryPoint{At: at, MeanRunning: nan, ITL: nan, Running: nan, Waiting: nan, KVUsage: nan}
}

// set records the value a history query (by name) gave the point.
func (p *HistoryPoint) set(query string, v float64) {
	switch query {
	case QueryITL:
		p.ITL = v
	case QueryMeanRunning:
		p.MeanRunning = v
	case QueryRunning:
		p.Running = v
	case QueryWaiting:
		p.Waiting = v
	case QueryKV:
		p.KVUsage = v
	}
}

// collectRange reads the history with one range query per expression over the instants,
// a grid step apart. A series' sample off the grid (a Querier that does not evaluate at
// start + k x step) is ignored.
func collectRange(ctx context.Context, q RangeQuerier, h History, queries []Query, instants []time.Time, step time.Duration) (History, error) {
	first, last := instants[0], instants[len(instants)-1]
	grid := historyGrid{first: first.UnixNano(), step: int64(step), n: int64(len(instants))}
	var series podSeries
	var points [][]HistoryPoint // by series, one point per instant
	for _, qu := range queries {
		if err := ctx.Err(); err != nil {
			return unknownHistory(h.Queries), fmt.Errorf("reading the history: %w", err)
		}
		h.Queries++
		m, err := q.QueryRange(ctx, qu.Expr, first, last, step)
		if err != nil {
			return unknownHistory(h.Queries), fmt.Errorf("query %s from %s to %s every %s (%s): %w", qu.Name, first.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339), step, qu.Expr, err)
		}
		for _, ss := range m {
			j, isNew, ok := series.of(h, ss.Metric)
			if !ok {
				continue
			}
			if isNew {
				pts := make([]HistoryPoint, len(instants))
				for i, at := range instants {
					pts[i] = emptyPoint(at)
				}
				points = append(points, pts)
			}
			for _, smp := range ss.Values {
				v := float64(smp.Value)
				if !finite(v) || v < 0 {
					continue
				}
				if i, ok := grid.index(smp.Timestamp); ok {
					points[j][i].set(qu.Name, v)
				}
			}
		}
	}
	for j, k := range series.keys {
		keep := points[j][:0]
		for _, p := range points[j] {
			if p.HasLatency() || p.HasLoad() {
				keep = append(keep, p)
			}
		}
		if len(keep) > 0 {
			h.Models[k.key][k.pod] = keep
		}
	}
	return h, nil
}

// historyGrid maps a sample's timestamp to its instant: first + i x step (nanoseconds), n
// instants, within the millisecond Prometheus' timestamps are rounded to.
type historyGrid struct{ first, step, n int64 }

func (g historyGrid) index(ts model.Time) (int, bool) {
	const ms = int64(time.Millisecond)
	if int64(ts) > math.MaxInt64/ms || int64(ts) < math.MinInt64/ms {
		return 0, false // no instant is that far from 1970
	}
	d := int64(ts)*ms - g.first
	if d < -ms || g.step <= 0 {
		return 0, false
	}
	i := (d + g.step/2) / g.step
	off := d - i*g.step
	if i >= g.n || off > ms || off < -ms {
		return 0, false
	}
	return int(i), true
}
