package scenario

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/arrivals"
)

// Random streams: arrivals and request attributes draw from separate PCG streams of the same
// seed, so changing a length distribution does not move arrivals.
const (
	streamArrivals   = 0x6172726976616c73 // "arrivals"
	streamAttributes = 0x6174747269627574 // "attribut"
)

// Requests streams the requests a scenario generates with the given seed (use
// s.Spec.Seed for the scenario's own). The sequence is deterministic. A trace that fails to
// read ends the sequence with one (zero Request, error) pair.
func Requests(s *Scenario, seed uint64) iter.Seq2[Request, error] {
	return func(yield func(Request, error) bool) {
		g, err := NewGenerator(s, seed)
		if err != nil {
			yield(Request{}, err)
			return
		}
		defer g.Close()
		for {
			r, ok := g.Next()
			if !ok {
				break
			}
			if !yield(r, nil) {
				return
			}
		}
		if err := g.Err(); err != nil {
			yield(Request{}, err)
		}
	}
}

// Generator pulls a scenario's requests one at a time, in arrival order.
type Generator struct {
	duration time.Duration
	maxLen   int
	attrs    *rand.Rand

	// Synthetic traffic.
	stream  *arrivals.Stream
	classes []classGen
	cum     []float64 // cumulative class shares

	// Trace replay.
	replay *replay

	phaseEnds  []time.Duration
	phaseNames []string
	phase      int

	nextID int64
	err    error
	done   bool
}

type classGen struct {
	name         string
	prompt       *arrivals.Dist
	output       *arrivals.Dist
	stream       bool
	groups       []string
	prefixTokens int
}

// NewGenerator prepares the request stream of a loaded (defaulted, valid) scenario. Close it
// when done to release a trace file.
func NewGenerator(s *Scenario, seed uint64) (*Generator, error) {
	sp := &s.Spec
	if sp.Duration <= 0 {
		return nil, errors.New("generating requests: spec.duration must be > 0")
	}
	g := &Generator{
		duration: sp.Duration,
		maxLen:   sp.MaxModelLen(),
		attrs:    rand.New(rand.NewPCG(seed, streamAttributes)),
	}
	if g.maxLen < 2 {
		g.maxLen = math.MaxInt32
	}
	var end time.Duration
	for _, p := range sp.Traffic.Phases {
		end += p.Duration
		g.phaseEnds = append(g.phaseEnds, end)
		g.phaseNames = append(g.phaseNames, p.Name)
	}
	if sp.Traffic.Trace != nil {
		r, err := newReplay(s, seed)
		if err != nil {
			return nil, err
		}
		g.replay = r
		return g, nil
	}
	sched, procs, err := Schedule(sp)
	if err != nil {
		return nil, err
	}
	g.stream, err = arrivals.NewStream(sched, procs, rand.New(rand.NewPCG(seed, streamArrivals)))
	if err != nil {
		return nil, fmt.Errorf("generating requests: %w", err)
	}
	total := 0.0
	for i, c := range sp.Traffic.Classes {
		cg, err := newClassGen(c)
		if err != nil {
			return nil, fmt.Errorf("generating requests: spec.traffic.classes[%d]: %w", i, err)
		}
		g.classes = append(g.classes, cg)
		total += c.Share
		g.cum = append(g.cum, total)
	}
	if len(g.classes) == 0 {
		return nil, errors.New("generating requests: no request classes")
	}
	for i := range g.cum {
		g.cum[i] /= total
	}
	return g, nil
}

// maxPrefixGroups bounds the group names built up front.
const maxPrefixGroups = 1 << 20

