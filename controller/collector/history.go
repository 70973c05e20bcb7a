package collector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// The latency history: each pod's mean ITL and mean running requests at past instants,
// read once when a controller first sees a model (a start, a restart, a new
// VariantAutoscaling), so that what the planner fits on its pods' recent past (the ITL
// line) is known from the first cycle instead of being re-learned over minutes of
// traffic. Both queries are the cycle's own (QueryITL, QueryMeanRunning), evaluated at
// the past instants: Prometheus' range API is not needed, and what the history holds is
// exactly what the cycles would have seen: one instant per cycle interval.

// MaxHistoryPoints is the most past instants a history reads (two queries each).
const MaxHistoryPoints = 60

// LatencyPoint is one pod's mean running requests and mean ITL (seconds) over the rate
// window ending At.
type LatencyPoint struct {
	At      time.Time
	Running float64
	ITL     float64
}

// History is the latency history of some models: by model, by pod, oldest first. A model
// asked for has an entry, possibly empty; a model missing from Models was not read (its
// queries failed).
type History struct {
	Models map[ModelKey]map[string][]LatencyPoint
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
	step := max(interval, lookback/MaxHistoryPoints)
	n := int(lookback / step)
	out := make([]time.Time, 0, n)
	for k := n; k >= 1; k-- {
		out = append(out, now.Add(-time.Duration(k)*step))
	}
	return out
}

// CollectHistory reads the latency history of the targets over lookback before now, at
// the instants of a controller cycling every interval (see HistoryInstants). A failed
// query drops its instant for every target and is returned, joined; the instants read
// still count. Only a cancelled context stops it early (the history is then empty).
func CollectHistory(ctx context.Context, q Querier, now time.Time, targets []Target, lookback, interval time.Duration, opts Options) (History, error) {
	h := History{Models: map[ModelKey]map[string][]LatencyPoint{}}
	if err := opts.Validate(); err != nil {
		return h, fmt.Errorf("collector options: %w", err)
	}
	opts = opts.WithDefaults()
	var itl, running Query
	for _, qu := range Queries(targets, opts) {
		switch qu.Name {
		case QueryITL:
			itl = qu
		case QueryMeanRunning:
			running = qu
		}
	}
	if itl.Expr == "" {
		return h, nil
	}
	for _, t := range targets {
		h.Models[ModelKey(t)] = map[string][]LatencyPoint{}
	}
	var errs []error
	read := 0
	type podAt struct {
		key ModelKey
		pod string
	}
	// One instant's points, and their index by pod; both reused from one instant to the
	// next (the same pods come back).
	index := map[podAt]int{}
	var points []LatencyPoint
	var keys []podAt
	for _, at := range HistoryInstants(now, lookback, interval) {
		if err := ctx.Err(); err != nil {
			return History{Models: map[ModelKey]map[string][]LatencyPoint{}, Queries: h.Queries}, fmt.Errorf("reading the latency history: %w", err)
		}
		clear(index)
		points, keys = points[:0], keys[:0]
		failed := false
		for _, qu := range []Query{itl, running} {
			h.Queries++
			vec, err := q.Query(ctx, qu.Expr, at)
			if err != nil {
				errs = append(errs, fmt.Errorf("query %s at %s (%s): %w", qu.Name, at.UTC().Format(time.RFC3339), qu.Expr, err))
				failed = true
				break
			}
			for _, smp := range vec {
				k := podAt{ModelKey{string(smp.Metric["namespace"]), string(smp.Metric["model_name"])}, string(smp.Metric["pod"])}
				if _, asked := h.Models[k.key]; !asked || k.pod == "" {
					continue
				}
				v := float64(smp.Value)
				if !finite(v) || v < 0 {
					continue
				}
				j, ok := index[k]
				if !ok {
					j = len(points)
					index[k] = j
					points = append(points, LatencyPoint{At: at, Running: math.NaN(), ITL: math.NaN()})
					keys = append(keys, k)
				}
				if qu.Name == QueryITL {
					points[j].ITL = v
				} else {
					points[j].Running = v
				}
			}
		}
		if failed {
			continue
		}
		read++
		for j, p := range points {
			if k := keys[j]; finite(p.ITL) && finite(p.Running) {
				h.Models[k.key][k.pod] = append(h.Models[k.key][k.pod], p)
			}
		}
	}
	if read == 0 && len(errs) > 0 {
		// Not one instant was read: the history is unknown, not empty.
		h.Models = map[ModelKey]map[string][]LatencyPoint{}
	}
	return h, errors.Join(errs...)
}
