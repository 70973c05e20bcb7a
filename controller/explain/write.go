package explain

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/collector"
)

// Write prints in as a human-readable report.
func Write(w io.Writer, in Input) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Model %s in namespace %s at %s\n\n", in.Model, in.Namespace, in.Now.UTC().Format("2006-01-02T15:04:05Z"))

	fmt.Fprintf(&b, "Metrics (%d PromQL queries)\n", in.Snapshot.Queries)
	if in.CollectErr != nil {
		fmt.Fprintf(&b, "  query errors: %v\n", in.CollectErr)
	}
	mm := in.Snapshot.Models[collector.ModelKey{Namespace: in.Namespace, ModelID: in.Model}]
	if mm == nil || len(mm.Pods) == 0 {
		b.WriteString("  no pod reports vllm:kv_cache_usage_perc for this model\n")
	} else {
		tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  POD\tKV USAGE\tWAITING\tRUNNING\tKV CAPACITY (tokens)\tLAST SAMPLE\tSTATUS")
		pods := make([]string, 0, len(mm.Pods))
		for p := range mm.Pods {
			pods = append(pods, p)
		}
		sort.Strings(pods)
		for _, name := range pods {
			p := mm.Pods[name]
			status := "ok"
			if ok, why := p.Complete(); !ok {
				status = why
			} else if p.KVUsage >= in.ModelConfig.KvCacheThreshold || p.Waiting >= in.ModelConfig.QueueLengthThreshold {
				status = "saturated"
			}
			age := "-"
			if !p.LastSample.IsZero() {
				age = in.Now.Sub(p.LastSample).Round(1e9).String() + " ago"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, pct(p.KVUsage), num(p.Waiting), num(p.Running), num(p.KVCapacityTokens), age, status)
		}
		_ = tw.Flush()
		fmt.Fprintf(&b, "  mean prompt tokens: %s, finished requests (activity window): %s, scale-from-zero queue: %s\n",
			num(mm.MeanPromptTokens), num(mm.FinishedRequests), num(mm.ScaleFromZeroWaiting))
	}

	mc := in.ModelConfig
	fmt.Fprintf(&b, "\nThresholds in force (%s)\n", mc.Source)
	fmt.Fprintf(&b, "  analyzer %s; kvCacheThreshold %.2f, queueLengthThreshold %g, kvSpareTrigger %.2f, queueSpareTrigger %g\n",
		mc.Analyzer, mc.KvCacheThreshold, mc.QueueLengthThreshold, mc.KvSpareTrigger, mc.QueueSpareTrigger)
	fmt.Fprintf(&b, "  stabilization: scale-up %s, scale-down %s; scale to zero %t (retention %s)\n",
		mc.ScaleUpStabilizationWindow, mc.ScaleDownStabilizationWindow, mc.ScaleToZero, mc.RetentionPeriod)
	fmt.Fprintf(&b, "  read from: %s\n", in.ConfigNote)

	fmt.Fprintf(&b, "\nDecision (%s)\n", in.ClusterNote)
	if len(in.Decisions) == 0 {
		b.WriteString("  none\n")
	}
	for _, d := range in.Decisions {
		fmt.Fprintf(&b, "  %s (%s): %d -> %d replicas [%s, %s]\n", d.Variant, d.Accelerator, d.Current, d.Desired, d.Action(), d.Analyzer)
		if !d.MetricsAvailable {
			fmt.Fprintf(&b, "    metrics unavailable (%s): %s\n", d.MetricsReason, d.MetricsMessage)
		}
		fmt.Fprintf(&b, "    why: %s\n", d.Reason)
	}
	if len(in.Decisions) > 0 {
		b.WriteString("  (computed now by a fresh planner, which remembers nothing but the ITL lines it fits on the last 30 minutes of Prometheus' history: a running controller may still hold a scale-down inside its stabilization window, and has learned its variants' saturation and load trend over its cycles)\n")
	}
	if len(in.Controller) > 0 {
		b.WriteString("\nThe running controller's last decision (VariantAutoscaling status)\n")
		for _, d := range in.Controller {
			fmt.Fprintf(&b, "  %s: %d replicas [%s] at %s (%s ago)\n", d.Variant, d.Replicas, d.Analyzer,
				d.At.UTC().Format(time.RFC3339), in.Now.Sub(d.At).Round(time.Second))
			if d.Reason != "" {
				fmt.Fprintf(&b, "    why: %s\n", d.Reason)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func pct(f float64) string {
	if math.IsNaN(f) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}

func num(f float64) string {
	if math.IsNaN(f) {
		return "-"
	}
	return fmt.Sprintf("%g", math.Round(f*100)/100)
}
