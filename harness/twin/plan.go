package twin

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/saturn-autoscaler/saturn/harness/assert"
	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// Plan tuning.
const (
	// planStep is the granularity of the plan's schedule.
	planStep = time.Minute
	// planReplays bounds how many times the schedule is replayed while it is
	// sized: the cost of a plan is at most this many scripted runs.
	planReplays = 8
	// planMinGain: trimming stops once a replay that holds the target saves
	// less than this share of the best schedule's GPU-hours.
	planMinGain = 0.01
	// planLeadQuantile is the share of start-ups the plan's lead covers.
	planLeadQuantile = 0.95
)

// Plan computes a clairvoyant schedule for the run and measures it by
// replaying it in the twin. The schedule scales one variant, the one with the
// fewest GPUs per unit of capacity at the SLO (the others stay at their
// minReplicas), minute by minute: each minute starts with enough replicas for
// its arrivals at one replica's sustainable rate at the SLO, started ahead by
// the variant's start-up time (its 95th percentile), within the bounds the
// scenario's replicas assertions on the variant set (planBounds). The
// schedule is then replayed through the same twin (router, prefixes, faults,
// start-up times) and corrected where the replay shows it short or slack: a
// minute whose arrivals miss a goal gets a replica more (the minute before it
// instead when that did not help), and once every goal holds, every minute
// whose arrivals met each goal with half the allowed misses to spare gives
// one back, as long as the goals keep holding and a trim saves 1% or more; at
// most 8 replays. The cheapest schedule that reached every goal is kept, else
// the replay that came closest.
//
// The goals are the target over the run (the scenario's lowest sloAttainment
// minShare, 99% when it states none) and the scenario's sloAttainment and
// latency percentile assertions over their windows (planGoal); whatever the
// goals, the plan serves every request a replica accepts (none lost or timed
// out in the router). seed is the run's seed override (0: the scenario's).
// The plan does not depend on the analyzer: it is sized once per scenario and
// seed in a process.
func Plan(ctx context.Context, sc *scenario.Scenario, rec *record.Record, seed uint64) (*record.Plan, error) {
	if len(rec.Requests) == 0 || len(sc.Spec.Variants) == 0 {
		return nil, nil //nolint:nilnil // no traffic, no plan
	}
	key, err := planKey(sc, seed)
	if err != nil {
		return nil, err
	}
	// Runs of one scenario under several analyzers at once share one sizing.
	v, err, _ := plans.flight.Do(string(key[:]), func() (any, error) {
		if p, ok := plans.get(key); ok {
			return p, nil
		}
		p, err := sizePlan(ctx, sc, rec, seed)
		if err == nil && p != nil {
			plans.put(key, p)
		}
		return p, err
	})
	if err != nil {
		return nil, err
	}
	p, _ := v.(*record.Plan)
	if p == nil {
		return nil, nil //nolint:nilnil // no variant has any capacity at the SLO
	}
	cp := *p
	cp.Replicas = slices.Clone(p.Replicas)
	return &cp, nil
}

// sizePlan computes the plan of Plan.
func sizePlan(ctx context.Context, sc *scenario.Scenario, rec *record.Record, seed uint64) (*record.Plan, error) {
	target := attainmentOf(sc)
	pick, err := planVariant(sc, rec, target)
	if err != nil || pick == nil {
		return nil, err
	}
	steps := int((rec.Meta.Duration + planStep - 1) / planStep)
	arrivals := make([]int, steps)
	for i := range rec.Requests {
		arrivals[min(int(rec.Requests[i].Arrival/planStep), steps-1)]++
	}
	bounds := planBoundsFor(sc, rec, pick, steps)
	need := make([]int, steps)
	for k, n := range arrivals {
		need[k] = int(math.Ceil(float64(n) / planStep.Seconds() / pick.capRPS))
	}
	bounds.apply(need)
	p := &planSizer{sc: sc, seed: seed, target: target, pick: pick, steps: steps, bounds: bounds}
	p.goals = planGoalsFor(sc, rec, target)
	return p.size(ctx, need)
}

