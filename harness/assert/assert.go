package assert

import (
	"fmt"
	"math"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// Evaluate checks every assertion of the scenario against the record, in
// the scenario's order.
func Evaluate(assertions []scenario.Assertion, rec *record.Record) []record.AssertionResult {
	out := make([]record.AssertionResult, 0, len(assertions))
	for i := range assertions {
		out = append(out, evaluate(&assertions[i], rec))
	}
	return out
}

// Verdict is pass when every result passed (and there is at least one
// request), fail otherwise.
func Verdict(results []record.AssertionResult) string {
	for _, r := range results {
		if !r.Pass {
			return record.VerdictFail
		}
	}
	return record.VerdictPass
}

// Apply evaluates the assertions and stores results and verdict in sum.
func Apply(sum *record.Summary, assertions []scenario.Assertion, rec *record.Record) {
	sum.Assertions = Evaluate(assertions, rec)
	sum.Verdict = Verdict(sum.Assertions)
}

// window is the time range an assertion covers.
type window struct{ start, end time.Duration }

func (w window) contains(t time.Duration) bool { return t >= w.start && t < w.end }

// Window is the span of the run assertion a covers, [start, end): its phase's, or the
// whole run's; ok is false when rec ran no phase of that name.
func Window(a *scenario.Assertion, rec *record.Record) (start, end time.Duration, ok bool) {
	w, err := windowOf(a, rec)
	return w.start, w.end, err == nil
}

func windowOf(a *scenario.Assertion, rec *record.Record) (window, error) {
	if a.Phase == "" {
		return window{0, rec.Meta.Duration}, nil
	}
	p, ok := rec.Meta.Phase(a.Phase)
	if !ok {
		return window{}, fmt.Errorf("phase %q is not in the record", a.Phase)
	}
	return window{p.Start, p.End}, nil
}

func evaluate(a *scenario.Assertion, rec *record.Record) record.AssertionResult {
	res := record.AssertionResult{Name: a.Name, Phase: a.Phase}
	w, err := windowOf(a, rec)
	if err != nil {
		res.Observed, res.Detail = "n/a", err.Error()
		return res
	}
	switch {
	case a.Replicas != nil:
		checkReplicas(&res, a.Replicas, w, rec)
	case a.ScaleUpWithin != nil:
		c := a.ScaleUpWithin
		checkScale(&res, c.Variant, c.Within, w, rec, true, c.ToAtLeast, c.ToAtLeast > 0)
	case a.ScaleDownWithin != nil:
		c := a.ScaleDownWithin
		to, set := 0, c.ToAtMost != nil
		if set {
			to = *c.ToAtMost
		}
		checkScale(&res, c.Variant, c.Within, w, rec, false, to, set)
	case a.MaxReplicaChanges != nil:
		checkChanges(&res, a.MaxReplicaChanges, w, rec)
	case a.Latency != nil:
		checkLatency(&res, a.Latency, w, rec)
	case a.SLOAttainment != nil:
		checkSLO(&res, a.SLOAttainment, w, rec)
	case a.ErrorRate != nil:
		checkErrors(&res, a.ErrorRate, w, rec)
	case a.GPUHours != nil:
		gpu, _ := usage(rec, w)
		res.Value = round(gpu)
		res.Observed = fmt.Sprintf("%.3f GPU-h", gpu)
		res.Pass = gpu <= a.GPUHours.Max
		res.Detail = fmt.Sprintf("budget %.3f GPU-h", a.GPUHours.Max)
	case a.Cost != nil:
		_, cost := usage(rec, w)
		res.Value = round(cost)
		res.Observed = fmt.Sprintf("%.2f", cost)
		res.Pass = cost <= a.Cost.Max
		res.Detail = fmt.Sprintf("budget %.2f", a.Cost.Max)
	case a.NothingLost != nil:
		checkLost(&res, w, rec)
	default:
		res.Observed, res.Detail = "n/a", "assertion has no check"
	}
	return res
}

func round(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1e6) / 1e6
}

