package twin

import "time"

// timerKind says what a timer does when it fires.
type timerKind uint8

const (
	timerScrape timerKind = iota
	timerControl
	timerActuate
	timerLifecycle
	timerFault
	timerIngest
	timerRouterTimeout
	timerScript
)

// timer is one scheduled event. seq breaks ties in scheduling order, which
// keeps the run deterministic.
type timer struct {
	at   time.Duration
	seq  uint64
	kind timerKind
	// a and b are kind-specific (replica id, fault index, ...).
	a, b int
}

// timerHeap is a binary min-heap of timers by (at, seq), typed to avoid the
// interface boxing of container/heap.
type timerHeap struct {
	items []timer
	seq   uint64
}

func (h *timerHeap) less(i, j int) bool {
	a, b := &h.items[i], &h.items[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (h *timerHeap) push(at time.Duration, kind timerKind, a, b int) {
	h.seq++
	h.items = append(h.items, timer{at: at, seq: h.seq, kind: kind, a: a, b: b})
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *timerHeap) len() int { return len(h.items) }

func (h *timerHeap) peek() time.Duration { return h.items[0].at }

func (h *timerHeap) pop() timer {
	top := h.items[0]
	n := len(h.items) - 1
	h.items[0] = h.items[n]
	h.items = h.items[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
	return top
}
