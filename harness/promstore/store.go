package promstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

// ErrUnavailable is returned by Query while the store is down.
var ErrUnavailable = errors.New("prometheus unavailable: connection refused")

// Options configure a Store.
type Options struct {
	// Dir holds the head's memory-mapped chunks; a temporary directory is
	// created (and removed by Close) when empty.
	Dir string
	// LookbackDelta is PromQL's staleness window (default 5m, as Prometheus).
	LookbackDelta time.Duration
}

// Store is an embedded TSDB head plus a PromQL engine.
type Store struct {
	head    *tsdb.Head
	engine  *promql.Engine
	dir     string
	tempDir bool
	down    bool
	app     storage.Appender
	lastT   int64
	queries int
}

// New opens an empty store.
func New(opts Options) (*Store, error) {
	dir, temp := opts.Dir, false
	if dir == "" {
		d, err := os.MkdirTemp("", "saturn-promstore-")
		if err != nil {
			return nil, fmt.Errorf("creating the TSDB directory: %w", err)
		}
		dir, temp = d, true
	}
	ho := tsdb.DefaultHeadOptions()
	ho.ChunkDirRoot = dir
	ho.ChunkWriteQueueSize = 0
	ho.IsolationDisabled = true
	ho.StripeSize = 1024 // a few thousand series at most; the default 16384 costs start-up time
	ho.ChunkRange = int64(24 * time.Hour / time.Millisecond)
	head, err := tsdb.NewHead(nil, slog.New(slog.DiscardHandler), nil, nil, ho, nil)
	if err != nil {
		cleanup(dir, temp)
		return nil, fmt.Errorf("opening the TSDB head in %s: %w", dir, err)
	}
	if err := head.Init(math.MinInt64); err != nil {
		_ = head.Close()
		cleanup(dir, temp)
		return nil, fmt.Errorf("initialising the TSDB head: %w", err)
	}
	lookback := opts.LookbackDelta
	if lookback == 0 {
		lookback = 5 * time.Minute
	}
	eng := promql.NewEngine(promql.EngineOpts{
		Logger:        slog.New(slog.DiscardHandler),
		MaxSamples:    50_000_000,
		Timeout:       time.Minute,
		LookbackDelta: lookback,
	})
	return &Store{head: head, engine: eng, dir: dir, tempDir: temp}, nil
}

func cleanup(dir string, temp bool) {
	if temp {
		_ = os.RemoveAll(dir)
	}
}

// Close releases the head and removes a temporary directory.
func (s *Store) Close() error {
	err := s.head.Close()
	if s.tempDir {
		if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("closing the TSDB: %w", err)
	}
	return nil
}

// SetDown takes the store down (queries fail with ErrUnavailable) or
// brings it back. Scrapes while down are the caller's to drop.
func (s *Store) SetDown(down bool) { s.down = down }

// Down reports whether the store is down.
func (s *Store) Down() bool { return s.down }

// Queries returns the number of queries evaluated so far.
func (s *Store) Queries() int { return s.queries }

// Series is a handle on one time series; it caches the head's series
// reference so repeated appends do not hash labels.
type Series struct {
	lbls labels.Labels
	ref  storage.SeriesRef
}

// NewSeries returns a handle for the series with the given labels (which
// must include __name__).
func NewSeries(lbls labels.Labels) *Series { return &Series{lbls: lbls} }

// Labels returns the series' labels.
func (s *Series) Labels() labels.Labels { return s.lbls }

// Append adds one sample at t; samples are buffered until Commit. Samples
// of one series must come in time order.
func (s *Store) Append(sr *Series, t time.Time, v float64) error {
	if s.app == nil {
		s.app = s.head.Appender(context.Background())
	}
	ms := t.UnixMilli()
	ref, err := s.app.Append(sr.ref, sr.lbls, ms, v)
	if err != nil {
		return fmt.Errorf("appending %s at %d: %w", sr.lbls, ms, err)
	}
	sr.ref = ref
	s.lastT = max(s.lastT, ms)
	return nil
}

