package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/realtime"
	"github.com/saturn-autoscaler/saturn/simulator/vllmmetrics"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBuffer bounds the buffers kept in bufPool.
const maxPooledBuffer = 1 << 20

// readBody reads at most the configured number of bytes into buf (a pooled
// buffer), growing it as needed. A read past the connection's read deadline
// (--body-read-timeout) is a 408.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, buf []byte) ([]byte, *APIError) {
	limit := s.cfg.MaxRequestBodyBytes
	if r.ContentLength > limit {
		return nil, newError(http.StatusRequestEntityTooLarge, "", "The request body is %d bytes; the limit is %d bytes (--max-request-body-bytes).", r.ContentLength, limit)
	}
	if r.ContentLength > int64(cap(buf)) {
		buf = make([]byte, 0, r.ContentLength+1)
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, newError(http.StatusRequestEntityTooLarge, "", "The request body exceeds the limit of %d bytes (--max-request-body-bytes).", limit)
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil, newError(http.StatusRequestTimeout, "", "Reading the request body took too long (--body-read-timeout); %d bytes arrived.", len(buf))
			}
			return nil, badRequest("", "Reading the request body failed: %v.", err)
		}
	}
}

func (s *Server) serveGeneration(w http.ResponseWriter, r *http.Request, chat bool) {
	arrival := s.clk.Now()
	if r.Method != http.MethodPost {
		WriteError(w, newError(http.StatusMethodNotAllowed, "", "Method %s is not allowed on %s; use POST.", r.Method, r.URL.Path))
		return
	}
	if !s.ready() {
		WriteError(w, newError(http.StatusServiceUnavailable, "", "The model is still loading (--startup-delay); retry when /health answers 200."))
		return
	}
	bp := bufPool.Get().(*[]byte)
	body, apiErr := s.readBody(w, r, (*bp)[:0])
	if apiErr != nil {
		bufPool.Put(bp)
		WriteError(w, apiErr)
		return
	}
	j, apiErr := s.decodeJob(body, chat)
	if cap(body) <= maxPooledBuffer {
		*bp = body[:0]
	}
	bufPool.Put(bp)
	if apiErr != nil {
		WriteError(w, apiErr)
		return
	}
	if apiErr := s.injectFault(); apiErr != nil {
		WriteError(w, apiErr)
		if s.crashPending.CompareAndSwap(true, false) && s.cfg.Faults.Crash != nil {
			_ = http.NewResponseController(w).Flush()
			s.cfg.Faults.Crash()
		}
		return
	}
	if wait := s.cfg.Faults.SlowUntil.Sub(s.clk.Now()); wait > 0 {
		select {
		case <-s.clk.After(wait):
		case <-r.Context().Done():
			return
		}
	}
	g := &generation{s: s, job: j, id: s.newID(chat), arrival: arrival, notify: make(chan struct{}, 1)}
	if apiErr := g.submit(r.Context()); apiErr != nil {
		WriteError(w, apiErr)
		return
	}
	if j.stream {
		g.stream(w, r)
	} else {
		g.collect(w, r)
	}
}

func (s *Server) decodeJob(body []byte, chat bool) (*job, *APIError) {
	if chat {
		req, apiErr := s.limits.decodeChat(body)
		if apiErr != nil {
			return nil, apiErr
		}
		model, apiErr := s.resolveModel(req.Model)
		if apiErr != nil {
			return nil, apiErr
		}
		return s.limits.chatJob(req, model)
	}
	req, apiErr := s.limits.decodeCompletion(body)
	if apiErr != nil {
		return nil, apiErr
	}
	model, apiErr := s.resolveModel(req.Model)
	if apiErr != nil {
		return nil, apiErr
	}
	return s.limits.completionJob(req, model)
}

// generation is one request in flight.
type generation struct {
	s       *Server
	job     *job
	id      string
	arrival time.Time
	notify  chan struct{}
	seqs    []seqState
}

type seqState struct {
	seq      sequence
	stream   *realtime.Stream
	engineID string
	sent     int       // tokens written (or collected)
	lastSend time.Time // when the latest token went out
	done     bool
}

func (g *generation) submit(ctx context.Context) *APIError {
	g.seqs = make([]seqState, len(g.job.seqs))
	for i, seq := range g.job.seqs {
		engineID := g.id
		if len(g.job.seqs) > 1 {
			engineID += "-" + strconv.Itoa(seq.index)
		}
		st, err := g.s.cfg.Backend.Submit(ctx, engine.Request{
			ID:           engineID,
			PromptTokens: seq.promptTokens,
			OutputTokens: seq.outputTokens,
			Stop:         seq.finishReason == engine.FinishStop,
			PrefixGroup:  seq.prefixGroup,
			PrefixTokens: seq.prefixTokens,
		}, g.notify)
		if err != nil {
			g.abort(i)
			return submitError(err, seq)
		}
		g.seqs[i] = seqState{seq: seq, stream: st, engineID: engineID}
	}
	return nil
}

