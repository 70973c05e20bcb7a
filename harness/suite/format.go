package suite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats are the table formats Write accepts.
var Formats = []string{"text", "markdown", "json"}

// Write writes the rows in format: "text", "markdown" or "json".
func Write(w io.Writer, format string, rows []Row) error {
	switch format {
	case "text":
		return Text(w, rows)
	case "markdown":
		return Markdown(w, rows)
	case "json":
		return JSON(w, rows)
	}
	return fmt.Errorf("unknown table format %q: must be one of %s", format, strings.Join(Formats, ", "))
}

var header = []string{"scenario", "analyzer", "SLO attainment", "p99 TTFT", "GPU-h", "x floor",
	"x plan (plan attainment)", "time to plan", "flaps", "assertions", "dominates", "claim"}

// cells formats a row for people.
func cells(r Row) []string {
	return []string{
		seededName(r.Scenario, r.Seed),
		r.Analyzer,
		pct(r.Attainment),
		seconds(r.P99TTFTSeconds),
		fmt.Sprintf("%.3f", r.GPUHours),
		ratio(r.GPUHours, r.FloorGPUHours),
		planCell(r),
		timeToPlan(r),
		fmt.Sprint(r.Flaps),
		fmt.Sprintf("%d/%d", r.AssertionsPassed, r.AssertionsTotal),
		r.Dominates,
		r.Claim,
	}
}

// Text writes the rows as aligned columns, without the padding after the last.
func Text(w io.Writer, rows []Row) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(cells(r), "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(buf.String()) {
		if _, err := fmt.Fprintln(w, strings.TrimRight(line, " \n")); err != nil {
			return err
		}
	}
	if s := ClaimSummary(rows); s != "" {
		_, err := fmt.Fprintln(w, s)
		return err
	}
	return nil
}

// ClaimSummary counts the scenarios on which the first analyzer's claim holds and
// names the others, e.g. "capacity: the claim (...) holds on 6 of 9 scenarios; short on
// spike, trace-azure". When the suite ran several seeds it counts runs and says, per
// scenario short on some, on how many seeds: "holds on 30 of 45 runs; short on spike
// (5 of 5 seeds)". Empty when no row carries a claim.
func ClaimSummary(rows []Row) string {
	var analyzer, against string
	var judged, held int
	seeded := false
	var order []string
	short, runs := map[string]int{}, map[string]int{}
	for _, r := range rows {
		if r.Claim == "" {
			continue // the second analyzer's row
		}
		analyzer = r.Analyzer
		if r.Claim == NotApplicable {
			continue
		}
		judged++
		seeded = seeded || r.Seed != 0
		if runs[r.Scenario] == 0 {
			order = append(order, r.Scenario)
		}
		runs[r.Scenario]++
		if r.Claim == ClaimHolds {
			held++
		} else {
			short[r.Scenario]++
		}
	}
	if judged == 0 {
		return ""
	}
	for _, r := range rows {
		if r.Analyzer != analyzer {
			against = r.Analyzer
			break
		}
	}
	unit := "scenarios"
	if seeded {
		unit = "runs"
	}
	s := fmt.Sprintf("%s: the claim (dominates %s, or reaches the plan's attainment where %s misses it, at most %.1fx the plan's GPU-hours) holds on %d of %d %s",
		analyzer, orOther(against), orOther(against), PlanBound, held, judged, unit)
	var names []string
	for _, name := range order {
		switch {
		case short[name] == 0:
		case seeded:
			names = append(names, fmt.Sprintf("%s (%d of %d seeds)", name, short[name], runs[name]))
		default:
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		s += "; short on " + strings.Join(names, ", ")
	}
	return s
}

func orOther(name string) string {
	if name == "" {
		return "the other analyzer"
	}
	return name
}

// Markdown writes the rows as a GitHub table.
func Markdown(w io.Writer, rows []Row) error {
	var b strings.Builder
	line := func(cs []string) { b.WriteString("| " + strings.Join(cs, " | ") + " |\n") }
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---:"
	}
	sep[0], sep[1], sep[len(sep)-2], sep[len(sep)-1] = "---", "---", "---", "---"
	line(sep)
	for _, r := range rows {
		line(cells(r))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JSON writes {"rows": [...]}, indented.
func JSON(w io.Writer, rows []Row) error {
	if rows == nil {
		rows = []Row{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Rows []Row `json:"rows"`
	}{rows})
}

func pct(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }

func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0fms", s*1000)
	}
	return fmt.Sprintf("%.2fs", s)
}

// ratio is x/of as "1.23x", or n/a when of is not known.
func ratio(x, of float64) string {
	if of <= 0 {
		return NotApplicable
	}
	return fmt.Sprintf("%.2fx", x/of)
}

func planCell(r Row) string {
	if r.PlanGPUHours <= 0 {
		return NotApplicable
	}
	return fmt.Sprintf("%s (%s)", ratio(r.GPUHours, r.PlanGPUHours), pct(r.PlanAttainment))
}

func timeToPlan(r Row) string {
	switch {
	case r.PlanGPUHours <= 0:
		return NotApplicable
	case r.TimeToPlanSeconds < 0:
		return "never"
	}
	return (time.Duration(r.TimeToPlanSeconds * float64(time.Second))).Round(time.Second).String()
}
