package traces

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// AzureHeader and BurstGPTHeader are the header rows the CSV readers expect.
var (
	AzureHeader    = []string{"TIMESTAMP", "ContextTokens", "GeneratedTokens"}
	BurstGPTHeader = []string{"Timestamp", "Session ID", "Elapsed time", "Model", "Request tokens", "Response tokens", "Total tokens", "Log Type"}
)

// Timestamp layouts of the Azure LLM inference traces (2023: 7 fractional digits, no zone;
// later releases may carry a zone offset).
var azureLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", time.RFC3339Nano}

// csvReader reads a CSV trace with a fixed header.
type csvReader struct {
	r      *csv.Reader
	header []string
	parse  func(fields []string) (ts time.Duration, prompt, output int64, err error)
	clock  clock
	seen   bool
}

func newCSVReader(r io.Reader, header []string, parse func([]string) (time.Duration, int64, int64, error)) *csvReader {
	cr := csv.NewReader(&lineLimiter{r: r, max: maxLine})
	cr.FieldsPerRecord = len(header)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	return &csvReader{r: cr, header: header, parse: parse}
}

// NewAzureReader reads the Azure LLM inference trace CSV:
// TIMESTAMP,ContextTokens,GeneratedTokens with timestamps like 2023-11-16 18:17:03.9799600.
func NewAzureReader(r io.Reader) Reader {
	return newCSVReader(r, AzureHeader, func(f []string) (time.Duration, int64, int64, error) {
		ts, err := parseAzureTime(f[0])
		if err != nil {
			return 0, 0, 0, err
		}
		prompt, err := parseInt("ContextTokens", f[1])
		if err != nil {
			return 0, 0, 0, err
		}
		output, err := parseInt("GeneratedTokens", f[2])
		return ts, prompt, output, err
	})
}

// NewBurstGPTReader reads the BurstGPT CSV: Timestamp (seconds),Session ID,Elapsed time,
// Model,Request tokens,Response tokens,Total tokens,Log Type. Failed requests (0 response
// tokens) are kept as records with OutputTokens 0.
func NewBurstGPTReader(r io.Reader) Reader {
	return newCSVReader(r, BurstGPTHeader, func(f []string) (time.Duration, int64, int64, error) {
		sec, err := strconv.ParseFloat(strings.TrimSpace(f[0]), 64)
		if err != nil || math.IsNaN(sec) || math.IsInf(sec, 0) || sec < 0 || sec > 1e9 {
			return 0, 0, 0, fmt.Errorf("Timestamp %q: expected seconds >= 0", f[0])
		}
		prompt, err := parseInt("Request tokens", f[4])
		if err != nil {
			return 0, 0, 0, err
		}
		output, err := parseInt("Response tokens", f[5])
		return time.Duration(sec * float64(time.Second)), prompt, output, err
	})
}

func parseAzureTime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for _, layout := range azureLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1971 || t.Year() > 2200 {
				break
			}
			return time.Duration(t.UnixNano()), nil
		}
	}
	return 0, fmt.Errorf("TIMESTAMP %q: expected a time like 2023-11-16 18:17:03.9799600", s)
}

func parseInt(name, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q: expected an integer", name, s)
	}
	if _, err := checkTokens(name, n); err != nil {
		return 0, err
	}
	return n, nil
}

func (c *csvReader) Next() (Record, error) {
	for {
		fields, err := c.r.Read()
		if errors.Is(err, io.EOF) {
			if !c.seen {
				return Record{}, &LineError{Line: 1, Err: fmt.Errorf("empty trace; expected the header %s", strings.Join(c.header, ","))}
			}
			return Record{}, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Record{}, &LineError{Line: pe.Line, Err: fmt.Errorf("%w (expected %d columns: %s)", pe.Err, len(c.header), strings.Join(c.header, ","))}
			}
			return Record{}, fmt.Errorf("reading CSV trace: %w", err)
		}
		line, _ := c.r.FieldPos(0)
		if !c.seen {
			c.seen = true
			if !sameHeader(fields, c.header) {
				return Record{}, &LineError{Line: line, Err: fmt.Errorf("header %q; expected %s", strings.Join(fields, ","), strings.Join(c.header, ","))}
			}
			continue
		}
		ts, prompt, output, err := c.parse(fields)
		if err != nil {
			return Record{}, &LineError{Line: line, Err: err}
		}
		off, err := c.clock.offset(ts)
		if err != nil {
			return Record{}, &LineError{Line: line, Err: err}
		}
		return Record{Line: line, Offset: off, PromptTokens: int(prompt), OutputTokens: int(output)}, nil
	}
}

func sameHeader(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g := strings.TrimSpace(strings.TrimPrefix(got[i], "\ufeff"))
		if !strings.EqualFold(g, want[i]) {
			return false
		}
	}
	return true
}

// lineLimiter fails a read once a line grows past max bytes, so a file without newlines
// (or a device like /dev/zero) cannot exhaust memory in the CSV reader.
type lineLimiter struct {
	r    io.Reader
	max  int
	line int // bytes since the last newline
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if i := bytes.LastIndexByte(p[:n], '\n'); i >= 0 {
		l.line = n - i - 1
	} else {
		l.line += n
	}
	if l.line > l.max {
		return n, fmt.Errorf("line longer than %d bytes", l.max)
	}
	return n, err
}
