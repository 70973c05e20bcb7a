package traces

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// Formats.
const (
	Azure    = "azure"
	BurstGPT = "burstgpt"
	Mooncake = "mooncake"
)

// Formats lists the supported format names.
var Formats = []string{Azure, BurstGPT, Mooncake}

// MaxTokens bounds token counts in a record; larger values are reported as errors.
const MaxTokens = 1 << 24

// MooncakeBlockTokens is the number of prompt tokens each Mooncake hash id stands for.
const MooncakeBlockTokens = 512

// Record is one request of a trace.
type Record struct {
	// Line is the 1-based line of the record in the file.
	Line int
	// Offset is the record's time since the first record of the file (>= 0, non-decreasing).
	Offset time.Duration
	// PromptTokens and OutputTokens as given by the trace (>= 0).
	PromptTokens, OutputTokens int
	// HashIDs are Mooncake's prompt block hashes (one per MooncakeBlockTokens tokens; equal
	// leading ids mean a shared prefix); nil for the other formats.
	HashIDs []int64
}

// Reader yields the records of a trace in file order; Next returns io.EOF after the last.
type Reader interface {
	Next() (Record, error)
}

// LineError is a problem at a line of a trace file.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// NewReader returns a reader of the given format over r.
func NewReader(format string, r io.Reader) (Reader, error) {
	switch format {
	case Azure:
		return NewAzureReader(r), nil
	case BurstGPT:
		return NewBurstGPTReader(r), nil
	case Mooncake:
		return NewMooncakeReader(r), nil
	}
	return nil, fmt.Errorf("unknown trace format %q; supported: %s", format, strings.Join(Formats, ", "))
}

// File is a trace file open for reading.
type File struct {
	Reader
	f    io.Closer
	path string
}

// Open opens a trace file of the given format. Errors from Next carry the path and line.
func Open(format, path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s trace: %w", format, err)
	}
	return newFile(format, path, f)
}

// OpenFS is Open for a file in fsys (e.g. an embedded library).
func OpenFS(fsys fs.FS, format, name string) (*File, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("opening %s trace: %w", format, err)
	}
	return newFile(format, name, f)
}

func newFile(format, path string, f io.ReadCloser) (*File, error) {
	r, err := NewReader(format, bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		f.Close()
		return nil, err
	}
	return &File{Reader: r, f: f, path: path}, nil
}

// Next returns the next record; errors name the file and line.
func (f *File) Next() (Record, error) {
	rec, err := f.Reader.Next()
	if err != nil && !errors.Is(err, io.EOF) {
		return rec, fmt.Errorf("reading %s: %w", f.path, err)
	}
	return rec, err
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// ReadAll reads every record (for tests and small traces).
func ReadAll(r Reader) ([]Record, error) {
	var out []Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

// clock turns absolute timestamps into offsets from the first one and rejects time going
// backwards.
type clock struct {
	started bool
	first   time.Duration
	last    time.Duration
}

func (c *clock) offset(ts time.Duration) (time.Duration, error) {
	if !c.started {
		c.started, c.first, c.last = true, ts, ts
	}
	if ts < c.last {
		return 0, fmt.Errorf("timestamp goes back in time (%s before the previous record); traces must be sorted by time", c.last-ts)
	}
	c.last = ts
	return ts - c.first, nil
}

func checkTokens(name string, n int64) (int, error) {
	if n < 0 || n > MaxTokens {
		return 0, fmt.Errorf("%s %d out of range [0, %d]", name, n, MaxTokens)
	}
	return int(n), nil
}