// checkReplicas: ready replicas stay within [min, max] in the window.
func checkReplicas(res *record.AssertionResult, c *scenario.ReplicasCheck, w window, rec *record.Record) {
	lo, hi, n := math.MaxInt, math.MinInt, 0
	for i := range rec.Timeline {
		p := &rec.Timeline[i]
		if p.Variant != c.Variant || !w.contains(p.Time) {
			continue
		}
		n++
		lo, hi = min(lo, p.Ready), max(hi, p.Ready)
	}
	if n == 0 {
		res.Observed, res.Detail = "no samples", fmt.Sprintf("no timeline point for variant %q in the window", c.Variant)
		return
	}
	res.Observed = fmt.Sprintf("%d..%d ready", lo, hi)
	res.Pass = true
	res.Value = float64(hi)
	if c.Min != nil && lo < *c.Min {
		res.Pass, res.Value = false, float64(lo)
		res.Detail = fmt.Sprintf("went down to %d ready, below min %d", lo, *c.Min)
	}
	if c.Max != nil && hi > *c.Max {
		res.Pass, res.Value = false, float64(hi)
		res.Detail = fmt.Sprintf("reached %d ready, above max %d", hi, *c.Max)
	}
	if c.Held {
		held := desiredAt(rec, c.Variant, w.start)
		for _, e := range rec.Scales {
			if e.Variant != c.Variant || !w.contains(e.Time) || e.Source == "fault" || e.To == held {
				continue
			}
			res.Pass, res.Value = false, float64(e.To)
			res.Observed += fmt.Sprintf(", desired %d -> %d at %v", e.From, e.To, e.Time)
			res.Detail = fmt.Sprintf("not held: %s changed desired replicas %d -> %d at %v", e.Source, e.From, e.To, e.Time)
			return
		}
		res.Observed += fmt.Sprintf(", desired held at %d", held)
	}
}

// desiredAt is the variant's desired replicas just before t.
func desiredAt(rec *record.Record, variant string, t time.Duration) int {
	d := 0
	if v, ok := rec.Meta.VariantByName(variant); ok {
		d = v.Initial
	}
	for _, e := range rec.Scales {
		if e.Variant == variant && e.Time < t {
			d = e.To
		}
	}
	return d
}

// checkScale: within `within` of the window start, desired replicas reach
// the target (up: at least to; down: at most to).
func checkScale(res *record.AssertionResult, variant string, within time.Duration, w window, rec *record.Record, up bool, to int, set bool) {
	start := desiredAt(rec, variant, w.start)
	if !set {
		if up {
			to = start + 1
		} else {
			to = max(start-1, 0)
		}
	}
	reached := func(n int) bool {
		if up {
			return n >= to
		}
		return n <= to
	}
	verb := map[bool]string{true: "to >= ", false: "to <= "}[up]
	if reached(start) {
		res.Pass, res.Value = true, 0
		res.Observed = fmt.Sprintf("0s (already %d)", start)
		return
	}
	deadline := w.start + within
	extreme := start
	for _, e := range rec.Scales {
		if e.Variant != variant || e.Time < w.start {
			continue
		}
		if e.Time > deadline {
			break
		}
		if up {
			extreme = max(extreme, e.To)
		} else {
			extreme = min(extreme, e.To)
		}
		if reached(e.To) {
			took := e.Time - w.start
			res.Pass, res.Value = true, took.Seconds()
			res.Observed = fmt.Sprintf("%s (%d -> %d)", fmtDur(took), start, e.To)
			return
		}
	}
	res.Value = within.Seconds()
	res.Observed = fmt.Sprintf("not within %s (%d -> %d)", fmtDur(within), start, extreme)
	res.Detail = fmt.Sprintf("desired replicas of %s did not scale %s%d", variant, verb, to)
}

// checkChanges: in any sliding window, at most Count desired-replica changes.
func checkChanges(res *record.AssertionResult, c *scenario.MaxReplicaChangesCheck, w window, rec *record.Record) {
	worst, worstVariant, worstAt := 0, "", time.Duration(0)
	for _, v := range rec.Meta.Variants {
		if c.Variant != "" && v.Name != c.Variant {
			continue
		}
		var times []time.Duration
		for _, e := range rec.Scales {
			if e.Variant == v.Name && w.contains(e.Time) {
				times = append(times, e.Time)
			}
		}
		j := 0
		for i := range times {
			for times[i]-times[j] >= c.Window {
				j++
			}
			if n := i - j + 1; n > worst {
				worst, worstVariant, worstAt = n, v.Name, times[j]
			}
		}
	}
	res.Value = float64(worst)
	res.Pass = worst <= c.Count
	res.Observed = fmt.Sprintf("%d changes", worst)
	if worst > 0 {
		res.Detail = fmt.Sprintf("most changes: %s, %d in the %s from %s", worstVariant, worst, fmtDur(c.Window), fmtDur(worstAt))
	}
}

func inWindow(w window, class string) func(*record.Request) bool {
	return func(r *record.Request) bool {
		return w.contains(r.Arrival) && (class == "" || r.Class == class)
	}
}