// planGoal is a share of requests a plan must serve within an SLO: the run's target over
// all its requests, each sloAttainment assertion's over its window and class, and each
// latency percentile assertion's (a p99 TTFT of at most 20 s is 99% of the requests with
// a TTFT of at most 20 s; an ITL percentile counts every output token after the first,
// as the assertion does). A plan that reaches the run's target with a phase under its own
// assertion is a schedule the scenario does not accept (multi-variant's high phase asks
// for 90%: a plan at 92% over the run ran it at 89.8%).
type planGoal struct {
	start, end time.Duration
	class      string
	slo        record.SLO
	e2e        time.Duration // the most a request may take end to end; 0 = no bound
	byTokens   bool          // each request weighs its output tokens after the first
	share      float64
}

// weight is what request r counts for in the goal.
func (g planGoal) weight(r *record.Request) float64 {
	if g.byTokens {
		return float64(max(r.OutputTokens-1, 0))
	}
	return 1
}

// meets says request r meets the goal's SLO.
func (g planGoal) meets(r *record.Request) bool {
	return g.slo.MeetsSLO(r) && (g.e2e <= 0 || r.E2E() <= g.e2e)
}

// holds says the goal's window overlaps step k.
func (g planGoal) holds(k int) bool {
	return g.start < time.Duration(k+1)*planStep && time.Duration(k)*planStep < g.end
}

// planGoalsFor lists the goals of a plan for sc with the run's target, on the phases as
// rec ran them.
func planGoalsFor(sc *scenario.Scenario, rec *record.Record, target float64) []planGoal {
	goals := []planGoal{{end: rec.Meta.Duration, slo: rec.Meta.SLO, share: target}}
	for _, a := range sc.Spec.Assertions {
		var g planGoal
		switch c, l := a.SLOAttainment, a.Latency; {
		case c != nil && c.MinShare > 0:
			g.class, g.slo, g.share = c.Class, record.SLO{TTFT: c.TTFT, ITL: c.ITL}, c.MinShare
		case l != nil && l.Max > 0:
			g.class, g.share = l.Class, scenario.Percentiles[l.Percentile]
			switch l.Metric {
			case scenario.MetricTTFT:
				g.slo.TTFT = l.Max
			case scenario.MetricITL:
				g.slo.ITL, g.byTokens = l.Max, true
			case scenario.MetricE2E:
				g.e2e = l.Max
			default:
				continue
			}
		default:
			continue
		}
		var ok bool
		if g.start, g.end, ok = assert.Window(&a, rec); ok && g.share > 0 {
			goals = append(goals, g)
		}
	}
	return goals
}

// planBounds are the replicas each step of a plan may run: the variant's minReplicas and
// maxReplicas, narrowed by the scenario's replicas assertions on it over every step their
// window overlaps, and the runs of steps an assertion holds at one count. A plan is a
// schedule the scenario accepts: prometheus-outage asks for two replicas held through its
// outage, and a plan that ran one there cost 0.2 GPU-h less than any run that passes.
type planBounds struct {
	lo, hi []int
	held   []heldRun
	// assertions counts the replicas assertions that set them.
	assertions int
}

// heldRun is a run of steps a held window overlaps, [first, last], which run at one count:
// at least what the step before needs when the window starts where that step ends (the
// decrease would happen at the window's start, inside it), and no step up to tail, the
// last a lead time after the window, runs more (its replicas would start inside it).
type heldRun struct {
	first, last, tail int
	// from is the first step the count is at least: first, or the step before it.
	from int
}

