package traces

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// maxLine bounds one JSONL line (long prompts carry thousands of hash ids).
const maxLine = 16 << 20

// MooncakeReader reads Mooncake JSONL traces: one object per line,
// {"timestamp": <ms>, "input_length": N, "output_length": N, "hash_ids": [...]}.
// Blank lines are skipped; other fields are ignored.
type MooncakeReader struct {
	s     *bufio.Scanner
	line  int
	clock clock
}

// NewMooncakeReader returns a reader over r.
func NewMooncakeReader(r io.Reader) *MooncakeReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), maxLine)
	return &MooncakeReader{s: s}
}

type mooncakeLine struct {
	Timestamp    *float64 `json:"timestamp"`
	InputLength  *int64   `json:"input_length"`
	OutputLength *int64   `json:"output_length"`
	HashIDs      []int64  `json:"hash_ids"`
}

// Next returns the next record.
func (m *MooncakeReader) Next() (Record, error) {
	for m.s.Scan() {
		m.line++
		b := bytes.TrimSpace(m.s.Bytes())
		if len(b) == 0 {
			continue
		}
		rec, err := m.parse(b)
		if err != nil {
			return Record{}, &LineError{Line: m.line, Err: err}
		}
		return rec, nil
	}
	if err := m.s.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Record{}, &LineError{Line: m.line + 1, Err: fmt.Errorf("line longer than %d bytes", maxLine)}
		}
		return Record{}, fmt.Errorf("reading Mooncake trace: %w", err)
	}
	return Record{}, io.EOF
}

func (m *MooncakeReader) parse(b []byte) (Record, error) {
	var l mooncakeLine
	if err := json.Unmarshal(b, &l); err != nil {
		return Record{}, fmt.Errorf("expected a JSON object {\"timestamp\", \"input_length\", \"output_length\", \"hash_ids\"}: %w", err)
	}
	switch {
	case l.Timestamp == nil:
		return Record{}, errors.New("missing \"timestamp\" (milliseconds)")
	case l.InputLength == nil:
		return Record{}, errors.New("missing \"input_length\"")
	case l.OutputLength == nil:
		return Record{}, errors.New("missing \"output_length\"")
	}
	ms := *l.Timestamp
	if math.IsNaN(ms) || ms < 0 || ms > 9e12 { // 9e12 ms (285 years) still fits a time.Duration
		return Record{}, fmt.Errorf("timestamp %g: expected milliseconds in [0, 9e12]", ms)
	}
	prompt, err := checkTokens("input_length", *l.InputLength)
	if err != nil {
		return Record{}, err
	}
	output, err := checkTokens("output_length", *l.OutputLength)
	if err != nil {
		return Record{}, err
	}
	if len(l.HashIDs) > MaxTokens/MooncakeBlockTokens+1 {
		return Record{}, fmt.Errorf("%d hash_ids is more than input_length could need", len(l.HashIDs))
	}
	off, err := m.clock.offset(time.Duration(ms * float64(time.Millisecond)))
	if err != nil {
		return Record{}, err
	}
	return Record{Line: m.line, Offset: off, PromptTokens: prompt, OutputTokens: output, HashIDs: l.HashIDs}, nil
}
