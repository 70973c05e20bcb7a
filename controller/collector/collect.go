package collector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
)

// Collect runs the cycle's queries (see Queries) at now and assembles a Snapshot with an
// entry for every target. Query failures are recorded in Snapshot.Failed and also
// returned joined as the error; the snapshot is usable either way (consumers hold the
// affected models). Only a cancelled context stops Collect early.
func Collect(ctx context.Context, q Querier, now time.Time, targets []Target, opts Options) (Snapshot, error) {
	opts = opts.WithDefaults()
	snap := Snapshot{
		Time:           now,
		Models:         make(map[ModelKey]*ModelMetrics, len(targets)),
		Failed:         map[string]error{},
		StaleAfter:     opts.StaleAfter,
		ActivityWindow: opts.ActivityWindow,
		RateWindow:     opts.RateWindow,
		KVWindow:       opts.KVWindow,
	}
	for _, t := range targets {
		k := ModelKey(t)
		if _, ok := snap.Models[k]; !ok {
			snap.Models[k] = newModelMetrics()
		}
	}
	if err := opts.Validate(); err != nil {
		return snap, fmt.Errorf("collector options: %w", err)
	}
	var errs []error
	results := map[string]model.Vector{}
	for _, qu := range Queries(targets, opts) {
		if err := ctx.Err(); err != nil {
			return snap, fmt.Errorf("collecting metrics: %w", err)
		}
		snap.Queries++
		vec, err := q.Query(ctx, qu.Expr, now)
		if err != nil {
			err = fmt.Errorf("query %s (%s): %w", qu.Name, qu.Expr, err)
			snap.Failed[qu.Name] = err
			errs = append(errs, err)
			continue
		}
		results[qu.Name] = vec
	}
	snap.fill(results, opts)
	return snap, errors.Join(errs...)
}

func (s *Snapshot) fill(results map[string]model.Vector, opts Options) {
	podOf := func(m model.Metric) (*ModelMetrics, *PodMetrics) {
		mm := s.Models[ModelKey{string(m["namespace"]), string(m["model_name"])}]
		pod := string(m["pod"])
		if mm == nil || pod == "" {
			return nil, nil
		}
		p := mm.Pods[pod]
		if p == nil {
			p = newPodMetrics(pod)
			mm.Pods[pod] = p
		}
		return mm, p
	}
	// KV usage defines which pods exist; other per-pod series only fill known pods'
	// fields or create the pod so that missing KV is visible.
	for _, smp := range results[QueryKV] {
		if _, p := podOf(smp.Metric); p != nil {
			p.KVUsage = float64(smp.Value)
		}
	}
	for _, smp := range results[QueryKVTimestamp] {
		if _, p := podOf(smp.Metric); p != nil {
			v := float64(smp.Value)
			if finite(v) {
				sec, frac := math.Modf(v)
				p.LastSample = time.Unix(int64(sec), int64(frac*1e9)).UTC()
			}
		}
	}
	for _, smp := range results[QueryWaiting] {
		if _, p := podOf(smp.Metric); p != nil {
			p.Waiting = float64(smp.Value)
		}
	}
	for _, smp := range results[QueryRunning] {
		if _, p := podOf(smp.Metric); p != nil {
			p.Running = float64(smp.Value)
		}
	}
	// The latency-model series only fill pods known from the other queries.
	for _, q := range []struct {
		name string
		set  func(*PodMetrics, float64)
	}{
		{QueryITL, func(p *PodMetrics, v float64) { p.MeanITL = v }},
		{QueryMeanRunning, func(p *PodMetrics, v float64) { p.MeanRunning = v }},
		{QueryGenerated, func(p *PodMetrics, v float64) { p.Generated = v }},
		{QueryPrefillTime, func(p *PodMetrics, v float64) { p.MeanPrefill = v }},
	} {
		for _, smp := range results[q.name] {
			mm := s.Models[ModelKey{string(smp.Metric["namespace"]), string(smp.Metric["model_name"])}]
			if mm == nil {
				continue
			}
			if p := mm.Pods[string(smp.Metric["pod"])]; p != nil {
				if v := float64(smp.Value); finite(v) && v >= 0 {
					q.set(p, v)
				}
			}
		}
	}
	// cache_config_info carries no model_name: join on (namespace, pod).
	capacity := map[[2]string]float64{}
	for _, smp := range results[QueryCacheConfig] {
		blocks, err1 := strconv.ParseFloat(string(smp.Metric["num_gpu_blocks"]), 64)
		size, err2 := strconv.ParseFloat(string(smp.Metric["block_size"]), 64)
		if err1 != nil || err2 != nil || !finite(blocks) || !finite(size) || blocks <= 0 || size <= 0 {
			continue
		}
		capacity[[2]string{string(smp.Metric["namespace"]), string(smp.Metric["pod"])}] = blocks * size
	}
	for k, mm := range s.Models {
		for name, p := range mm.Pods {
			p.KVCapacityTokens = capacity[[2]string{k.Namespace, name}]
			p.Stale = p.LastSample.IsZero() || s.Time.Sub(p.LastSample) > s.StaleAfter
		}
	}
	perModel := func(name, modelLabel string, set func(*ModelMetrics, float64)) {
		for _, smp := range results[name] {
			mm := s.Models[ModelKey{string(smp.Metric["namespace"]), string(smp.Metric[model.LabelName(modelLabel)])}]
			if mm != nil {
				set(mm, float64(smp.Value))
			}
		}
	}
	perModel(QueryPromptTokens, "model_name", func(mm *ModelMetrics, v float64) {
		if finite(v) && v >= 0 {
			mm.MeanPromptTokens = v
		}
	})
	perModel(QueryOutputTokens, "model_name", func(mm *ModelMetrics, v float64) {
		if finite(v) && v >= 0 {
			mm.MeanOutputTokens = v
		}
	})
	perModel(QueryCompletionRate, "model_name", func(mm *ModelMetrics, v float64) {
		if finite(v) && v >= 0 {
			mm.CompletionRate = v
		}
	})
	perModel(QueryInFlightGrowth, "model_name", func(mm *ModelMetrics, v float64) {
		if finite(v) {
			mm.InFlightGrowth = v
		}
	})
	perModel(QueryInFlightChange, "model_name", func(mm *ModelMetrics, v float64) {
		if finite(v) {
			mm.InFlightChange = v
		}
	})
	perModel(QueryActivity, "model_name", func(mm *ModelMetrics, v float64) { mm.FinishedRequests = v })
	perModel(QueryScaleFromZero, opts.ScaleFromZeroModelLabel, func(mm *ModelMetrics, v float64) {
		if math.IsNaN(mm.ScaleFromZeroWaiting) {
			mm.ScaleFromZeroWaiting = 0
		}
		if finite(v) {
			mm.ScaleFromZeroWaiting += v
		}
	})
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
