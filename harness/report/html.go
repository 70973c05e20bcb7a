package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
)

// maxChartPoints bounds the points of one plotted series.
const maxChartPoints = 1200

// HTML writes report.html: a self-contained page with the summary, the
// assertions, and plots of load, replicas, KV usage, queue and latency.
func HTML(w io.Writer, rec *record.Record, sum *record.Summary) error {
	v := buildView(rec, sum)
	if err := page.Execute(w, v); err != nil {
		return fmt.Errorf("rendering report.html: %w", err)
	}
	return nil
}

type view struct {
	Sum        *record.Summary
	Meta       *record.Meta
	Pass       bool
	Passed     int
	Charts     []template.HTML
	Latency    []latRow
	Events     []eventRow
	MoreEvents int
	CostLine   string
	FloorLine  string
	PlanLine   string
	SLO        string
	Run        string
}

type latRow struct {
	Name               string
	P50, P90, P95, P99 string
	Count              int64
}

type eventRow struct {
	Time, Variant, Change, Analyzer, Reason string
	Up                                      bool
}

func buildView(rec *record.Record, sum *record.Summary) view {
	v := view{Sum: sum, Meta: &rec.Meta, Pass: sum.Verdict == record.VerdictPass, CostLine: costLine(sum), FloorLine: FloorLine(sum), PlanLine: PlanLine(sum)}
	for _, a := range sum.Assertions {
		if a.Pass {
			v.Passed++
		}
	}
	v.SLO = fmt.Sprintf("TTFT <= %s, ITL <= %s", fmtSeconds(rec.Meta.SLO.TTFT.Seconds()), fmtSeconds(rec.Meta.SLO.ITL.Seconds()))
	for _, l := range []struct {
		n string
		p record.Percentiles
	}{{"TTFT", sum.TTFT}, {"ITL", sum.ITL}, {"E2E", sum.E2E}} {
		v.Latency = append(v.Latency, latRow{l.n, fmtSeconds(l.p.P50), fmtSeconds(l.p.P90), fmtSeconds(l.p.P95), fmtSeconds(l.p.P99), l.p.Count})
	}
	if sum.Run != nil {
		v.Run = fmt.Sprintf("wall time %s (+%s for the floor and the plan) · %.0f simulated s per wall s · %.0f requests per wall s",
			fmtSeconds(sum.Run.WallSeconds), fmtSeconds(sum.Run.YardstickSeconds), sum.Run.SimSecondsPerWall, sum.Run.RequestsPerWallSecond)
	}
	for _, c := range charts(rec) {
		v.Charts = append(v.Charts, template.HTML(c.svg())) //nolint:gosec // built from numbers and escaped labels
	}
	// Decisions that changed a variant's desired replicas, with their reasons.
	const maxEvents = 150
	last := map[string]int{}
	for _, mv := range rec.Meta.Variants {
		last[mv.Name] = mv.Initial
	}
	for _, d := range rec.Decisions {
		if d.Desired == last[d.Variant] {
			continue
		}
		from := last[d.Variant]
		last[d.Variant] = d.Desired
		if len(v.Events) == maxEvents {
			v.MoreEvents++
			continue
		}
		v.Events = append(v.Events, eventRow{
			Time:    fmtClock(d.Time.Seconds(), rec.Meta.Duration.Seconds()),
			Variant: d.Variant, Change: fmt.Sprintf("%d → %d", from, d.Desired),
			Analyzer: d.Analyzer, Reason: d.Reason, Up: d.Desired > from,
		})
	}
	return v
}