// Commit makes the appended samples visible to queries.
func (s *Store) Commit() error {
	if s.app == nil {
		return nil
	}
	app := s.app
	s.app = nil
	if err := app.Commit(); err != nil {
		return fmt.Errorf("committing scraped samples: %w", err)
	}
	return nil
}

// Query evaluates an instant PromQL query at ts and returns its vector (a
// scalar result becomes one sample without labels). It implements
// controller/collector.Querier.
func (s *Store) Query(ctx context.Context, q string, ts time.Time) (model.Vector, error) {
	if err := s.beforeQuery(q); err != nil {
		return nil, err
	}
	qry, err := s.engine.NewInstantQuery(ctx, s, nil, q, ts)
	if err != nil {
		return nil, fmt.Errorf("parsing query %q: %w", q, err)
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, fmt.Errorf("evaluating query %q: %w", q, res.Err)
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		out := make(model.Vector, 0, len(v))
		for _, smp := range v {
			out = append(out, &model.Sample{
				Metric:    toMetric(smp.Metric),
				Value:     model.SampleValue(smp.F),
				Timestamp: model.Time(smp.T),
			})
		}
		return out, nil
	case promql.Scalar:
		return model.Vector{{Metric: model.Metric{}, Value: model.SampleValue(v.V), Timestamp: model.Time(v.T)}}, nil
	default:
		return nil, fmt.Errorf("query %q returned a %s, want an instant vector", q, res.Value.Type())
	}
}

// QueryRange evaluates a PromQL query at every step from start to end and returns its
// series. It implements controller/collector.RangeQuerier.
func (s *Store) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) (model.Matrix, error) {
	if err := s.beforeQuery(q); err != nil {
		return nil, err
	}
	qry, err := s.engine.NewRangeQuery(ctx, s, nil, q, start, end, step)
	if err != nil {
		return nil, fmt.Errorf("parsing query %q: %w", q, err)
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, fmt.Errorf("evaluating query %q from %s to %s: %w", q, start, end, res.Err)
	}
	m, ok := res.Value.(promql.Matrix)
	if !ok {
		return nil, fmt.Errorf("query %q over a range returned a %s, want a range vector", q, res.Value.Type())
	}
	out := make(model.Matrix, 0, len(m))
	for _, ss := range m {
		vals := make([]model.SamplePair, len(ss.Floats))
		for i, p := range ss.Floats {
			vals[i] = model.SamplePair{Timestamp: model.Time(p.T), Value: model.SampleValue(p.F)}
		}
		out = append(out, &model.SampleStream{Metric: toMetric(ss.Metric), Values: vals})
	}
	return out, nil
}

// beforeQuery refuses a query while the store is down, makes the scraped samples visible
// and counts the query.
func (s *Store) beforeQuery(q string) error {
	if s.down {
		return fmt.Errorf("querying %q: %w", q, ErrUnavailable)
	}
	if err := s.Commit(); err != nil {
		return err
	}
	s.queries++
	return nil
}

func toMetric(l labels.Labels) model.Metric {
	m := make(model.Metric, l.Len())
	l.Range(func(lb labels.Label) { m[model.LabelName(lb.Name)] = model.LabelValue(lb.Value) })
	return m
}

// Querier implements storage.Queryable for the PromQL engine.
func (s *Store) Querier(mint, maxt int64) (storage.Querier, error) {
	return tsdb.NewBlockQuerier(tsdb.NewRangeHead(s.head, mint, maxt), mint, maxt)
}

// Truncate drops samples older than before and the series left without
// samples, as Prometheus' head compaction does; it keeps long runs fast.
// Samples appended later must not be older than before.
func (s *Store) Truncate(before time.Time) error {
	if err := s.Commit(); err != nil {
		return err
	}
	if err := s.head.Truncate(before.UnixMilli()); err != nil {
		return fmt.Errorf("truncating the TSDB head before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return nil
}
