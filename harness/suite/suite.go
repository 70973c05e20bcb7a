package suite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// Entry is one scenario of a suite; Name (the file name without .yaml) labels
// its rows.
type Entry struct {
	Name     string
	Scenario *scenario.Scenario
	// Seed, when non-zero, is the seed the entry runs with (its scenario's spec.seed
	// already set to it); it labels the entry's rows.
	Seed uint64
}

// WithSeeds returns every entry once per seed, in the entries' order and then the seeds':
// each a copy of the entry whose scenario runs with that seed (spec.seed set on a copy of
// the scenario; the entries' scenarios are not modified). No seeds: the entries as they are.
func WithSeeds(entries []Entry, seeds []uint64) []Entry {
	if len(seeds) == 0 {
		return entries
	}
	out := make([]Entry, 0, len(entries)*len(seeds))
	for _, e := range entries {
		for _, seed := range seeds {
			sc := *e.Scenario
			sc.Spec.Seed = seed
			out = append(out, Entry{Name: e.Name, Scenario: &sc, Seed: seed})
		}
	}
	return out
}

// RunFunc runs one scenario and returns its summary with assertions applied.
type RunFunc func(ctx context.Context, sc *scenario.Scenario) (record.Summary, error)

// Row is one scenario under one analyzer. The JSON keys are stable.
type Row struct {
	Scenario string `json:"scenario"`
	// Seed is the seed the run used when the suite ran several (Entry.Seed); 0 otherwise.
	Seed     uint64 `json:"seed,omitempty"`
	Analyzer string `json:"analyzer"`
	// Attainment is the share of requests that met the SLO, in [0, 1].
	Attainment float64 `json:"attainment"`
	GPUHours   float64 `json:"gpuHours"`
	// FloorGPUHours and PlanGPUHours are 0 when the run has no floor or plan.
	FloorGPUHours  float64 `json:"floorGPUHours"`
	PlanGPUHours   float64 `json:"planGPUHours"`
	PlanAttainment float64 `json:"planAttainment"`
	P99TTFTSeconds float64 `json:"p99TTFTSeconds"`
	// Flaps counts scale reversals over every variant.
	Flaps            int `json:"flaps"`
	AssertionsPassed int `json:"assertionsPassed"`
	AssertionsTotal  int `json:"assertionsTotal"`
	// Dominates is the same on both rows of a scenario: the analyzer whose run
	// has at least the other's attainment for at most its GPU-hours, Tie when
	// each does, Neither when none does, NotApplicable when a run failed.
	Dominates string `json:"dominates"`
	// Claim is set on the first analyzer's row (see Claim): "holds", "short: ..." with
	// what falls short, or NotApplicable when a run failed or has no plan. Empty on the
	// second analyzer's row.
	Claim string `json:"claim,omitempty"`
	// TimeToPlanSeconds is record.Summary's (-1: never; meaningful only with a
	// plan). Not part of the JSON.
	TimeToPlanSeconds float64 `json:"-"`
}

// Verdicts of Row.Dominates other than an analyzer name.
const (
	Tie           = "tie"
	Neither       = "neither"
	NotApplicable = "n/a"
)

// RowOf takes a run's figures from its summary.
func RowOf(name, analyzer string, sum *record.Summary) Row {
	r := Row{
		Scenario:          name,
		Analyzer:          analyzer,
		Attainment:        sum.Requests.SLOAttainment,
		GPUHours:          sum.GPUHours,
		P99TTFTSeconds:    sum.TTFT.P99,
		AssertionsTotal:   len(sum.Assertions),
		TimeToPlanSeconds: sum.TimeToPlanSeconds,
	}
	if sum.Floor != nil {
		r.FloorGPUHours = sum.Floor.GPUHours
	}
	if sum.Plan != nil {
		r.PlanGPUHours = sum.Plan.GPUHours
		r.PlanAttainment = sum.Plan.Attainment
	}
	for _, v := range sum.Variants {
		r.Flaps += v.Reversals
	}
	for _, a := range sum.Assertions {
		if a.Pass {
			r.AssertionsPassed++
		}
	}
	return r
}

// Dominance names the analyzer of the run that reaches at least the other's
// attainment for at most its GPU-hours: a's or b's, Tie when both hold both
// ways, Neither when each is better on one figure.
func Dominance(a, b Row) string {
	ab, ba := covers(a, b), covers(b, a)
	switch {
	case ab && ba:
		return Tie
	case ab:
		return a.Analyzer
	case ba:
		return b.Analyzer
	}
	return Neither
}

