package twin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/promstore"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// Epoch is the virtual time a twin run starts at. A fixed instant keeps
// records reproducible.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// DefaultNamespace is the namespace the twin's replicas live in.
const DefaultNamespace = "saturn"

// Router and drain limits.
const (
	// routerRefresh is how often the router re-reads replica state (llm-d's
	// EPP refreshes its metrics every 50 ms; 250 ms keeps the twin fast).
	routerRefresh = 250 * time.Millisecond
	// routerQueueTimeout bounds how long a request waits for a ready replica.
	routerQueueTimeout = 5 * time.Minute
	// drainGrace bounds how long the run continues after the traffic ends to
	// let in-flight requests finish.
	drainGrace = 15 * time.Minute
)

// never is a time after every event.
const never = time.Duration(math.MaxInt64)

// Options tune a run. The zero value runs the scenario as written.
type Options struct {
	// Seed replaces spec.seed when non-zero.
	Seed uint64
	// Namespace of the simulated pods (default DefaultNamespace).
	Namespace string
	// Progress, when set, is called about every simulated minute with the
	// simulated time reached and the run's length.
	Progress func(done, total time.Duration)
	// NoYardstick skips the floor and the plan.
	NoYardstick bool
	// Simulated, when set, is called once the run is simulated, before the
	// floor and the plan are computed (callers time the two apart).
	Simulated func()
	// Script, when set, replaces saturn's controller with a schedule of
	// replicas (the plan's replay): no controller runs and no metrics are
	// stored, while the router, the replicas and the faults run as written.
	Script *Script
}

// ErrInvalidScenario wraps errors caused by the scenario's content (unknown
// profile, impossible engine settings) rather than by the twin.
var ErrInvalidScenario = errors.New("invalid scenario")

// Run replays the scenario (loaded, defaulted and validated by
// harness/scenario) and returns its record.
func Run(ctx context.Context, sc *scenario.Scenario, opts Options) (*record.Record, error) {
	t, err := newTwin(sc, opts)
	if err != nil {
		return nil, err
	}
	defer t.close()
	if err := t.loop(ctx); err != nil {
		return nil, err
	}
	t.finish()
	if opts.Simulated != nil {
		opts.Simulated()
	}
	if !opts.NoYardstick {
		f, err := Floor(sc, t.rec, t.work)
		if err != nil {
			return nil, fmt.Errorf("computing the floor: %w", err)
		}
		t.rec.Floor = f
		if opts.Script == nil {
			p, err := Plan(ctx, sc, t.rec, opts.Seed)
			if err != nil {
				return nil, fmt.Errorf("computing the plan: %w", err)
			}
			t.rec.Plan = p
		}
	}
	return t.rec, nil
}

// twin is the state of one run.
type twin struct {
	sc        *scenario.Scenario
	spec      *scenario.Spec
	bp        *blueprint.Blueprint // what runs: the scenario resolved once
	opts      Options
	namespace string
	end       time.Duration // traffic end
	rec       *record.Record
	store     *promstore.Store
	timers    timerHeap
	variants  []*variant
	replicas  []*replica // every replica ever created, by id
	serving   []*replica // replicas with an engine (ready or draining)
	gen       *scenario.Generator
	work      *Work // every generated request, for the floor
	next      scenario.Request
	hasNext   bool
	inflight  int
	queue     []int64 // rows waiting in the router for a ready replica
	router    router
	evBuf     []engine.Event
	now       time.Duration
	ctrl      *controller
	faults    faultState
	metrics   *metricNames
	lastProg  time.Duration
	// batchBuf is the scrape sample buffer, reused between scrapes.
	batchBuf []sample
	// lastTruncate is when the TSDB head was last truncated.
	lastTruncate time.Duration
	// script holds the scripted autoscaler's changes (nil: the controller runs).
	script []scriptChange
}