// planBoundsFor reads the bounds of a plan of steps steps scaling pick from sc's
// assertions, on the phases as rec ran them.
func planBoundsFor(sc *scenario.Scenario, rec *record.Record, pick *planPick, steps int) planBounds {
	b := planBounds{lo: make([]int, steps), hi: make([]int, steps)}
	for k := range steps {
		b.lo[k], b.hi[k] = pick.min, pick.max
	}
	stepOf := func(t time.Duration) int { return min(max(int(t/planStep), 0), steps-1) }
	for _, a := range sc.Spec.Assertions {
		c := a.Replicas
		if c == nil || c.Variant != pick.name || steps == 0 {
			continue
		}
		start, end, ok := assert.Window(&a, rec)
		if !ok || end <= start {
			continue
		}
		b.assertions++
		first, last := stepOf(start), stepOf(end-1)
		for k := first; k <= last; k++ {
			if c.Min != nil {
				b.lo[k] = min(max(b.lo[k], *c.Min), b.hi[k])
			}
			if c.Max != nil {
				b.hi[k] = max(min(b.hi[k], *c.Max), b.lo[k])
			}
		}
		if c.Held {
			h := heldRun{first: first, last: last, tail: stepOf(end - 1 + pick.lead), from: first}
			if first > 0 && start == time.Duration(first)*planStep {
				h.from = first - 1
			}
			b.held = append(b.held, h)
		}
	}
	return b
}

// apply bounds need in place: each step within its limits, then each held run at the
// most any of its steps needs, and the steps a lead time after it at no more.
func (b planBounds) apply(need []int) {
	for k := range need {
		need[k] = min(max(need[k], b.lo[k]), b.hi[k])
	}
	for _, h := range b.held {
		top := min(slices.Max(need[h.from:h.last+1]), slices.Min(b.hi[h.first:h.last+1]))
		for k := h.first; k <= h.tail; k++ {
			if k <= h.last || need[k] > top {
				need[k] = max(top, b.lo[k])
			}
		}
	}
}

// plans remembers the plans computed in this process. A plan depends on the
// traffic, the variants, the faults and the SLO, never on the autoscaler, so
// runs of one scenario under several analyzers (compare, compare --suite)
// size it once.
var plans = planCache{m: map[[sha256.Size]byte]*record.Plan{}}

type planCache struct {
	flight singleflight.Group
	mu     sync.Mutex
	m      map[[sha256.Size]byte]*record.Plan
}

// planCacheSize bounds the cache; it empties when full.
const planCacheSize = 256

func (c *planCache) get(k [sha256.Size]byte) (*record.Plan, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[k]
	if !ok {
		return nil, false
	}
	cp := *p
	cp.Replicas = slices.Clone(p.Replicas)
	return &cp, true
}

// reset empties the cache (benchmarks).
func (c *planCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}

func (c *planCache) put(k [sha256.Size]byte, p *record.Plan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= planCacheSize {
		clear(c.m)
	}
	cp := *p
	cp.Replicas = slices.Clone(p.Replicas)
	c.m[k] = &cp
}

// planKey identifies what a plan depends on: the scenario without its
// autoscaler section, its assertions (the target) and the seed.
func planKey(sc *scenario.Scenario, seed uint64) ([sha256.Size]byte, error) {
	sp := sc.Spec
	sp.Autoscaler = scenario.Autoscaler{}
	b, err := json.Marshal(struct {
		Name string
		Spec scenario.Spec
		Seed uint64
	}{sc.Metadata.Name, sp, seed})
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("keying the plan: %w", err)
	}
	return sha256.Sum256(b), nil
}

// planPick is the variant a plan scales.
type planPick struct {
	name     string
	capRPS   float64
	min, max int
	lead     time.Duration
}

// planVariant picks the variant with the fewest GPUs per unit of capacity at
// the SLO, for the record's request mix.
func planVariant(sc *scenario.Scenario, rec *record.Record, target float64) (*planPick, error) {
	bp, err := blueprint.For(sc)
	if err != nil {
		return nil, err
	}
	mix := requestMix(rec.Requests)
	var best *planPick
	bestScore := math.Inf(1)
	for i, vs := range sc.Spec.Variants {
		v := newVariant(i, vs, bp.Variants[i], 1)
		capRPS, err := Capacity(v.engCfg, mix, rec.Meta.SLO, target)
		if err != nil {
			return nil, fmt.Errorf("variant %s: %w", vs.Name, err)
		}
		if capRPS <= 0 {
			continue
		}
		if score := float64(v.gpus) / capRPS; score < bestScore {
			bestScore = score
			best = &planPick{name: vs.Name, capRPS: capRPS, min: v.min, max: v.max, lead: startupLead(vs, i)}
		}
	}
	return best, nil
}

