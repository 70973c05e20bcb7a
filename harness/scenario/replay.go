package scenario

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/traces"
)

// replay turns trace records into requests: offsets are multiplied by timeScale, and
// rateMultiplier decides how many copies of each record are emitted (a running sum, so 0.5
// keeps every other record and 2 emits two), copies spread evenly towards the next record.
type replay struct {
	f      *traces.File
	scale  float64
	mult   float64
	stream bool
	class  string
	// shared counts Mooncake hash ids over the whole file (first pass): a leading block is a
	// shared prefix when another request has it too.
	shared map[int64]int32

	cur, next         traces.Record
	haveCur, haveNext bool
	copies, emitted   int
	acc               float64
}

// TracePath resolves the trace file of a scenario relative to the scenario's directory (in
// s.FS when set).
func TracePath(s *Scenario) string {
	p := s.Spec.Traffic.Trace.Path
	if s.FS != nil {
		return path.Join(path.Dir(s.Source), p)
	}
	if filepath.IsAbs(p) || s.Source == "" {
		return p
	}
	return filepath.Join(filepath.Dir(s.Source), p)
}

// openTrace opens a scenario's trace file.
func openTrace(s *Scenario) (*traces.File, error) {
	tr := s.Spec.Traffic.Trace
	if s.FS != nil {
		return traces.OpenFS(s.FS, tr.Format, TracePath(s))
	}
	return traces.Open(tr.Format, TracePath(s))
}

func newReplay(s *Scenario, _ uint64) (*replay, error) {
	tr := s.Spec.Traffic.Trace
	r := &replay{scale: tr.TimeScale, mult: tr.RateMultiplier, stream: tr.Stream, class: tr.Class}
	if r.scale <= 0 {
		r.scale = 1
	}
	if r.mult <= 0 {
		r.mult = 1
	}
	if tr.Format == traces.Mooncake {
		shared, err := countHashIDs(s)
		if err != nil {
			return nil, fmt.Errorf("spec.traffic.trace: %w", err)
		}
		r.shared = shared
	}
	f, err := openTrace(s)
	if err != nil {
		return nil, fmt.Errorf("spec.traffic.trace: %w", err)
	}
	r.f = f
	return r, nil
}

func countHashIDs(s *Scenario) (map[int64]int32, error) {
	f, err := openTrace(s)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	counts := map[int64]int32{}
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			return counts, nil
		}
		if err != nil {
			return nil, err
		}
		for _, h := range rec.HashIDs {
			if counts[h] < math.MaxInt32 {
				counts[h]++
			}
		}
	}
}

func (r *replay) close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// read fetches the next record into r.next.
func (r *replay) read() error {
	rec, err := r.f.Next()
	if errors.Is(err, io.EOF) {
		r.haveNext = false
		return nil
	}
	if err != nil {
		return err
	}
	r.next, r.haveNext = rec, true
	return nil
}

// advance moves to the next record and decides its number of copies; false at the end.
func (r *replay) advance() (bool, error) {
	if !r.haveCur && !r.haveNext { // first call
		if err := r.read(); err != nil {
			return false, err
		}
	}
	if !r.haveNext {
		return false, nil
	}
	r.cur, r.haveCur = r.next, true
	if err := r.read(); err != nil {
		return false, err
	}
	before := math.Floor(r.acc)
	r.acc += r.mult
	r.copies, r.emitted = int(math.Floor(r.acc)-before), 0
	return true, nil
}

func (g *Generator) nextReplay() (Request, bool) {
	r := g.replay
	for r.emitted >= r.copies {
		ok, err := r.advance()
		if err != nil {
			g.err = err
			return Request{}, false
		}
		if !ok {
			return Request{}, false
		}
	}
	base := float64(r.cur.Offset) * r.scale
	if r.emitted > 0 && r.haveNext {
		gap := float64(r.next.Offset-r.cur.Offset) * r.scale
		base += gap * float64(r.emitted) / float64(r.copies)
	}
	r.emitted++
	if base >= float64(g.duration) {
		return Request{}, false
	}
	prompt, output := g.clampLengths(r.cur.PromptTokens, r.cur.OutputTokens)
	req := Request{Arrival: time.Duration(base), Class: r.class, PromptTokens: prompt, OutputTokens: output, Stream: r.stream}
	if ids := r.cur.HashIDs; len(ids) > 0 && r.shared != nil {
		run := 0
		for run < len(ids) && r.shared[ids[run]] >= 2 {
			run++
		}
		if run > 0 {
			req.PrefixGroup = "mooncake/" + strconv.FormatInt(ids[0], 10)
			req.PrefixTokens = min(run*traces.MooncakeBlockTokens, prompt)
		}
	}
	return req, true
}