func newTwin(sc *scenario.Scenario, opts Options) (*twin, error) {
	sp := &sc.Spec
	seed := sp.Seed
	if opts.Seed != 0 {
		seed = opts.Seed
	}
	ns := opts.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	t := &twin{sc: sc, spec: sp, opts: opts, namespace: ns, end: sp.Duration, work: NewWork(seed)}
	if t.end <= 0 {
		return nil, fmt.Errorf("%w: spec.duration must be > 0", ErrInvalidScenario)
	}
	t.rec = &record.Record{Meta: record.Meta{
		Scenario:        sc.Metadata.Name,
		Mode:            record.ModeTwin,
		Seed:            int64(seed),
		Start:           Epoch,
		Duration:        sp.Duration,
		Model:           sp.Model.Name,
		Analyzer:        sp.Autoscaler.Analyzer,
		Actuation:       sp.Autoscaler.Actuation.Mode,
		Router:          sp.Router.Policy,
		SLO:             record.SLOOf(sc),
		ScrapeInterval:  sp.Prometheus.ScrapeInterval,
		ControlInterval: sp.Autoscaler.Interval,
	}}
	var at time.Duration
	for _, p := range sp.Traffic.Phases {
		t.rec.Meta.Phases = append(t.rec.Meta.Phases, record.Phase{Name: p.Name, Start: at, End: at + p.Duration})
		at += p.Duration
	}
	bp, err := blueprint.For(sc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidScenario, err)
	}
	t.bp = bp
	t.metrics = newMetricNames()
	for i, vs := range sp.Variants {
		v := newVariant(i, vs, bp.Variants[i], seed)
		t.variants = append(t.variants, v)
		t.rec.Meta.Variants = append(t.rec.Meta.Variants, record.Variant{
			Name: vs.Name, Accelerator: vs.Accelerator, GPUsPerReplica: v.gpus, CostPerHour: vs.Cost,
			MinReplicas: v.min, MaxReplicas: v.max, Initial: v.desired,
		})
		if err := t.metrics.addVariant(v, sp.Model.Name); err != nil {
			return nil, err
		}
	}
	if t.router, err = newRouter(bp.Router); err != nil {
		return nil, fmt.Errorf("%w: spec.router: %w", ErrInvalidScenario, err)
	}
	store, err := promstore.New(promstore.Options{})
	if err != nil {
		return nil, fmt.Errorf("starting the embedded Prometheus: %w", err)
	}
	t.store = store
	if t.ctrl, err = newController(t); err != nil {
		_ = store.Close()
		return nil, err
	}
	gen, err := scenario.NewGenerator(sc, seed)
	if err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("%w: %w", ErrInvalidScenario, err)
	}
	t.gen = gen
	t.pull()
	if err := t.faults.init(t); err != nil {
		_ = store.Close()
		_ = gen.Close()
		return nil, err
	}
	// Initial replicas are ready at t=0: the run starts from a warm deployment, whose pods
	// were created a start-up earlier (drawn from the variant's start-up on a stream of its
	// own, leaving the run's draws as they were): the cluster recorded their start-up, as
	// it has for the pods a Kind run deploys before its replay starts.
	for _, v := range t.variants {
		past := rand.New(rand.NewPCG(seed, 0x706173740000+uint64(v.idx))) // "past"
		for range v.desired {
			r := t.newReplica(v)
			r.created = -(v.spec.Startup.Scheduling.Sample(past) + v.spec.Startup.WeightsLoading.Sample(past))
			t.becomeReady(r)
		}
	}
	t.timers.push(scrapePhase(seed, sp.Prometheus.ScrapeInterval), timerScrape, 0, 0)
	if opts.Script != nil {
		if err := t.startScript(opts.Script); err != nil {
			t.close()
			return nil, err
		}
		return t, nil
	}
	t.timers.push(sp.Autoscaler.Interval, timerControl, 0, 0)
	if p := t.ctrl.actuatePeriod; p > 0 {
		t.timers.push(p, timerActuate, 0, 0)
	}
	return t, nil
}

// scrapePhase is when the run's first scrape happens, in (0, interval]: Prometheus scrapes
// each target at an offset of its own within the interval and a controller's ticker starts
// whenever its pod did, so a cycle reads scrapes between 0 and one interval old. The twin
// scrapes its replicas together, at a phase drawn for the run (on a stream of its own):
// scraping at 0 with the cycles on multiples of the interval made every cycle read the
// scrape one whole interval old (at equal times the cycle, scheduled first, runs first),
// the worst case, where a cluster's cycles read them half an interval old on average.
func scrapePhase(seed uint64, interval time.Duration) time.Duration {
	u := rand.New(rand.NewPCG(seed, 0x7363726170650000)).Float64() // "scrape"
	return max(time.Duration((1-u)*float64(interval)), 1)
}

func (t *twin) close() {
	if t.gen != nil {
		_ = t.gen.Close()
	}
	if t.store != nil {
		_ = t.store.Close()
	}
}

// pull reads the next generated request.
func (t *twin) pull() {
	t.next, t.hasNext = t.gen.Next()
}

// at converts an offset to the virtual time passed to the cores.
func at(d time.Duration) time.Time { return Epoch.Add(d) }

// offset converts a core's time back to an offset.
func offset(tm time.Time) time.Duration { return tm.Sub(Epoch) }

// variant is one deployment of the model.
type variant struct {
	idx      int
	name     string
	spec     scenario.Variant
	engCfg   engine.Config
	gpus     int
	min, max int
	// desired is the Deployment's spec.replicas.
	desired  int
	alive    []*replica // not stopped, in creation order
	rng      *rand.Rand
	podSeq   int
	rsHash   string
	routed   int // requests routed since the last timeline point
	maxLen   int
	decision int // latest wva_desired_replicas
	decided  bool
}

func newVariant(i int, vs scenario.Variant, bv blueprint.Variant, seed uint64) *variant {
	return &variant{
		idx: i, name: vs.Name, spec: vs, engCfg: bv.Engine, gpus: bv.GPUs(),
		min: bv.Min, max: bv.Max, desired: bv.Initial, maxLen: bv.Engine.MaxModelLen,
		rng:    rand.New(rand.NewPCG(seed, 0x7374617274757000+uint64(i))), // "startup"
		rsHash: rsHash(vs.Name),
	}
}

// rsHash is a stable stand-in for a ReplicaSet's pod-template hash.
func rsHash(name string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 10)
	for i := range b {
		b[i] = alphabet[h%uint64(len(alphabet))]
		h /= uint64(len(alphabet))
	}
	return string(b)
}

// podName returns the next pod name of the variant's Deployment.
func (v *variant) podName() string {
	v.podSeq++
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	n := uint64(v.podSeq)*2654435761 + 12345
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[n%uint64(len(alphabet))]
		n /= uint64(len(alphabet))
	}
	return v.name + "-" + v.rsHash + "-" + string(b) + strconv.Itoa(v.podSeq%10)
}
