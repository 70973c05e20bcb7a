package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
)

// JSON writes the summary as indented JSON (summary.json's form).
func JSON(w io.Writer, sum *record.Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sum)
}

// Text writes the human summary of a run.
func Text(w io.Writer, sum *record.Summary) error {
	ew := &errWriter{w: w}
	passed := 0
	for _, a := range sum.Assertions {
		if a.Pass {
			passed++
		}
	}
	ew.printf("saturn: %s (%s run, seed %d) | analyzer %s, actuation %s, %s simulated\n",
		sum.Scenario, sum.Mode, sum.Seed, sum.Analyzer, sum.Actuation, fmtSeconds(sum.DurationSeconds))
	ew.printf("verdict: %s (%d/%d assertions hold)\n\n", strings.ToUpper(verdictOr(sum.Verdict)), passed, len(sum.Assertions))

	if len(sum.Assertions) > 0 {
		tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ASSERTION\tOBSERVED\tRESULT")
		for _, a := range sum.Assertions {
			res := "pass"
			if !a.Pass {
				res = "FAIL"
				if a.Detail != "" {
					res += ": " + a.Detail
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Name, a.Observed, res)
		}
		_ = tw.Flush()
		ew.printf("\n")
	}

	r := sum.Requests
	ew.printf("requests  %d total, %d ok, %d errors, %d lost (error rate %.3f%%), SLO attainment %.2f%%\n",
		r.Total, r.OK, r.Errors, r.Lost, 100*r.ErrorRate, 100*r.SLOAttainment)
	tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "latency\tp50\tp90\tp95\tp99\t")
	for _, l := range []struct {
		name string
		p    record.Percentiles
	}{{"TTFT", sum.TTFT}, {"ITL", sum.ITL}, {"E2E", sum.E2E}} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", l.name, fmtSeconds(l.p.P50), fmtSeconds(l.p.P90), fmtSeconds(l.p.P95), fmtSeconds(l.p.P99))
	}
	_ = tw.Flush()
	ew.printf("\n")

	tw = tabwriter.NewWriter(ew, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\taccelerator\tmin\tmax\tmean\tscale-ups\tscale-downs\tGPU-h\tcost\t")
	for _, v := range sum.Variants {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%d\t%d\t%.3f\t%.2f\t\n", v.Name, v.Accelerator, v.ReplicasMin, v.ReplicasMax,
			v.ReplicasMean, v.ScaleUps, v.ScaleDowns, v.GPUHours, v.Cost)
	}
	_ = tw.Flush()
	ew.printf("scale events: %d\n", sum.ScaleEvents)
	ew.printf("%s\n", costLine(sum))
	if l := FloorLine(sum); l != "" {
		ew.printf("%s\n", l)
	}
	if l := PlanLine(sum); l != "" {
		ew.printf("%s\n", l)
	}
	if sum.Run != nil {
		ew.printf("wall time %s (+%s for the floor and the plan), %.0f simulated s per wall s, %.0f requests per wall s\n",
			fmtSeconds(sum.Run.WallSeconds), fmtSeconds(sum.Run.YardstickSeconds), sum.Run.SimSecondsPerWall, sum.Run.RequestsPerWallSecond)
	}
	return ew.err
}

func verdictOr(v string) string {
	if v == "" {
		return "n/a"
	}
	return v
}

func costLine(sum *record.Summary) string {
	l := fmt.Sprintf("GPU-hours %.3f, cost %.2f", sum.GPUHours, sum.Cost)
	if sum.Floor != nil && sum.Floor.GPUHours > 0 {
		l += fmt.Sprintf(" | %.2fx the floor", sum.FloorRatio)
	}
	if sum.Plan != nil && sum.Plan.GPUHours > 0 {
		l += fmt.Sprintf(" | %.2fx the plan", sum.PlanRatio)
	}
	return l
}

