package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/saturn-autoscaler/saturn/simulator/realtime"
)

// collect answers a non-streaming request once every sequence finished.
func (g *generation) collect(w http.ResponseWriter, r *http.Request) {
	var updates []update
	for !g.allDone() {
		if !g.wait(r.Context()) {
			g.clientGone()
			return
		}
		updates = g.poll(updates[:0])
		for _, u := range updates {
			if u.err != nil {
				g.abort(-1)
				g.record(updates, g.s.clk.Now())
				WriteError(w, streamError(u.err))
				return
			}
		}
		g.record(updates, g.s.clk.Now())
	}
	choices := make([]choiceText, len(g.seqs))
	for i := range g.seqs {
		st := &g.seqs[i]
		choices[i] = choiceText{index: st.seq.index, seed: st.seq.textSeed, tokens: st.sent, reason: st.seq.finishReason}
	}
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	u := g.finalUsage()
	if g.job.chat {
		buf = appendChatCompletion(buf, g.header(), choices, u)
	} else {
		buf = appendCompletion(buf, g.header(), choices, u)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(buf)))
	_, _ = w.Write(buf)
	if cap(buf) <= maxPooledBuffer {
		*bp = buf[:0]
	}
	bufPool.Put(bp)
}

func streamError(err error) *APIError {
	if errors.Is(err, realtime.ErrStopped) {
		return newError(http.StatusServiceUnavailable, "", "The server stopped before the request finished.")
	}
	return newError(http.StatusInternalServerError, "", "Generation failed: %v.", err)
}

// finalUsage is the usage of a finished request, with the cached prompt
// tokens when Config.EnablePromptTokensDetails is set. As vLLM's, the cached
// tokens are those of the request's last prompt (its first sample's), and
// prompt_tokens_details stays null when none was cached.
func (g *generation) finalUsage() usage {
	u := g.usage()
	if !g.s.cfg.EnablePromptTokensDetails {
		return u
	}
	for i := len(g.seqs) - 1; i >= 0; i-- {
		st := &g.seqs[i]
		if st.seq.index%g.job.n == 0 && st.stream != nil {
			u.cached = st.stream.Progress().Stats.CachedPromptTokens
			break
		}
	}
	return u
}
