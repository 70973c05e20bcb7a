package record

import (
	"math"
	"slices"
	"time"
)

// Summary holds the figures of a run under stable JSON keys (summary.json).
// Durations are in seconds.
type Summary struct {
	Scenario        string            `json:"scenario"`
	Mode            string            `json:"mode"`
	Seed            int64             `json:"seed"`
	Analyzer        string            `json:"analyzer"`
	Actuation       string            `json:"actuation"`
	Verdict         string            `json:"verdict"`
	Assertions      []AssertionResult `json:"assertions"`
	DurationSeconds float64           `json:"duration_seconds"`
	Requests        RequestSummary    `json:"requests"`
	TTFT            Percentiles       `json:"ttft_seconds"`
	ITL             Percentiles       `json:"itl_seconds"`
	E2E             Percentiles       `json:"e2e_seconds"`
	Variants        []VariantSummary  `json:"variants"`
	ScaleEvents     int               `json:"scale_events"`
	GPUHours        float64           `json:"gpu_hours"`
	Cost            float64           `json:"cost"`
	Floor           *Floor            `json:"floor,omitempty"`
	// FloorRatio is GPUHours / Floor.GPUHours (0 without a floor); never
	// below 1.
	FloorRatio float64 `json:"floor_ratio,omitempty"`
	Plan       *Plan   `json:"plan,omitempty"`
	// PlanRatio is GPUHours / Plan.GPUHours (0 without a plan).
	PlanRatio float64 `json:"plan_ratio,omitempty"`
	// TimeToPlanSeconds is the longest delay, over the traffic phases, from a
	// phase's start until the plan's variant had as many ready replicas as the
	// plan's peak in that phase (-1 when a phase never got there; 0 without a
	// plan or when every phase started with enough).
	TimeToPlanSeconds float64 `json:"time_to_plan_seconds,omitempty"`
	// Run holds wall-clock figures; they differ between identical runs and
	// are left out of golden files.
	Run *RunStats `json:"run,omitempty"`
}

// Verdicts.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
)

// AssertionResult is the outcome of one scenario assertion.
type AssertionResult struct {
	// Name is the assertion as written ("ttft p99 < 2s in spike").
	Name  string `json:"name"`
	Phase string `json:"phase,omitempty"`
	Pass  bool   `json:"pass"`
	// Observed is the measured value, formatted for people; Value is the
	// same number in base units (seconds, replicas, ratio...).
	Observed string  `json:"observed"`
	Value    float64 `json:"value"`
	// Detail says why it failed or what was measured.
	Detail string `json:"detail,omitempty"`
}

// RequestSummary counts requests by outcome.
type RequestSummary struct {
	Total     int     `json:"total"`
	OK        int     `json:"ok"`
	Errors    int     `json:"errors"`
	Lost      int     `json:"lost"`
	ErrorRate float64 `json:"error_rate"`
	// SLOAttainment is the share of all requests that met the SLO.
	SLOAttainment float64 `json:"slo_attainment"`
	PromptTokens  int64   `json:"prompt_tokens"`
	OutputTokens  int64   `json:"output_tokens"`
}

// Percentiles of a latency in seconds.
type Percentiles struct {
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Count int64   `json:"count"`
}

// VariantSummary summarises one variant's replicas and cost.
type VariantSummary struct {
	Name        string `json:"name"`
	Accelerator string `json:"accelerator"`
	// ReplicasMin/Max/Mean count ready replicas over the timeline.
	ReplicasMin  int     `json:"replicas_min"`
	ReplicasMax  int     `json:"replicas_max"`
	ReplicasMean float64 `json:"replicas_mean"`
	DesiredMax   int     `json:"desired_max"`
	ScaleUps     int     `json:"scale_ups"`
	ScaleDowns   int     `json:"scale_downs"`
	// Reversals counts scale events whose direction differs from the
	// previous one (up after down or down after up): flapping.
	Reversals int `json:"reversals"`
	// FirstScaleUpSeconds is the time of the first scale-up (0 if none).
	FirstScaleUpSeconds float64 `json:"first_scale_up_seconds"`
	GPUHours            float64 `json:"gpu_hours"`
	Cost                float64 `json:"cost"`
	// Phases summarises the variant per traffic phase.
	Phases []VariantPhase `json:"phases,omitempty"`
}

