package server

import (
	"net/http"

	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

// stream writes tokens as SSE chunks as soon as they are released.
func (g *generation) stream(w http.ResponseWriter, r *http.Request) {
	flusher, _ := w.(http.Flusher)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush()
	}
	hdr := g.header()
	hdr.object = "text_completion"
	if g.job.chat {
		hdr.object = "chat.completion.chunk"
	}
	var updates []update
	buf := make([]byte, 0, 1024)
	var text []byte
	for !g.allDone() {
		if !g.wait(r.Context()) {
			g.clientGone()
			return
		}
		updates = g.poll(updates[:0])
		buf = buf[:0]
		var failed error
		for _, u := range updates {
			if u.err != nil {
				failed = u.err
				continue
			}
			st := &g.seqs[u.i]
			if u.newTo == u.newFrom && !u.finished {
				continue
			}
			if g.job.chat && u.newFrom == 0 && (u.newTo > 0 || u.finished) {
				buf = appendChunk(buf, hdr, true, chunk{index: st.seq.index, role: true}, g.job.includeUsage, g.continuousUsage(st, 0))
			}
			text = text[:0]
			for k := u.newFrom; k < u.newTo; k++ {
				text = tokenize.AppendToken(text, st.seq.textSeed, k)
			}
			c := chunk{index: st.seq.index, text: text}
			if u.finished {
				c.reason = u.reason
			}
			if g.job.chat && len(text) == 0 {
				c.text = nil
			}
			buf = appendChunk(buf, hdr, g.job.chat, c, g.job.includeUsage, g.continuousUsage(st, u.newTo))
		}
		if failed != nil {
			g.abort(-1)
			buf = appendErrorEvent(buf, streamError(failed))
			buf = append(buf, doneEvent...)
			_, _ = w.Write(buf)
			_ = rc.Flush()
			g.record(updates, g.s.clk.Now())
			return
		}
		if len(buf) > 0 {
			if _, err := w.Write(buf); err != nil {
				g.clientGone()
				return
			}
			if err := rc.Flush(); err != nil {
				g.clientGone()
				return
			}
		}
		g.record(updates, g.s.clk.Now())
	}
	buf = buf[:0]
	if g.job.includeUsage {
		buf = appendUsageChunk(buf, hdr, g.finalUsage())
	}
	buf = append(buf, doneEvent...)
	_, _ = w.Write(buf)
	_ = rc.Flush()
}

// continuousUsage returns the per-chunk usage when the client asked for
// stream_options.continuous_usage_stats.
func (g *generation) continuousUsage(st *seqState, completion int) *usage {
	if !g.job.includeUsage || !g.job.continuous {
		return nil
	}
	return &usage{prompt: st.seq.promptTokens, completion: completion}
}