// FloorLine says what the run's floor is and how far above it the run came
// in ("" without a floor).
func FloorLine(sum *record.Summary) string {
	f := sum.Floor
	if f == nil || f.GPUHours <= 0 {
		return ""
	}
	var why string
	if f.Bound == record.FloorBoundMinReplicas {
		why = fmt.Sprintf("the replicas minReplicas force; the work needs %.3f", f.WorkGPUHours)
	} else {
		why = fmt.Sprintf("%d requests back to back on %s at its saturated %.2f req/s, %d of %d prompt tokens cached at best; minReplicas force %.3f",
			f.Requests, f.Variant, f.MaxRPS, f.CachedTokens, f.PromptTokens, f.MinReplicaGPUHours)
	}
	return fmt.Sprintf("floor %.3f GPU-h, cost %.2f (%s) | %.2fx the floor", f.GPUHours, f.Cost, why, sum.FloorRatio)
}

// PlanLine says what the run's plan reached and how the run compares with it
// ("" without a plan).
func PlanLine(sum *record.Summary) string {
	p := sum.Plan
	if p == nil || p.GPUHours <= 0 {
		return ""
	}
	target := pct(p.Target)
	switch {
	case p.Assertions == 1:
		target += " and the scenario's assertion on it"
	case p.Assertions > 1:
		target += fmt.Sprintf(" and the scenario's %d assertions on it", p.Assertions)
	}
	return fmt.Sprintf("plan %.3f GPU-h, cost %.2f, SLO attainment %s for a target of %s (%s, peak %d, started %s ahead, replayed %d times) | %.2fx the plan",
		p.GPUHours, p.Cost, pct(p.Attainment), target, p.Variant, p.PeakReplicas, fmtSeconds(p.LeadSeconds), p.Replays, sum.PlanRatio)
}

// fmtSeconds prints seconds compactly: ms below a second, s below a
// minute, else a Go duration.
func fmtSeconds(s float64) string {
	switch {
	case s == 0:
		return "0"
	case s < 1:
		return fmt.Sprintf("%.0fms", s*1000)
	case s < 60:
		return fmt.Sprintf("%.2fs", s)
	default:
		return time.Duration(s * float64(time.Second)).Round(time.Second).String()
	}
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}

// Compare writes two runs of the same traffic side by side.
func Compare(w io.Writer, labelA, labelB string, a, b *record.Summary) error {
	ew := &errWriter{w: w}
	ew.printf("saturn compare: %s | A = %s | B = %s\n\n", a.Scenario, labelA, labelB)
	tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tA: %s\tB: %s\t\n", labelA, labelB)
	row := func(name, x, y string) { fmt.Fprintf(tw, "%s\t%s\t%s\t\n", name, x, y) }
	row("verdict", verdictOr(a.Verdict), verdictOr(b.Verdict))
	row("requests ok", fmt.Sprint(a.Requests.OK), fmt.Sprint(b.Requests.OK))
	row("errors + lost", fmt.Sprint(a.Requests.Errors+a.Requests.Lost), fmt.Sprint(b.Requests.Errors+b.Requests.Lost))
	row("SLO attainment", pct(a.Requests.SLOAttainment), pct(b.Requests.SLOAttainment))
	row("TTFT p50", fmtSeconds(a.TTFT.P50), fmtSeconds(b.TTFT.P50))
	row("TTFT p99", fmtSeconds(a.TTFT.P99), fmtSeconds(b.TTFT.P99))
	row("ITL p99", fmtSeconds(a.ITL.P99), fmtSeconds(b.ITL.P99))
	row("E2E p99", fmtSeconds(a.E2E.P99), fmtSeconds(b.E2E.P99))
	for i := range max(len(a.Variants), len(b.Variants)) {
		var va, vb record.VariantSummary
		if i < len(a.Variants) {
			va = a.Variants[i]
		}
		if i < len(b.Variants) {
			vb = b.Variants[i]
		}
		name := va.Name
		if name == "" {
			name = vb.Name
		}
		row(name+" replicas min/max/mean", fmt.Sprintf("%d/%d/%.2f", va.ReplicasMin, va.ReplicasMax, va.ReplicasMean),
			fmt.Sprintf("%d/%d/%.2f", vb.ReplicasMin, vb.ReplicasMax, vb.ReplicasMean))
		row(name+" scale-ups/downs", fmt.Sprintf("%d/%d", va.ScaleUps, va.ScaleDowns), fmt.Sprintf("%d/%d", vb.ScaleUps, vb.ScaleDowns))
		row(name+" flaps (reversals)", fmt.Sprint(va.Reversals), fmt.Sprint(vb.Reversals))
		row(name+" first scale-up", firstUp(a, name), firstUp(b, name))
		for j := range max(len(va.Phases), len(vb.Phases)) {
			var pa, pb record.VariantPhase
			if j < len(va.Phases) {
				pa = va.Phases[j]
			}
			if j < len(vb.Phases) {
				pb = vb.Phases[j]
			}
			ph := pa.Phase
			if ph == "" {
				ph = pb.Phase
			}
			row(fmt.Sprintf("%s in %s: scale-up after / ready max", name, ph), phaseCell(pa), phaseCell(pb))
			if pa.PlanNeed > 0 || pb.PlanNeed > 0 {
				row(fmt.Sprintf("%s in %s: ready for the plan's need after", name, ph), needCell(pa), needCell(pb))
			}
		}
	}
	row("scale events", fmt.Sprint(a.ScaleEvents), fmt.Sprint(b.ScaleEvents))
	row("GPU-hours", fmt.Sprintf("%.3f", a.GPUHours), fmt.Sprintf("%.3f", b.GPUHours))
	row("cost", fmt.Sprintf("%.2f", a.Cost), fmt.Sprintf("%.2f", b.Cost))
	row("vs floor (GPU-h)", floorRatio(a), floorRatio(b))
	row("vs plan (GPU-h)", planRatio(a), planRatio(b))
	row("time to the plan's capacity", timeToPlanCell(a), timeToPlanCell(b))
	for i := range max(len(a.Assertions), len(b.Assertions)) {
		var x, y string
		name := ""
		if i < len(a.Assertions) {
			x, name = mark(a.Assertions[i]), a.Assertions[i].Name
		}
		if i < len(b.Assertions) {
			y = mark(b.Assertions[i])
			if name == "" {
				name = b.Assertions[i].Name
			}
		}
		row(name, x, y)
	}
	_ = tw.Flush()
	if l := FloorLine(a); l != "" {
		ew.printf("\nA: %s\n", l)
	}
	if l := FloorLine(b); l != "" {
		ew.printf("B: %s\n", l)
	}
	if l := PlanLine(a); l != "" {
		ew.printf("A: %s\n", l)
	}
	if l := PlanLine(b); l != "" {
		ew.printf("B: %s\n", l)
	}
	return ew.err
}

