package load

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
)

// Result is what the replayer observed for one request. Times are offsets from the
// start of the replay; FirstToken and Finish are zero when the event was not observed.
// Arrival is the scheduled arrival: every latency counts from it.
type Result struct {
	ID     int64
	Class  string
	Phase  string
	Stream bool
	Status record.Status
	Error  string
	// Code is the HTTP status (0 when no response arrived).
	Code       int
	Arrival    time.Duration
	Sent       time.Duration
	FirstToken time.Duration
	Finish     time.Duration
	// PromptTokens and OutputTokens are the server's usage counts when it reported them,
	// else the requested prompt length and the number of content chunks received.
	PromptTokens int
	OutputTokens int
	// MaxITL is the largest gap between consecutive content chunks (streaming only).
	MaxITL time.Duration
	// Replica is the serving pod when the server names it (X-Saturn-Replica header).
	Replica string
}

// Lag is how late the request left after its scheduled arrival.
func (r *Result) Lag() time.Duration { return r.Sent - r.Arrival }

// Record converts the result to a harness/record row.
func (r *Result) Record() record.Request {
	out := record.Request{
		ID:           r.ID,
		Class:        r.Class,
		Phase:        r.Phase,
		Replica:      r.Replica,
		Stream:       r.Stream,
		Status:       r.Status,
		Error:        r.Error,
		Arrival:      r.Arrival,
		FirstToken:   r.FirstToken,
		Finish:       r.Finish,
		PromptTokens: int32(min(r.PromptTokens, 1<<31-1)),
		OutputTokens: int32(min(r.OutputTokens, 1<<31-1)),
		MaxITL:       r.MaxITL,
	}
	if r.Status == record.StatusOK && r.OutputTokens > 1 && r.FirstToken > 0 && r.Finish > r.FirstToken {
		out.MeanITL = (r.Finish - r.FirstToken) / time.Duration(r.OutputTokens-1)
	}
	return out
}

// wireResult is one JSON line. The "t" marker lets DecodeResults skip log lines that
// share the stream (a Job's log mixes stdout and stderr).
type wireResult struct {
	Type         string `json:"t"`
	ID           int64  `json:"id"`
	Class        string `json:"class,omitempty"`
	Phase        string `json:"phase,omitempty"`
	Stream       bool   `json:"stream,omitempty"`
	Status       string `json:"status"`
	Error        string `json:"error,omitempty"`
	Code         int    `json:"code,omitempty"`
	ArrivalUS    int64  `json:"arrival_us"`
	SentUS       int64  `json:"sent_us"`
	FirstTokenUS int64  `json:"first_token_us,omitempty"`
	FinishUS     int64  `json:"finish_us,omitempty"`
	PromptTokens int    `json:"prompt_tokens"`
	OutputTokens int    `json:"output_tokens"`
	MaxITLUS     int64  `json:"max_itl_us,omitempty"`
	Replica      string `json:"replica,omitempty"`
}

const (
	wireType      = "saturn.request"
	wireStartType = "saturn.start"
)

// wireStart is the line announcing the replay's start instant, which every offset
// counts from; it lets a harness align the records with its own samples.
type wireStart struct {
	Type     string `json:"t"`
	UnixNano int64  `json:"unix_ns"`
}

// EncodeStart appends the start line of a replay that started at start.
func EncodeStart(dst []byte, start time.Time) []byte {
	b, _ := json.Marshal(wireStart{Type: wireStartType, UnixNano: start.UnixNano()})
	dst = append(dst, b...)
	return append(dst, '\n')
}

// ParseStart returns the start instant a replay's start line (EncodeStart) announces;
// false for any other line.
func ParseStart(line []byte) (time.Time, bool) {
	b := bytes.TrimSpace(line)
	if len(b) == 0 || b[0] != '{' || !bytes.Contains(b, []byte(`"t":"`+wireStartType+`"`)) {
		return time.Time{}, false
	}
	var ws wireStart
	if err := json.Unmarshal(b, &ws); err != nil || ws.Type != wireStartType || ws.UnixNano == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, ws.UnixNano), true
}

// EncodeResult appends r as one JSON line to dst.
func EncodeResult(dst []byte, r *Result) []byte {
	w := wireResult{
		Type: wireType, ID: r.ID, Class: r.Class, Phase: r.Phase, Stream: r.Stream,
		Status: r.Status.String(), Error: r.Error, Code: r.Code,
		ArrivalUS: r.Arrival.Microseconds(), SentUS: r.Sent.Microseconds(),
		FirstTokenUS: r.FirstToken.Microseconds(), FinishUS: r.Finish.Microseconds(),
		PromptTokens: r.PromptTokens, OutputTokens: r.OutputTokens,
		MaxITLUS: r.MaxITL.Microseconds(), Replica: r.Replica,
	}
	b, err := json.Marshal(&w)
	if err != nil { // unreachable: every field is a plain value
		return dst
	}
	dst = append(dst, b...)
	return append(dst, '\n')
}

func parseStatus(s string) (record.Status, bool) {
	for _, st := range []record.Status{record.StatusOK, record.StatusError, record.StatusLost} {
		if st.String() == s {
			return st, true
		}
	}
	return 0, false
}

// Replay is what a replay printed: its start instant (zero when it printed none) and
// one result per request.
type Replay struct {
	Start   time.Time
	Results []Result
}

// DecodeResults reads the result lines of r; see DecodeReplay.
func DecodeResults(r io.Reader) ([]Result, error) {
	rp, err := DecodeReplay(r)
	return rp.Results, err
}

// DecodeReplay reads the start and result lines of r, skipping every other line (log
// lines, blank lines). A line that carries a marker but does not decode is an error
// naming its line number.
func DecodeReplay(r io.Reader) (Replay, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var rp Replay
	marker := []byte(`"t":"` + wireType + `"`)
	startMarker := []byte(`"t":"` + wireStartType + `"`)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] != '{' {
			continue
		}
		if bytes.Contains(b, startMarker) {
			var ws wireStart
			if err := json.Unmarshal(b, &ws); err != nil {
				return rp, fmt.Errorf("decoding replay start on line %d: %w", line, err)
			}
			rp.Start = time.Unix(0, ws.UnixNano)
			continue
		}
		if !bytes.Contains(b, marker) {
			continue
		}
		var w wireResult
		if err := json.Unmarshal(b, &w); err != nil {
			return rp, fmt.Errorf("decoding request result on line %d: %w", line, err)
		}
		if w.Type != wireType {
			continue
		}
		st, ok := parseStatus(w.Status)
		if !ok {
			return rp, fmt.Errorf("decoding request result on line %d: unknown status %q", line, w.Status)
		}
		rp.Results = append(rp.Results, Result{
			ID: w.ID, Class: w.Class, Phase: w.Phase, Stream: w.Stream, Status: st, Error: w.Error,
			Code: w.Code, Arrival: us(w.ArrivalUS), Sent: us(w.SentUS), FirstToken: us(w.FirstTokenUS),
			Finish: us(w.FinishUS), PromptTokens: w.PromptTokens, OutputTokens: w.OutputTokens,
			MaxITL: us(w.MaxITLUS), Replica: w.Replica,
		})
	}
	if err := sc.Err(); err != nil {
		return rp, fmt.Errorf("reading request results: %w", err)
	}
	return rp, nil
}

func us(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