// VariantPhase is a variant's behaviour during one traffic phase.
type VariantPhase struct {
	Phase string `json:"phase"`
	// ScaleUpAfterSeconds is the time from the phase start to the first
	// scale-up within the phase (-1 when none).
	ScaleUpAfterSeconds float64 `json:"scale_up_after_seconds"`
	ReadyMax            int     `json:"ready_max"`
	ReadyMean           float64 `json:"ready_mean"`
	// PlanNeed is the most replicas the plan asks for during the phase, set
	// for the plan's variant only; ReadyForNeedSeconds is the time from the
	// phase start until that many replicas were ready (-1 when never; 0 when
	// already).
	PlanNeed            int     `json:"plan_need,omitempty"`
	ReadyForNeedSeconds float64 `json:"ready_for_need_seconds,omitempty"`
}

// RunStats are wall-clock figures of a run.
type RunStats struct {
	// WallSeconds is the simulation's; YardstickSeconds the floor's and the
	// plan's, computed after it.
	WallSeconds           float64 `json:"wall_seconds"`
	YardstickSeconds      float64 `json:"yardstick_seconds"`
	SimSecondsPerWall     float64 `json:"sim_seconds_per_wall_second"`
	RequestsPerWallSecond float64 `json:"requests_per_wall_second"`
}

// Summarize computes the summary of a record. Assertion results and the
// verdict are left empty; harness/assert fills them.
func Summarize(rec *Record) Summary {
	s := Summary{
		Scenario:        rec.Meta.Scenario,
		Mode:            rec.Meta.Mode,
		Seed:            rec.Meta.Seed,
		Analyzer:        rec.Meta.Analyzer,
		Actuation:       rec.Meta.Actuation,
		DurationSeconds: round(rec.Meta.Duration.Seconds()),
		Assertions:      []AssertionResult{},
		Floor:           rec.Floor,
		Plan:            rec.Plan,
	}
	s.Requests = summarizeRequests(rec.Requests, rec.Meta.SLO)
	lat := Collect(rec.Requests, nil)
	s.TTFT = percentiles(lat, TTFT)
	s.ITL = percentiles(lat, ITL)
	s.E2E = percentiles(lat, E2E)
	hours := ReplicaHours(rec)
	for _, v := range rec.Meta.Variants {
		vs := summarizeVariant(rec, v)
		vs.GPUHours = round(hours[v.Name] * float64(max(v.GPUsPerReplica, 1)))
		vs.Cost = round(hours[v.Name] * v.CostPerHour)
		s.GPUHours += vs.GPUHours
		s.Cost += vs.Cost
		s.Variants = append(s.Variants, vs)
	}
	s.GPUHours, s.Cost = round(s.GPUHours), round(s.Cost)
	s.ScaleEvents = len(rec.Scales)
	if rec.Plan != nil && rec.Plan.GPUHours > 0 {
		s.PlanRatio = round(s.GPUHours / rec.Plan.GPUHours)
	}
	s.TimeToPlanSeconds = timeToPlan(rec)
	if rec.Floor != nil && rec.Floor.GPUHours > 0 {
		s.FloorRatio = round(s.GPUHours / rec.Floor.GPUHours)
	}
	return s
}

func summarizeRequests(reqs []Request, slo SLO) RequestSummary {
	var rs RequestSummary
	met := 0
	for i := range reqs {
		r := &reqs[i]
		rs.Total++
		switch r.Status {
		case StatusOK:
			rs.OK++
		case StatusError:
			rs.Errors++
		case StatusLost:
			rs.Lost++
		}
		rs.PromptTokens += int64(r.PromptTokens)
		rs.OutputTokens += int64(r.OutputTokens)
		if slo.MeetsSLO(r) {
			met++
		}
	}
	if rs.Total > 0 {
		rs.ErrorRate = round(float64(rs.Errors+rs.Lost) / float64(rs.Total))
		rs.SLOAttainment = round(float64(met) / float64(rs.Total))
	}
	return rs
}

func percentiles(l *Latencies, m Metric) Percentiles {
	q := func(x float64) float64 {
		d, _ := l.Quantile(m, x)
		return round(d.Seconds())
	}
	return Percentiles{P50: q(0.5), P90: q(0.9), P95: q(0.95), P99: q(0.99), Count: l.Count(m)}
}

