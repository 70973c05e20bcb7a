package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"k8s.io/utils/clock"

	"github.com/saturn-autoscaler/saturn/harness/assert"
	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/cluster"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// Outcome is one scenario run on the cluster.
type Outcome struct {
	Record  *record.Record
	Summary record.Summary
}

// RunScenario deploys the scenario's variants, replays its traffic from a Job, samples
// the cluster meanwhile, and returns the record and the summary with the scenario's
// assertions evaluated. raw is the scenario file's content (shipped to the Job).
func (e *Env) RunScenario(ctx context.Context, sc *scenario.Scenario, raw []byte, clk clock.WithTicker) (*Outcome, error) {
	if err := Supports(sc); err != nil {
		return nil, err
	}
	bp, err := blueprint.For(sc)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Metadata.Name, err)
	}
	if err := e.InstallController(ctx, bp); err != nil {
		return nil, err
	}
	if err := e.DeployVariants(ctx, sc, bp); err != nil {
		return nil, err
	}
	samplerStart := clk.Now()
	sampler := cluster.NewSampler(e.Client, clk, samplerStart, e.Variants(sc, bp))
	dir, err := os.MkdirTemp("", "saturn-e2e-")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if prom, err := e.HostPrometheus(dir); err != nil {
		e.Log.Warn("replica metrics will not be sampled", "err", err)
	} else {
		sampler.WithPrometheus(prom)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A Prometheus outage fails every sample for minutes: one line a minute says so.
		var failed int
		var logged time.Time
		sampler.Run(sctx, 2*time.Second, func(err error) {
			failed++
			if now := clk.Now(); logged.IsZero() || now.Sub(logged) >= time.Minute {
				e.Log.Warn("sampling failed", "err", err, "failures", failed)
				logged = now
			}
		})
	}()
	drain := 90 * time.Second
	job := "saturn-load-" + sc.Metadata.Name
	// The faults follow the replay's clock: their offsets count from its start line.
	faults := make(chan error, 1)
	fctx, stopFaults := context.WithCancel(ctx)
	defer stopFaults()
	if actions := e.faultActions(sc, bp); len(actions) > 0 {
		since := time.Now()
		go func() {
			start, err := e.replayStart(fctx, job, since)
			if err == nil {
				err = e.runFaults(fctx, clk, start, actions)
			}
			faults <- err
		}()
	} else {
		faults <- nil
	}
	replay, err := e.RunLoadJob(ctx, LoadJob{
		Name: job, Scenario: raw, Target: RouterURL(sc, e.Namespace), Drain: drain,
		Image: e.image(LoadImage),
	}, sc.Spec.Duration+drain+5*time.Minute)
	stopFaults()
	ferr := <-faults
	stop()
	<-done
	if err != nil {
		return nil, err
	}
	if ferr != nil {
		return nil, fmt.Errorf("scenario %s: injecting its faults: %w", sc.Metadata.Name, ferr)
	}
	rec := &record.Record{Meta: Meta(sc, bp, replay.Start)}
	for i := range replay.Results {
		rec.Requests = append(rec.Requests, replay.Results[i].Record())
	}
	slices.SortFunc(rec.Requests, func(a, b record.Request) int { return int(a.ID - b.ID) })
	var sampled record.Record
	sampler.Fill(&sampled)
	shift := replay.Start.Sub(samplerStart) // sampler offsets count from samplerStart
	for _, p := range sampled.Timeline {
		p.Time -= shift
		rec.Timeline = append(rec.Timeline, p)
	}
	for _, s := range sampled.Scales {
		s.Time -= shift
		rec.Scales = append(rec.Scales, s)
	}
	for _, m := range sampled.Samples {
		m.Time -= shift
		rec.Samples = append(rec.Samples, m)
	}
	// Replica events count the GPU-hours over the scenario's duration, as in the twin: the
	// pods serving when the traffic starts from its start, none of the drain after its end.
	for _, e := range sampled.Lifecycle {
		e.Time = max(e.Time-shift, 0)
		if e.Time <= sc.Spec.Duration {
			rec.Lifecycle = append(rec.Lifecycle, e)
		}
	}
	for _, d := range sampled.Decisions {
		d.Time -= shift
		d.TimeSeconds = d.Time.Seconds()
		rec.Decisions = append(rec.Decisions, d)
	}
	if e.Twin == nil {
		e.Log.Warn("the run has no floor or plan: no twin to size them in")
	} else if err := e.Twin.Yardstick(ctx, sc, rec); err != nil {
		e.Log.Warn("the run has no floor or plan", "err", err)
	}
	sum := record.Summarize(rec)
	assert.Apply(&sum, sc.Spec.Assertions, rec)
	return &Outcome{Record: rec, Summary: sum}, nil
}

// Meta describes a Kind run of sc, deployed from bp, whose traffic started at start.
func Meta(sc *scenario.Scenario, bp *blueprint.Blueprint, start time.Time) record.Meta {
	sp := sc.Spec
	m := record.Meta{
		Scenario: sc.Metadata.Name, Mode: record.ModeKind, Seed: int64(bp.Seed), Start: start, Duration: sp.Duration,
		Model: bp.Model, Analyzer: bp.Controller.Config.Saturation.Default.Analyzer, Actuation: bp.Controller.Actuation,
		Router: bp.Router.Policy, SLO: record.SLOOf(sc), ScrapeInterval: bp.ScrapeInterval,
		ControlInterval: bp.Controller.Interval,
	}
	var at time.Duration
	for _, p := range sp.Traffic.Phases {
		m.Phases = append(m.Phases, record.Phase{Name: p.Name, Start: at, End: at + p.Duration})
		at += p.Duration
	}
	for _, v := range bp.Variants {
		m.Variants = append(m.Variants, record.Variant{
			Name: v.Name, Accelerator: v.Accelerator, GPUsPerReplica: v.GPUs(), CostPerHour: v.Cost,
			MinReplicas: v.Min, MaxReplicas: v.Max, Initial: v.Initial,
		})
	}
	return m
}

// Describe prints the one-line outcome of a run.
func (o *Outcome) Describe() string {
	return fmt.Sprintf("%s: %d requests, verdict %s", o.Record.Meta.Scenario, len(o.Record.Requests), o.Summary.Verdict)
}