// charts builds the report's plots from the record.
func charts(rec *record.Record) []chart {
	end := rec.Meta.Duration.Seconds()
	for _, p := range rec.Timeline {
		end = math.Max(end, p.Time.Seconds())
	}
	var bands []band
	for _, p := range rec.Meta.Phases {
		bands = append(bands, band{p.Start.Seconds(), p.End.Seconds(), p.Name})
	}
	bucket := bucketFor(rec.Meta.Duration)
	load, errs := arrivalRates(rec, bucket)

	loadChart := chart{title: "Load", unit: "requests/s (arrivals per " + bucket.String() + ")", xMax: end, bands: bands,
		series: []series{{name: "arrivals", color: "#334155", pts: load, fill: true}}}
	if hasNonZero(errs) {
		loadChart.series = append(loadChart.series, series{name: "errors", color: "#dc2626", pts: errs})
	}

	reps := chart{title: "Replicas", unit: "desired (dashed) and ready", xMax: end, bands: bands, yFormat: intFormat}
	kv := chart{title: "KV-cache usage", unit: "% of blocks, mean (solid) and max (light) over ready replicas", xMax: end, bands: bands, yMax: 100}
	queue := chart{title: "Queue", unit: "requests waiting (sum over replicas)", xMax: end, bands: bands}
	for i, v := range rec.Meta.Variants {
		color := palette[i%len(palette)]
		var desired, ready, kvMean, kvMax, waiting []point
		for _, p := range rec.Timeline {
			if p.Variant != v.Name {
				continue
			}
			x := p.Time.Seconds()
			desired = append(desired, point{x, float64(p.Desired)})
			ready = append(ready, point{x, float64(p.Ready)})
			kvMean = append(kvMean, point{x, 100 * p.KVMean})
			kvMax = append(kvMax, point{x, 100 * p.KVMax})
			waiting = append(waiting, point{x, float64(p.Waiting)})
		}
		reps.series = append(reps.series,
			series{name: v.Name + " desired", color: color, pts: downsample(desired, maxChartPoints, aggMax), step: true, dash: "5 3", width: 1.4},
			series{name: v.Name + " ready", color: color, pts: downsample(ready, maxChartPoints, aggMax), step: true, width: 2.2, fill: true})
		kv.series = append(kv.series,
			series{name: "", color: color, pts: downsample(kvMax, maxChartPoints, aggMax), width: 1, dash: "2 2"},
			series{name: v.Name, color: color, pts: downsample(kvMean, maxChartPoints, aggMean)})
		queue.series = append(queue.series, series{name: v.Name, color: color, pts: downsample(waiting, maxChartPoints, aggMax), fill: true})
	}
	if p := rec.Plan; p != nil && len(p.Replicas) > 0 && p.StepSeconds > 0 {
		var pts []point
		for k, n := range p.Replicas {
			pts = append(pts, point{float64(k) * p.StepSeconds, float64(n)})
		}
		pts = append(pts, point{float64(len(p.Replicas)) * p.StepSeconds, float64(p.Replicas[len(p.Replicas)-1])})
		reps.series = append(reps.series, series{name: "plan (" + p.Variant + ")", color: "#0f766e", pts: pts, step: true, dash: "6 2", width: 1.6})
	}
	ttft50, ttft99, itl50, itl99 := latencyOverTime(rec, bucket)
	ttft := chart{title: "Time to first token", unit: "seconds, by arrival time", xMax: end, bands: bands,
		series: []series{{name: "p50", color: "#0891b2", pts: ttft50}, {name: "p99", color: "#7c3aed", pts: ttft99}}}
	if s := rec.Meta.SLO.TTFT; s > 0 {
		ttft.hline = &hline{s.Seconds(), "SLO " + fmtSeconds(s.Seconds())}
	}
	itl := chart{title: "Inter-token latency", unit: "ms (per-request mean), by arrival time", xMax: end, bands: bands,
		series: []series{{name: "p50", color: "#0891b2", pts: scale(itl50, 1000)}, {name: "p99", color: "#7c3aed", pts: scale(itl99, 1000)}}}
	if s := rec.Meta.SLO.ITL; s > 0 {
		itl.hline = &hline{s.Seconds() * 1000, "SLO " + fmtSeconds(s.Seconds())}
	}
	return []chart{loadChart, reps, kv, queue, ttft, itl}
}

func intFormat(v float64) string {
	if v != math.Trunc(v) {
		return ""
	}
	return fmt.Sprint(int(v))
}

func hasNonZero(pts []point) bool {
	for _, p := range pts {
		if p.y != 0 {
			return true
		}
	}
	return false
}

func scale(pts []point, k float64) []point {
	out := make([]point, len(pts))
	for i, p := range pts {
		out[i] = point{p.x, p.y * k}
	}
	return out
}

// bucketFor picks the aggregation bucket of per-request series: about 300
// buckets over the run, at least 5 s.
func bucketFor(d time.Duration) time.Duration {
	for _, b := range []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute} {
		if d/b <= 300 {
			return b
		}
	}
	return 15 * time.Minute
}

func arrivalRates(rec *record.Record, bucket time.Duration) (arr, errs []point) {
	n := int(rec.Meta.Duration/bucket) + 1
	a := make([]float64, n)
	e := make([]float64, n)
	for i := range rec.Requests {
		r := &rec.Requests[i]
		b := min(int(r.Arrival/bucket), n-1)
		a[b]++
		if r.Status != record.StatusOK {
			e[b]++
		}
	}
	for i := range a {
		x := (float64(i) + 0.5) * bucket.Seconds()
		if x > rec.Meta.Duration.Seconds() {
			break
		}
		arr = append(arr, point{x, a[i] / bucket.Seconds()})
		errs = append(errs, point{x, e[i] / bucket.Seconds()})
	}
	return arr, errs
}

// latencyOverTime returns TTFT and mean-ITL p50/p99 per arrival bucket.
func latencyOverTime(rec *record.Record, bucket time.Duration) (t50, t99, i50, i99 []point) {
	n := int(rec.Meta.Duration/bucket) + 1
	ttft := make([][]float64, n)
	itl := make([][]float64, n)
	for i := range rec.Requests {
		r := &rec.Requests[i]
		b := min(int(r.Arrival/bucket), n-1)
		if r.FirstToken != 0 {
			ttft[b] = append(ttft[b], r.TTFT().Seconds())
		}
		if r.Status == record.StatusOK && r.OutputTokens > 1 {
			itl[b] = append(itl[b], r.MeanITL.Seconds())
		}
	}
	q := func(v []float64, p float64) float64 {
		slices.Sort(v)
		i := int(math.Ceil(p*float64(len(v)))) - 1
		return v[max(i, 0)]
	}
	for i := range n {
		x := (float64(i) + 0.5) * bucket.Seconds()
		if len(ttft[i]) > 0 {
			t50 = append(t50, point{x, q(ttft[i], 0.5)})
			t99 = append(t99, point{x, q(ttft[i], 0.99)})
		}
		if len(itl[i]) > 0 {
			i50 = append(i50, point{x, q(itl[i], 0.5)})
			i99 = append(i99, point{x, q(itl[i], 0.99)})
		}
	}
	return
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":   func(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) },
	"f3":    func(x float64) string { return fmt.Sprintf("%.3f", x) },
	"f2":    func(x float64) string { return fmt.Sprintf("%.2f", x) },
	"upper": strings.ToUpper,
	"secs":  fmtSeconds,
}).Parse(pageTemplate))