// startupLead is the planLeadQuantile of the variant's start-up time
// (scheduling plus loading), from a fixed sample of its distributions.
func startupLead(vs scenario.Variant, i int) time.Duration {
	rng := rand.New(rand.NewPCG(uint64(i)+1, 0x6c656164)) // "lead"
	const n = 400
	d := make([]time.Duration, n)
	for j := range d {
		d[j] = vs.Startup.Scheduling.Sample(rng) + vs.Startup.WeightsLoading.Sample(rng)
	}
	slices.Sort(d)
	return d[int(math.Round(planLeadQuantile*(n-1)))]
}

// planSizer sizes a schedule by replaying it.
type planSizer struct {
	sc      *scenario.Scenario
	seed    uint64
	target  float64
	pick    *planPick
	bounds  planBounds
	goals   []planGoal
	steps   int
	replays int
}

// replay is one scripted run of a schedule and what it showed.
type replay struct {
	need []int
	sum  record.Summary
	// Per step, over the goals whose window holds it, scored on the step's arrivals:
	// short is the most a goal's share exceeds the step's attainment of its SLO (> 0: the
	// step misses a goal), spare the least the step's attainment exceeds half-way from a
	// goal's share to 1 (>= 0: every goal met with half its allowed misses to spare). A
	// step without arrivals meets every goal; one that drops a request meets none.
	short, spare []float64
	// reached says every goal was met over its whole window, none of the requests lost.
	reached bool
}

func (p *planSizer) run(ctx context.Context, need []int) (*replay, error) {
	p.replays++
	s := &Script{Variant: p.pick.name, Step: planStep, Lead: p.pick.lead, Replicas: slices.Clone(need)}
	rec, err := Run(ctx, p.sc, Options{Seed: p.seed, NoYardstick: true, Script: s})
	if err != nil {
		return nil, fmt.Errorf("replaying the plan: %w", err)
	}
	// met and servable per goal and step, weighed; the last step of each goal's row is its
	// total.
	met, servable := make([][]float64, len(p.goals)), make([][]float64, len(p.goals))
	for j := range p.goals {
		met[j], servable[j] = make([]float64, p.steps+1), make([]float64, p.steps+1)
	}
	failed, allFailed := make([]bool, p.steps), false
	for i := range rec.Requests {
		r := &rec.Requests[i]
		if refused(r) {
			continue
		}
		k := min(int(r.Arrival/planStep), p.steps-1)
		if r.Status != record.StatusOK {
			failed[k], allFailed = true, true
		}
		for j, g := range p.goals {
			if r.Arrival < g.start || r.Arrival >= g.end || (g.class != "" && r.Class != g.class) {
				continue
			}
			w := g.weight(r)
			servable[j][k] += w
			servable[j][p.steps] += w
			if g.meets(r) {
				met[j][k] += w
				met[j][p.steps] += w
			}
		}
	}
	rp := &replay{need: s.Replicas, sum: record.Summarize(rec), short: make([]float64, p.steps), spare: make([]float64, p.steps), reached: !allFailed}
	for k := range p.steps {
		rp.short[k], rp.spare[k] = math.Inf(-1), math.Inf(1)
		for j, g := range p.goals {
			if !g.holds(k) {
				continue
			}
			att := 1.0
			if servable[j][k] > 0 {
				att = met[j][k] / servable[j][k]
			}
			if failed[k] {
				att = 0 // a schedule that drops requests is short, whatever the goal
			}
			rp.short[k] = math.Max(rp.short[k], g.share-att)
			rp.spare[k] = math.Min(rp.spare[k], att-(1-(1-g.share)/2))
		}
	}
	for j, g := range p.goals {
		if met[j][p.steps] < g.share*servable[j][p.steps] {
			rp.reached = false
		}
	}
	return rp, nil
}

