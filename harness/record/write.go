package record

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Output file names inside a run directory.
const (
	SummaryFile   = "summary.json"
	RequestsFile  = "requests.csv"
	TimelineFile  = "timeline.csv"
	ReplicasFile  = "replicas.csv"
	DecisionsFile = "decisions.jsonl"
)

// WriteDir writes summary.json, requests.csv, timeline.csv, replicas.csv and
// decisions.jsonl into dir, creating it if needed.
func WriteDir(dir string, rec *Record, sum *Summary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating output directory %s: %w", dir, err)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{SummaryFile, func(w io.Writer) error { return WriteSummaryJSON(w, sum) }},
		{RequestsFile, func(w io.Writer) error { return WriteRequestsCSV(w, rec) }},
		{TimelineFile, func(w io.Writer) error { return WriteTimelineCSV(w, rec) }},
		{ReplicasFile, func(w io.Writer) error { return WriteReplicasCSV(w, rec) }},
		{DecisionsFile, func(w io.Writer) error { return WriteDecisionsJSONL(w, rec) }},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return nil
}

// WriteSummaryJSON writes the summary as indented JSON.
func WriteSummaryJSON(w io.Writer, sum *Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sum)
}

// secs formats an offset as seconds with millisecond precision.
func secs(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, d.Seconds(), 'f', 3, 64)
}

// optSecs is secs, or an empty field for a zero offset (event absent).
func optSecs(b []byte, d time.Duration) []byte {
	if d == 0 {
		return b
	}
	return secs(b, d)
}

// RequestsHeader is the header row of requests.csv.
const RequestsHeader = "id,class,phase,variant,replica,stream,status,error,arrival_s,first_token_s,finish_s,ttft_s,e2e_s,prompt_tokens,output_tokens,cached_tokens,preemptions,mean_itl_s,max_itl_s\n"

// WriteRequestsCSV writes one row per request. Free-text fields are quoted
// when needed.
func WriteRequestsCSV(w io.Writer, rec *Record) error {
	if _, err := io.WriteString(w, RequestsHeader); err != nil {
		return err
	}
	b := make([]byte, 0, 256)
	for i := range rec.Requests {
		r := &rec.Requests[i]
		b = b[:0]
		b = strconv.AppendInt(b, r.ID, 10)
		b = append(b, ',')
		b = appendField(b, r.Class)
		b = append(b, ',')
		b = appendField(b, r.Phase)
		b = append(b, ',')
		b = appendField(b, r.Variant)
		b = append(b, ',')
		b = appendField(b, r.Replica)
		b = append(b, ',')
		b = strconv.AppendBool(b, r.Stream)
		b = append(b, ',')
		b = append(b, r.Status.String()...)
		b = append(b, ',')
		b = appendField(b, r.Error)
		b = append(b, ',')
		b = secs(b, r.Arrival)
		b = append(b, ',')
		b = optSecs(b, r.FirstToken)
		b = append(b, ',')
		b = optSecs(b, r.Finish)
		b = append(b, ',')
		b = optSecs(b, r.TTFT())
		b = append(b, ',')
		b = optSecs(b, r.E2E())
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(r.PromptTokens), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(r.OutputTokens), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(r.CachedTokens), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(r.Preemptions), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, r.MeanITL.Seconds(), 'f', 6, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, r.MaxITL.Seconds(), 'f', 6, 64)
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// appendField appends s as a CSV field, quoted when it holds a comma,
// quote or newline.
func appendField(b []byte, s string) []byte {
	quote := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == '"' || c == '\n' || c == '\r' {
			quote = true
			break
		}
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// TimelineHeader is the header row of timeline.csv.
const TimelineHeader = "time_s,variant,desired,ready,starting,draining,kv_mean,kv_max,running,waiting,arrival_rate\n"

// WriteTimelineCSV writes the replica timeline.
func WriteTimelineCSV(w io.Writer, rec *Record) error {
	if _, err := io.WriteString(w, TimelineHeader); err != nil {
		return err
	}
	b := make([]byte, 0, 128)
	for i := range rec.Timeline {
		p := &rec.Timeline[i]
		b = b[:0]
		b = secs(b, p.Time)
		b = append(b, ',')
		b = appendField(b, p.Variant)
		for _, n := range [...]int{p.Desired, p.Ready, p.Starting, p.Draining} {
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(n), 10)
		}
		b = append(b, ',')
		b = strconv.AppendFloat(b, p.KVMean, 'f', 4, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, p.KVMax, 'f', 4, 64)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(p.Running), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(p.Waiting), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, p.ArrivalRate, 'f', 3, 64)
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// ReplicasHeader is the header row of replicas.csv.
const ReplicasHeader = "time_s,variant,replica,kind,state,kv_usage,running,waiting\n"

// WriteReplicasCSV writes lifecycle events (kind "state") and per-replica
// metric samples (kind "sample") merged in time order.
func WriteReplicasCSV(w io.Writer, rec *Record) error {
	if _, err := io.WriteString(w, ReplicasHeader); err != nil {
		return err
	}
	b := make([]byte, 0, 128)
	i, j := 0, 0
	for i < len(rec.Lifecycle) || j < len(rec.Samples) {
		b = b[:0]
		if j >= len(rec.Samples) || (i < len(rec.Lifecycle) && rec.Lifecycle[i].Time <= rec.Samples[j].Time) {
			e := &rec.Lifecycle[i]
			i++
			b = secs(b, e.Time)
			b = append(b, ',')
			b = appendField(b, e.Variant)
			b = append(b, ',')
			b = appendField(b, e.Replica)
			b = append(b, ",state,"...)
			b = append(b, e.State...)
			b = append(b, ",,,\n"...)
		} else {
			s := &rec.Samples[j]
			j++
			b = secs(b, s.Time)
			b = append(b, ',')
			b = appendField(b, s.Variant)
			b = append(b, ',')
			b = appendField(b, s.Replica)
			b = append(b, ",sample,,"...)
			b = strconv.AppendFloat(b, s.KVUsage, 'f', 4, 64)
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(s.Running), 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(s.Waiting), 10)
			b = append(b, '\n')
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// WriteDecisionsJSONL writes one JSON object per controller decision. Map
// keys of the inputs are sorted by encoding/json, so output is stable.
func WriteDecisionsJSONL(w io.Writer, rec *Record) error {
	enc := json.NewEncoder(w)
	for i := range rec.Decisions {
		d := rec.Decisions[i]
		d.TimeSeconds = roundMillis(d.Time)
		d.Inputs = finiteInputs(d.Inputs)
		if err := enc.Encode(&d); err != nil {
			return fmt.Errorf("encoding decision %d: %w", i, err)
		}
	}
	return nil
}

// finiteInputs drops NaN and infinite inputs (JSON cannot hold them: an
// unknown figure is simply absent).
func finiteInputs(in map[string]float64) map[string]float64 {
	for _, v := range in {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out := make(map[string]float64, len(in))
			for k, v := range in {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					out[k] = v
				}
			}
			return out
		}
	}
	return in
}

func roundMillis(d time.Duration) float64 {
	return float64(d.Milliseconds()) / 1000
}