func submitError(err error, seq sequence) *APIError {
	switch {
	case errors.Is(err, engine.ErrPromptTooLong), errors.Is(err, engine.ErrExceedsKVCache), errors.Is(err, engine.ErrInvalidRequest):
		return badRequest("prompt", "The request cannot be served: %v (prompt %d tokens, output %d tokens).", err, seq.promptTokens, seq.outputTokens)
	case errors.Is(err, realtime.ErrStopped), errors.Is(err, context.Canceled):
		return newError(http.StatusServiceUnavailable, "", "The server is shutting down.")
	default:
		return newError(http.StatusInternalServerError, "", "Submitting the request to the engine failed: %v.", err)
	}
}

// abort aborts the first n sequences (or all, n < 0) that are not done.
func (g *generation) abort(n int) {
	if n < 0 {
		n = len(g.seqs)
	}
	for i := 0; i < n; i++ {
		if g.seqs[i].stream != nil && !g.seqs[i].done {
			g.s.cfg.Backend.Abort(g.seqs[i].engineID)
		}
	}
}

// update is one sequence's change since the previous wake-up.
type update struct {
	i        int
	newFrom  int // first token index not yet sent
	newTo    int // one past the last released token
	finished bool
	reason   string
	err      error
	stats    engine.RequestStats
}

// poll collects what changed in every unfinished sequence.
func (g *generation) poll(dst []update) []update {
	for i := range g.seqs {
		st := &g.seqs[i]
		if st.done {
			continue
		}
		p := st.stream.Progress()
		tokens := min(p.Tokens, st.seq.outputTokens)
		if tokens == st.sent && !p.Done {
			continue
		}
		u := update{i: i, newFrom: st.sent, newTo: tokens}
		if p.Done {
			u.finished, u.reason, u.err, u.stats = true, p.Reason, p.Err, p.Stats
			if u.err == nil && u.reason != engine.FinishAbort {
				// A finished sequence has all its tokens, whatever the engine
				// reported last.
				u.newTo = st.seq.outputTokens
				u.reason = st.seq.finishReason
			}
		}
		dst = append(dst, u)
	}
	return dst
}

// record observes the metrics of updates sent at now.
func (g *generation) record(updates []update, now time.Time) {
	m := g.s.cfg.Metrics
	for _, u := range updates {
		st := &g.seqs[u.i]
		for k := u.newFrom; k < u.newTo; k++ {
			switch {
			case k == 0:
				m.ObserveFirstToken(now.Sub(g.arrival))
			case k == u.newFrom:
				m.ObserveInterToken(now.Sub(st.lastSend))
			default:
				m.ObserveInterToken(0)
			}
		}
		if u.newTo > u.newFrom {
			st.lastSend = now
			st.sent = u.newTo
		}
		if u.finished {
			st.done = true
			reason := u.reason
			if u.err != nil {
				reason = "error"
			}
			obs := vllmmetrics.FromEngineRequest(reason, u.stats, g.job.maxTokens)
			obs.E2E = now.Sub(g.arrival)
			obs.PromptTokens = st.seq.promptTokens
			obs.GenerationTokens = st.sent
			obs.N = g.job.n
			m.ObserveFinished(obs)
			if g.job.n > 1 {
				g.observeSampling(m, st.seq.index/g.job.n)
			}
			if g.s.cfg.CountTokens {
				m.AddTokens(st.seq.promptTokens, st.sent)
			}
		}
	}
}

// observeSampling records vllm:request_params_n and
// vllm:request_max_num_generation_tokens once for prompt p of a request of
// n > 1 samples, when its last sample finished (as vLLM's ParentRequest).
func (g *generation) observeSampling(m *vllmmetrics.Metrics, p int) {
	longest := 0
	for i := range g.seqs {
		st := &g.seqs[i]
		if st.seq.index/g.job.n != p {
			continue
		}
		if !st.done {
			return
		}
		longest = max(longest, st.sent)
	}
	m.ObserveParallelSampling(g.job.n, longest)
}

// wait blocks until a stream changed or the client went away.
func (g *generation) wait(ctx context.Context) bool {
	select {
	case <-g.notify:
		return true
	case <-ctx.Done():
		return false
	}
}

func (g *generation) allDone() bool {
	for i := range g.seqs {
		if !g.seqs[i].done {
			return false
		}
	}
	return true
}

// clientGone aborts what is left and counts it as aborted.
func (g *generation) clientGone() {
	g.abort(-1)
	now := g.s.clk.Now()
	var aborted []update
	for i := range g.seqs {
		if !g.seqs[i].done {
			aborted = append(aborted, update{i: i, newFrom: g.seqs[i].sent, newTo: g.seqs[i].sent, finished: true, reason: engine.FinishAbort})
		}
	}
	g.record(aborted, now)
}

func (g *generation) header() header {
	h := header{id: g.id, object: "text_completion", created: g.arrival.Unix(), model: g.job.model}
	if g.job.chat {
		h.object = "chat.completion"
	}
	return h
}

func (g *generation) usage() usage {
	var u usage
	for i := range g.seqs {
		st := &g.seqs[i]
		// Prompt tokens count once per prompt, not once per sample.
		if st.seq.index%g.job.n == 0 {
			u.prompt += st.seq.promptTokens
		}
		u.completion += st.sent
	}
	return u
}