// refused says the replica refused the request as sent (too long for the
// model or the KV cache): no schedule serves it.
func refused(r *record.Request) bool {
	return r.Status == record.StatusError && strings.HasPrefix(r.Error, "400")
}

// size replays and corrects the schedule, starting from need.
func (p *planSizer) size(ctx context.Context, need []int) (*record.Plan, error) {
	var best, closest, prev *replay
	frozen := make([]bool, p.steps)
	for p.replays < planReplays {
		rp, err := p.run(ctx, need)
		if err != nil {
			return nil, err
		}
		if closest == nil || rp.sum.Requests.SLOAttainment > closest.sum.Requests.SLOAttainment {
			closest = rp
		}
		next := slices.Clone(need)
		switch {
		case rp.reached:
			if best != nil && rp.sum.GPUHours > (1-planMinGain)*best.sum.GPUHours {
				// The last trim saved (almost) nothing: stop there (nothing
				// changes, so the loop ends).
				if rp.sum.GPUHours < best.sum.GPUHours {
					best = rp
				}
				break
			}
			best = rp
			// Give back a replica wherever the minute's arrivals met every
			// goal with half the misses it allows to spare.
			for k := range next {
				if !frozen[k] && rp.spare[k] >= 0 && next[k] > p.bounds.lo[k] {
					next[k]--
				}
			}
		case best != nil:
			// A trim went too far: restore the best schedule where a goal
			// suffered and keep those minutes as they were.
			for k := range next {
				if rp.short[k] > 0 && next[k] < best.need[k] {
					next[k], frozen[k] = best.need[k], true
				}
			}
		default:
			for k := range next {
				if frozen[k] || rp.short[k] <= 0 {
					continue
				}
				if prev != nil && prev.need[k] < rp.need[k] && rp.short[k] >= prev.short[k] {
					// The last replica did not help this minute: its misses
					// come from elsewhere (the minute before, or prompts no
					// replica serves in time).
					frozen[k] = true
					if k > 0 && next[k-1] < p.bounds.hi[k-1] {
						next[k-1]++
					}
					continue
				}
				if next[k] < p.bounds.hi[k] {
					next[k]++
				}
			}
		}
		prev = rp
		// A trim inside a held run is undone by the bounds: only a change that survives
		// them is worth a replay.
		p.bounds.apply(next)
		if slices.Equal(next, need) {
			break
		}
		need = next
	}
	final := best
	if final == nil {
		final = closest
	}
	pl := &record.Plan{
		GPUHours: final.sum.GPUHours, Cost: final.sum.Cost,
		Attainment: final.sum.Requests.SLOAttainment, Target: p.target, Assertions: len(p.goals) - 1 + p.bounds.assertions,
		P99TTFTSeconds: final.sum.TTFT.P99,
		Variant:        p.pick.name, StepSeconds: planStep.Seconds(), LeadSeconds: round3(p.pick.lead.Seconds()),
		Replicas: final.need, PeakReplicas: slices.Max(final.need), Replays: p.replays,
	}
	return pl, nil
}

// Driver is the twin as other drivers and commands use it: run a scenario, and give any
// run's record (a Kind run's, say) the floor and plan of its traffic.
type Driver struct{}

// Run runs sc in the twin with default options.
func (Driver) Run(ctx context.Context, sc *scenario.Scenario) (*record.Record, error) {
	return Run(ctx, sc, Options{})
}

// Yardstick gives rec the floor and the plan of sc's traffic: the floor from the
// scenario's requests, the plan sized and replayed in the twin (a cluster cannot replay
// it), so that every driver's runs are read against one bracket.
func (Driver) Yardstick(ctx context.Context, sc *scenario.Scenario, rec *record.Record) error {
	w, err := WorkOf(sc, sc.Spec.Seed)
	if err != nil {
		return fmt.Errorf("counting the run's work: %w", err)
	}
	if rec.Floor, err = Floor(sc, rec, w); err != nil {
		return fmt.Errorf("computing the floor: %w", err)
	}
	if rec.Plan, err = Plan(ctx, sc, rec, 0); err != nil {
		return fmt.Errorf("computing the plan: %w", err)
	}
	return nil
}