// firstUp is when the variant first scaled up, from the summary's
// assertion-independent figures (FirstScaleUpSeconds).
func firstUp(s *record.Summary, variant string) string {
	for _, v := range s.Variants {
		if v.Name == variant && v.FirstScaleUpSeconds > 0 {
			return fmtSeconds(v.FirstScaleUpSeconds)
		}
	}
	return "none"
}

func phaseCell(p record.VariantPhase) string {
	up := "-"
	if p.ScaleUpAfterSeconds >= 0 {
		up = "+" + fmtSeconds(p.ScaleUpAfterSeconds)
		if p.ScaleUpAfterSeconds == 0 {
			up = "+0s"
		}
	}
	return fmt.Sprintf("%s / %d", up, p.ReadyMax)
}

func needCell(p record.VariantPhase) string {
	switch {
	case p.PlanNeed == 0:
		return "-"
	case p.ReadyForNeedSeconds < 0:
		return fmt.Sprintf("never (%d)", p.PlanNeed)
	case p.ReadyForNeedSeconds == 0:
		return fmt.Sprintf("already (%d)", p.PlanNeed)
	}
	return fmt.Sprintf("+%s (%d)", fmtSeconds(p.ReadyForNeedSeconds), p.PlanNeed)
}

func pct(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }

func floorRatio(s *record.Summary) string {
	if s.Floor == nil || s.Floor.GPUHours <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", s.FloorRatio)
}

func planRatio(s *record.Summary) string {
	if s.Plan == nil || s.Plan.GPUHours <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", s.PlanRatio)
}

func timeToPlanCell(s *record.Summary) string {
	switch {
	case s.Plan == nil:
		return "n/a"
	case s.TimeToPlanSeconds < 0:
		return "never"
	}
	return fmtSeconds(s.TimeToPlanSeconds)
}

func mark(a record.AssertionResult) string {
	if a.Pass {
		return a.Observed + " ok"
	}
	return a.Observed + " FAIL"
}
