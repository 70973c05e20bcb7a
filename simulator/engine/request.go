package engine

// reqState is where a request is.
type reqState uint8

const (
	statePending reqState = iota // in API handling, not yet in the waiting queue
	stateWaiting
	statePrefill // running, prompt not fully computed
	stateDecode  // running, generating
	stateDone
)

// req is the engine's record of one request. Decoding requests do not store
// their token count: it is derived from the global step counter.
type req struct {
	id           string
	prompt       int
	output       int
	stop         bool
	group        *prefixGroup
	prefixTokens int
	seq          uint64 // admission order, for ties and preemption order

	state reqState

	// times, seconds since the engine's epoch; negative = not yet
	arrival, queued, scheduled, firstToken, lastToken float64
	maxITL                                            float64

	generated   int // tokens emitted before the current admission
	target      int // tokens to compute in this admission's prefill (prompt + generated)
	computed    int // tokens computed so far in this admission's prefill
	blocks      int // blocks held, prefix-group blocks included
	shared      int // leading blocks held as prefix-group chain blocks
	cached      int // prompt tokens hit in the prefix cache at first admission
	preemptions int

	// decoding: at global step s the request feeds token generated+1+(s-base)
	// and holds target+(s-base) slots.
	base       int64
	finishStep int64
	phase      int
	heapIdx    int

	// running list, admission order
	prev, next *req
	// chunk scheduled in the current step (prefill)
	chunk int
}

// reset clears r for reuse.
func (r *req) reset() {
	*r = req{heapIdx: -1, scheduled: -1, firstToken: -1}
}

// runList is the running batch in admission order.
type runList struct {
	head, tail *req
	n          int
}

func (l *runList) pushBack(r *req) {
	r.prev, r.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = r
	} else {
		l.head = r
	}
	l.tail = r
	l.n++
}

func (l *runList) remove(r *req) {
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		l.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		l.tail = r.prev
	}
	r.prev, r.next = nil, nil
	l.n--
}
