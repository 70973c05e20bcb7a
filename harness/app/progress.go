package app

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line progress bar on a terminal.
type progress struct {
	w       io.Writer
	on      bool
	name    string
	drawn   bool
	lastPct int
}

func newProgress(w io.Writer, mode, name string) *progress {
	on := mode == "always" || (mode == "auto" && isTerminal(w))
	return &progress{w: w, on: on, name: name, lastPct: -1}
}

// update redraws the bar; it is the twin's Progress callback.
func (p *progress) update(done, total time.Duration) {
	if !p.on || total <= 0 {
		return
	}
	pct := int(100 * done / total)
	if pct == p.lastPct {
		return
	}
	p.lastPct = pct
	const width = 30
	n := width * pct / 100
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %s / %s", p.name, strings.Repeat("#", n), strings.Repeat(".", width-n), pct,
		done.Round(time.Second), total.Round(time.Second))
	p.drawn = true
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