func newClassGen(c Class) (classGen, error) {
	cg := classGen{name: c.Name, stream: c.Stream}
	var err error
	if cg.prompt, err = arrivals.NewDist(c.Prompt.spec()); err != nil {
		return cg, fmt.Errorf("prompt: %w", err)
	}
	if cg.output, err = arrivals.NewDist(c.Output.spec()); err != nil {
		return cg, fmt.Errorf("output: %w", err)
	}
	if p := c.Prefix; p != nil {
		if p.Groups < 1 || p.Groups > maxPrefixGroups {
			return cg, fmt.Errorf("prefix.groups %d out of range [1, %d]", p.Groups, maxPrefixGroups)
		}
		cg.prefixTokens = p.Tokens
		cg.groups = make([]string, p.Groups)
		for i := range cg.groups {
			cg.groups[i] = c.Name + "/" + strconv.Itoa(i)
		}
	}
	return cg, nil
}

// spec converts a length distribution to the arrivals package's form.
func (l LengthDist) spec() arrivals.DistSpec {
	d := arrivals.DistSpec{Value: float64(l.Value), Min: float64(l.Min), Max: float64(l.Max), Mean: l.Mean, StdDev: l.StdDev}
	switch l.Type {
	case DistUniform:
		d.Kind = arrivals.Uniform
	case DistNormal:
		d.Kind = arrivals.Normal
	case DistLognormal:
		d.Kind = arrivals.LogNormal
	case DistEmpirical:
		d.Kind = arrivals.Empirical
		for _, v := range l.Values {
			d.Values = append(d.Values, float64(v.Value))
			d.Weights = append(d.Weights, v.Weight)
		}
	default:
		d.Kind = arrivals.Fixed
	}
	return d
}

// Next returns the next request; false when the run's traffic is over or reading a trace
// failed (see Err).
func (g *Generator) Next() (Request, bool) {
	if g.done {
		return Request{}, false
	}
	var r Request
	var ok bool
	if g.replay != nil {
		r, ok = g.nextReplay()
	} else {
		r, ok = g.nextSynthetic()
	}
	if !ok {
		g.done = true
		return Request{}, false
	}
	r.ID = g.nextID
	g.nextID++
	r.Phase = g.phaseAt(r.Arrival)
	return r, true
}

func (g *Generator) nextSynthetic() (Request, bool) {
	t, _, ok := g.stream.Next()
	if !ok {
		return Request{}, false
	}
	arrival := time.Duration(t * float64(time.Second))
	if arrival >= g.duration {
		return Request{}, false
	}
	c := &g.classes[0]
	if len(g.classes) > 1 {
		u := g.attrs.Float64()
		i := 0
		for i < len(g.cum)-1 && u >= g.cum[i] {
			i++
		}
		c = &g.classes[i]
	}
	prompt := c.prompt.SampleInt(g.attrs, 1, g.maxLen-1)
	output := c.output.SampleInt(g.attrs, 1, g.maxLen-prompt)
	r := Request{Arrival: arrival, Class: c.name, PromptTokens: prompt, OutputTokens: output, Stream: c.stream}
	if len(c.groups) > 0 {
		r.PrefixGroup = c.groups[g.attrs.IntN(len(c.groups))]
		r.PrefixTokens = min(c.prefixTokens, prompt)
	}
	return r, true
}

func (g *Generator) phaseAt(t time.Duration) string {
	for g.phase < len(g.phaseEnds) && t >= g.phaseEnds[g.phase] {
		g.phase++
	}
	if g.phase < len(g.phaseNames) {
		return g.phaseNames[g.phase]
	}
	return ""
}

// Err is the error that ended the stream early, if any.
func (g *Generator) Err() error { return g.err }

// Close releases the trace file of a replay.
func (g *Generator) Close() error {
	if g.replay != nil {
		return g.replay.close()
	}
	return nil
}

// clampLengths fits a request into the model's context: prompt in [1, maxLen-1], output in
// [1, maxLen-prompt].
func (g *Generator) clampLengths(prompt, output int) (int, int) {
	prompt = min(max(prompt, 1), g.maxLen-1)
	output = min(max(output, 1), g.maxLen-prompt)
	return prompt, output
}