func checkLatency(res *record.AssertionResult, c *scenario.LatencyCheck, w window, rec *record.Record) {
	l := record.Collect(rec.Requests, inWindow(w, c.Class))
	q := scenario.Percentiles[c.Percentile]
	d, ok := l.Quantile(record.Metric(c.Metric), q)
	if !ok {
		res.Observed, res.Detail = "no data", "no request in the window produced this latency"
		return
	}
	res.Value = round(d.Seconds())
	res.Observed = fmtDur(d)
	res.Pass = d <= c.Max
	res.Detail = fmt.Sprintf("%s %s over %d observations, limit %s", c.Metric, c.Percentile, l.Count(record.Metric(c.Metric)), fmtDur(c.Max))
}

func checkSLO(res *record.AssertionResult, c *scenario.SLOAttainmentCheck, w window, rec *record.Record) {
	slo := record.SLO{TTFT: c.TTFT, ITL: c.ITL}
	keep := inWindow(w, c.Class)
	total, met := 0, 0
	for i := range rec.Requests {
		r := &rec.Requests[i]
		if !keep(r) {
			continue
		}
		total++
		if slo.MeetsSLO(r) {
			met++
		}
	}
	if total == 0 {
		res.Observed, res.Detail = "no requests", "no request arrived in the window"
		return
	}
	share := float64(met) / float64(total)
	res.Value = round(share)
	res.Observed = fmt.Sprintf("%.2f%%", 100*share)
	res.Pass = share >= c.MinShare
	res.Detail = fmt.Sprintf("%d of %d requests met TTFT <= %s and ITL <= %s", met, total, fmtDur(c.TTFT), fmtDur(c.ITL))
}

func checkErrors(res *record.AssertionResult, c *scenario.ErrorRateCheck, w window, rec *record.Record) {
	total, bad := 0, 0
	for i := range rec.Requests {
		r := &rec.Requests[i]
		if !w.contains(r.Arrival) {
			continue
		}
		total++
		if r.Status != record.StatusOK {
			bad++
		}
	}
	rate := 0.0
	if total > 0 {
		rate = float64(bad) / float64(total)
	}
	res.Value = round(rate)
	res.Observed = fmt.Sprintf("%.3f%% (%d of %d)", 100*rate, bad, total)
	res.Pass = rate <= c.Max
}

func checkLost(res *record.AssertionResult, w window, rec *record.Record) {
	lost, total := 0, 0
	for i := range rec.Requests {
		r := &rec.Requests[i]
		if !w.contains(r.Arrival) {
			continue
		}
		total++
		if r.Status == record.StatusLost {
			lost++
		}
	}
	res.Value = float64(lost)
	res.Observed = fmt.Sprintf("%d lost of %d", lost, total)
	res.Pass = lost == 0
}

// usage integrates GPU-hours and cost of replicas holding accelerators
// (starting, ready, draining) within the window; for a whole-run window
// the end extends to the record's last event (the drain after the traffic).
func usage(rec *record.Record, w window) (gpuHours, cost float64) {
	end := w.end
	if w.start == 0 && w.end == rec.Meta.Duration {
		for _, e := range rec.Lifecycle {
			end = max(end, e.Time)
		}
	}
	alive := map[string]time.Duration{}
	add := func(variant string, from, to time.Duration) {
		from, to = max(from, w.start), min(to, end)
		if to <= from {
			return
		}
		v, _ := rec.Meta.VariantByName(variant)
		h := (to - from).Hours()
		gpuHours += h * float64(max(v.GPUsPerReplica, 1))
		cost += h * v.CostPerHour
	}
	var order []string
	variantOf := map[string]string{}
	for _, e := range rec.Lifecycle {
		key := e.Variant + "/" + e.Replica
		switch e.State {
		case record.ReplicaStarting, record.ReplicaReady, record.ReplicaDraining:
			if _, ok := alive[key]; !ok {
				alive[key] = e.Time
				order = append(order, key)
				variantOf[key] = e.Variant
			}
		case record.ReplicaStopped, record.ReplicaFailed:
			if since, ok := alive[key]; ok {
				add(e.Variant, since, e.Time)
				delete(alive, key)
			}
		}
	}
	for _, key := range order {
		if since, ok := alive[key]; ok {
			add(variantOf[key], since, end)
			delete(alive, key)
		}
	}
	return gpuHours, cost
}

// fmtDur prints a duration compactly (ms below a second).
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return d.Round(time.Second).String()
	}
}