// covers tells whether run a reaches at least b's attainment for at most its GPU-hours.
func covers(a, b Row) bool { return a.Attainment >= b.Attainment && a.GPUHours <= b.GPUHours }

// PlanBound is the most GPU-hours, as a multiple of the plan's, at which an analyzer's
// run counts as economical: the plan replays a clairvoyant schedule, so no analyzer
// reaches it, and within this factor of it the analyzer leaves little to gain.
const PlanBound = 1.3

// ClaimHolds is Row.Claim when the claim holds.
const ClaimHolds = "holds"

// claimEpsilon absorbs rounding in the attainment comparisons.
const claimEpsilon = 1e-9

// Claim judges analyzer a's run against b's and the plan: the claim holds when a
// dominates b (at least b's attainment for at most its GPU-hours) or, where b misses
// the attainment the plan reaches, a reaches it; and a spends at most PlanBound times
// the plan's GPU-hours. Otherwise it says what falls short: "short: 1.40x plan",
// "short: 91.34% < plan 99.19%" (b missed the plan's attainment and so did a), or
// "short: does not dominate wva-v1" (b reached the plan's attainment and a did not
// dominate it). NotApplicable without a plan.
func Claim(a, b Row) string {
	if a.PlanGPUHours <= 0 {
		return NotApplicable
	}
	var short []string
	bMisses := b.Attainment+claimEpsilon < a.PlanAttainment
	if !covers(a, b) {
		switch {
		case !bMisses:
			short = append(short, "does not dominate "+b.Analyzer)
		case a.Attainment+claimEpsilon < a.PlanAttainment:
			short = append(short, fmt.Sprintf("%s < plan %s", pct(a.Attainment), pct(a.PlanAttainment)))
		}
	}
	if x := a.GPUHours / a.PlanGPUHours; x > PlanBound {
		short = append([]string{fmt.Sprintf("%.2fx plan", x)}, short...)
	}
	if len(short) == 0 {
		return ClaimHolds
	}
	return "short: " + strings.Join(short, ", ")
}

// Run runs every entry under analyzer a then b, on workers goroutines (at
// least one), and returns two rows per entry in the entries' order (a's row
// first) whatever the order the runs finish in. A run that fails leaves its
// row out and its scenario's dominance NotApplicable; the other runs still
// happen, and the error names every failed scenario and analyzer. The
// entries' scenarios are not modified.
func Run(ctx context.Context, entries []Entry, a, b string, workers int, run RunFunc) ([]Row, error) {
	analyzers := [2]string{a, b}
	type result struct {
		row Row
		err error
	}
	results := make([]result, 2*len(entries))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				e, analyzer := entries[i/2], analyzers[i%2]
				sc := *e.Scenario // runs read their scenario; each gets its own analyzer
				sc.Spec.Autoscaler.Analyzer = analyzer
				sum, err := run(ctx, &sc)
				if err != nil {
					results[i].err = fmt.Errorf("scenario %s under %s: %w", e.label(), analyzer, err)
					continue
				}
				results[i].row = RowOf(e.Name, analyzer, &sum)
				results[i].row.Seed = e.Seed
			}
		}()
	}
	for i := range results {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	rows := make([]Row, 0, len(results))
	var errs []error
	for i := 0; i < len(results); i += 2 {
		ra, rb := results[i], results[i+1]
		verdict, claim := NotApplicable, NotApplicable
		if ra.err == nil && rb.err == nil {
			verdict, claim = Dominance(ra.row, rb.row), Claim(ra.row, rb.row)
		}
		ra.row.Claim = claim
		for _, r := range []result{ra, rb} {
			if r.err != nil {
				errs = append(errs, r.err)
				continue
			}
			r.row.Dominates = verdict
			rows = append(rows, r.row)
		}
	}
	return rows, errors.Join(errs...)
}

// label names the entry in errors: its name, and its seed when it has one.
func (e Entry) label() string { return seededName(e.Name, e.Seed) }

// seededName is a scenario's name, followed by its seed when the suite ran several
// ("spike (seed 11)"), as errors and the table's rows name a run.
func seededName(name string, seed uint64) string {
	if seed != 0 {
		return fmt.Sprintf("%s (seed %d)", name, seed)
	}
	return name
}
