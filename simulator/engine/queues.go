package engine

// deque is a double-ended queue of requests (a ring buffer).
type deque struct {
	buf  []*req
	head int
	n    int
}

func (d *deque) len() int { return d.n }

func (d *deque) grow() {
	nb := make([]*req, max(16, 2*len(d.buf)))
	for i := 0; i < d.n; i++ {
		nb[i] = d.buf[(d.head+i)%len(d.buf)]
	}
	d.buf, d.head = nb, 0
}

func (d *deque) pushBack(r *req) {
	if d.n == len(d.buf) {
		d.grow()
	}
	d.buf[(d.head+d.n)%len(d.buf)] = r
	d.n++
}

func (d *deque) pushFront(r *req) {
	if d.n == len(d.buf) {
		d.grow()
	}
	d.head = (d.head - 1 + len(d.buf)) % len(d.buf)
	d.buf[d.head] = r
	d.n++
}

func (d *deque) front() *req { return d.buf[d.head] }

// at returns the i-th request from the front.
func (d *deque) at(i int) *req { return d.buf[(d.head+i)%len(d.buf)] }

func (d *deque) popFront() *req {
	r := d.buf[d.head]
	d.buf[d.head] = nil
	d.head = (d.head + 1) % len(d.buf)
	d.n--
	return r
}

// remove deletes r (linear scan; used by Abort only).
func (d *deque) remove(r *req) bool {
	for i := 0; i < d.n; i++ {
		if d.buf[(d.head+i)%len(d.buf)] != r {
			continue
		}
		for j := i; j < d.n-1; j++ {
			d.buf[(d.head+j)%len(d.buf)] = d.buf[(d.head+j+1)%len(d.buf)]
		}
		d.buf[(d.head+d.n-1)%len(d.buf)] = nil
		d.n--
		return true
	}
	return false
}

// finishHeap orders decoding requests by the step at which they finish,
// then by admission order.
type finishHeap []*req

func (h finishHeap) less(i, j int) bool {
	if h[i].finishStep != h[j].finishStep {
		return h[i].finishStep < h[j].finishStep
	}
	return h[i].seq < h[j].seq
}

func (h finishHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}

func (h *finishHeap) push(r *req) {
	r.heapIdx = len(*h)
	*h = append(*h, r)
	h.up(r.heapIdx)
}

func (h *finishHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *finishHeap) down(i int) {
	n := len(*h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}

// removeAt deletes the element at index i.
func (h *finishHeap) removeAt(i int) *req {
	old := *h
	n := len(old) - 1
	r := old[i]
	if i != n {
		h.swap(i, n)
	}
	old[n] = nil
	*h = old[:n]
	if i != n {
		h.down(i)
		h.up(i)
	}
	r.heapIdx = -1
	return r
}

// suffixMax answers "largest step duration from step x to the last recorded
// step" over an append-only sequence of segments whose maximum is their last
// step (durations grow within a run). It keeps a stack of segment ends with
// strictly decreasing maxima.
type suffixMax struct {
	end []int64 // last step index of the segment
	max []float64
}

// record appends steps ending at step index end whose largest duration is v.
func (s *suffixMax) record(end int64, v float64) {
	for n := len(s.max); n > 0 && s.max[n-1] <= v; n-- {
		s.max = s.max[:n-1]
		s.end = s.end[:n-1]
	}
	s.end = append(s.end, end)
	s.max = append(s.max, v)
}

// since returns the largest duration of the recorded steps with index >= x.
func (s *suffixMax) since(x int64) float64 {
	lo, hi := 0, len(s.end)
	for lo < hi {
		mid := (lo + hi) / 2
		if s.end[mid] >= x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo == len(s.end) {
		return 0
	}
	return s.max[lo]
}