func summarizeVariant(rec *Record, v Variant) VariantSummary {
	vs := VariantSummary{Name: v.Name, Accelerator: v.Accelerator, ReplicasMin: math.MaxInt}
	n, sum := 0, 0
	for i := range rec.Timeline {
		p := &rec.Timeline[i]
		if p.Variant != v.Name {
			continue
		}
		n++
		sum += p.Ready
		vs.ReplicasMin = min(vs.ReplicasMin, p.Ready)
		vs.ReplicasMax = max(vs.ReplicasMax, p.Ready)
		vs.DesiredMax = max(vs.DesiredMax, p.Desired)
	}
	if n == 0 {
		vs.ReplicasMin = 0
	} else {
		vs.ReplicasMean = round(float64(sum) / float64(n))
	}
	for _, ph := range rec.Meta.Phases {
		vp := VariantPhase{Phase: ph.Name, ScaleUpAfterSeconds: -1}
		pn, psum := 0, 0
		for i := range rec.Timeline {
			p := &rec.Timeline[i]
			if p.Variant == v.Name && p.Time >= ph.Start && p.Time < ph.End {
				pn++
				psum += p.Ready
				vp.ReadyMax = max(vp.ReadyMax, p.Ready)
			}
		}
		if pn > 0 {
			vp.ReadyMean = round(float64(psum) / float64(pn))
		}
		for _, e := range rec.Scales {
			if e.Variant == v.Name && e.To > e.From && e.Time >= ph.Start && e.Time < ph.End {
				vp.ScaleUpAfterSeconds = round((e.Time - ph.Start).Seconds())
				break
			}
		}
		if p := rec.Plan; p != nil && p.Variant == v.Name {
			if vp.PlanNeed = planNeed(p, ph); vp.PlanNeed > 0 {
				vp.ReadyForNeedSeconds = readyFor(rec, v.Name, ph, vp.PlanNeed)
			}
		}
		vs.Phases = append(vs.Phases, vp)
	}
	lastDir := 0
	for _, e := range rec.Scales {
		if e.Variant != v.Name {
			continue
		}
		dir := 0
		if e.To > e.From {
			if vs.ScaleUps == 0 {
				vs.FirstScaleUpSeconds = round(e.Time.Seconds())
			}
			vs.ScaleUps++
			dir = 1
		} else if e.To < e.From {
			vs.ScaleDowns++
			dir = -1
		}
		if dir != 0 {
			if lastDir != 0 && dir != lastDir {
				vs.Reversals++
			}
			lastDir = dir
		}
	}
	return vs
}

// ReplicaHours integrates, per variant, the time replicas held their
// accelerators: from leaving pending (scheduled onto a node) until stopped
// or failed, or the end of the record for replicas still alive.
func ReplicaHours(rec *Record) map[string]float64 {
	type open struct {
		variant string
		since   time.Duration
	}
	alive := map[string]open{}
	hours := map[string]float64{}
	end := rec.Meta.Duration
	for _, e := range rec.Lifecycle {
		end = max(end, e.Time)
	}
	for _, e := range rec.Lifecycle {
		key := e.Variant + "/" + e.Replica
		switch e.State {
		case ReplicaStarting, ReplicaReady, ReplicaDraining:
			if _, ok := alive[key]; !ok {
				alive[key] = open{e.Variant, e.Time}
			}
		case ReplicaStopped, ReplicaFailed:
			if o, ok := alive[key]; ok {
				hours[o.variant] += (e.Time - o.since).Hours()
				delete(alive, key)
			}
		}
	}
	keys := make([]string, 0, len(alive))
	for k := range alive {
		keys = append(keys, k)
	}
	slices.Sort(keys) // float sums in a fixed order: byte-identical summaries
	for _, k := range keys {
		o := alive[k]
		hours[o.variant] += (end - o.since).Hours()
	}
	return hours
}

// round keeps six significant decimals so summaries are stable across
// platforms and readable in golden files.
func round(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1e6) / 1e6
}

// timeToPlan is the longest delay, over the traffic phases, from a phase's
// start until the plan's variant had as many ready replicas as the plan's
// peak over the phase: -1 when a phase never got there, 0 without a plan.
func timeToPlan(rec *Record) float64 {
	p := rec.Plan
	if p == nil {
		return 0
	}
	worst := 0.0
	for _, ph := range rec.Meta.Phases {
		need := planNeed(p, ph)
		if need == 0 {
			continue
		}
		after := readyFor(rec, p.Variant, ph, need)
		if after < 0 {
			return -1
		}
		worst = max(worst, after)
	}
	return worst
}

// planNeed is the most replicas the plan asks for during the phase.
func planNeed(p *Plan, ph Phase) int {
	if p.StepSeconds <= 0 {
		return 0
	}
	step := time.Duration(p.StepSeconds * float64(time.Second))
	need := 0
	for k, n := range p.Replicas {
		if start := time.Duration(k) * step; start < ph.End && start+step > ph.Start {
			need = max(need, n)
		}
	}
	return need
}

// readyFor is the time from the phase's start until the variant had need
// ready replicas within the phase (-1 when it never did).
func readyFor(rec *Record, variant string, ph Phase, need int) float64 {
	for i := range rec.Timeline {
		pt := &rec.Timeline[i]
		if pt.Variant == variant && pt.Time >= ph.Start && pt.Time < ph.End && pt.Ready >= need {
			return round((pt.Time - ph.Start).Seconds())
		}
	}
	return -1
}
