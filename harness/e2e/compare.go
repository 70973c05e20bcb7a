package e2e

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
)

// Figures are the numbers compared between a twin and a Kind run of one scenario.
type Figures struct {
	// MaxReplicas is the most ready replicas of any variant.
	MaxReplicas int
	// TimeToScaleUp is the offset of the first scale-up (-1 when none).
	TimeToScaleUp time.Duration
	// P99TTFT in seconds.
	P99TTFT float64
	// Attainment is the share of requests meeting the SLO; GPUHours the accelerators
	// held from scheduling to the end of each replica (the record's replica events).
	Attainment, GPUHours float64
}

// FiguresOf extracts the compared figures from a record and its summary.
func FiguresOf(rec *record.Record, sum *record.Summary) Figures {
	f := Figures{TimeToScaleUp: -1, P99TTFT: sum.TTFT.P99, Attainment: sum.Requests.SLOAttainment, GPUHours: sum.GPUHours}
	for _, v := range sum.Variants {
		f.MaxReplicas = max(f.MaxReplicas, v.ReplicasMax)
	}
	for _, s := range rec.Scales {
		if s.To > s.From {
			f.TimeToScaleUp = s.Time
			break
		}
	}
	return f
}

// WriteComparison prints the twin and Kind figures side by side with the gap.
func WriteComparison(w io.Writer, twin, kind Figures) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\ttwin\tkind\tgap")
	fmt.Fprintf(tw, "max replicas\t%d\t%d\t%+d\n", twin.MaxReplicas, kind.MaxReplicas, kind.MaxReplicas-twin.MaxReplicas)
	fmt.Fprintf(tw, "time to scale up\t%s\t%s\t%s\n", fmtUp(twin.TimeToScaleUp), fmtUp(kind.TimeToScaleUp), gapUp(twin.TimeToScaleUp, kind.TimeToScaleUp))
	fmt.Fprintf(tw, "p99 TTFT\t%.3fs\t%.3fs\t%+.3fs\n", twin.P99TTFT, kind.P99TTFT, kind.P99TTFT-twin.P99TTFT)
	fmt.Fprintf(tw, "SLO attainment\t%.2f%%\t%.2f%%\t%+.2f pts\n", 100*twin.Attainment, 100*kind.Attainment, 100*(kind.Attainment-twin.Attainment))
	fmt.Fprintf(tw, "GPU-hours\t%.4f\t%.4f\t%+.4f\n", twin.GPUHours, kind.GPUHours, kind.GPUHours-twin.GPUHours)
	return tw.Flush()
}

func fmtUp(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return d.Round(100 * time.Millisecond).String()
}

func gapUp(a, b time.Duration) string {
	if a < 0 || b < 0 {
		return "n/a"
	}
	d := (b - a).Round(100 * time.Millisecond)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}
