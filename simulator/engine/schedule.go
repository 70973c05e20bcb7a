package engine

// timeEps is the resolution of event times (they are rounded to the
// nanosecond): a time within it of a step end reaches that step end.
const timeEps = 1e-9

// advance runs the engine up to time t (seconds since epoch).
func (e *Engine) advance(t float64) {
	if t < e.now {
		t = e.now
	}
	for {
		if e.plan.active {
			p := &e.plan
			end := p.start + p.r.elapsed(p.k)
			if end <= t+timeEps {
				e.finishPlan(end)
				e.now = end
				e.startNext(end)
				continue
			}
			if t+timeEps < p.start+p.r.elapsed(p.done+1) {
				break // inside the step in progress: nothing to do
			}
			if j := p.r.stepsBy(t-p.start, p.done, p.k-1); j > p.done {
				e.progress(j)
			}
			break
		}
		if e.pending.len() > 0 && e.pending.front().queued <= t+timeEps {
			st := max(e.now, e.pending.front().queued)
			e.now = st
			e.startNext(st)
			continue
		}
		break
	}
	e.now = max(e.now, t)
}

// startNext moves arrived requests to the waiting queue and schedules the
// next step at time t.
func (e *Engine) startNext(t float64) {
	for e.pending.len() > 0 && e.pending.front().queued <= t+timeEps {
		q := e.pending.popFront()
		q.state = stateWaiting
		e.waiting.pushBack(q)
	}
	if e.running.n == 0 && e.waiting.len() == 0 {
		return
	}
	e.schedule(t)
}

// decodeNeedsBlock reports whether decoder q needs a new block at step s.
func (e *Engine) decodeNeedsBlock(q *req, s int64) bool {
	return int(s%int64(e.blockSize)) == q.phase
}

// demand counts the new blocks decoders need over global steps [from, to).
func (e *Engine) demand(from, to int64) int {
	if to <= from || e.nDec == 0 {
		return 0
	}
	b := int64(e.blockSize)
	n := to - from
	d := int(n/b) * e.nDec
	for s := from + (n/b)*b; s < to; s++ {
		d += e.phaseCnt[s%b]
	}
	return d
}

// schedule runs vLLM's scheduler for the step starting at time t and plans
// it (and, when possible, the identical decode steps after it).
func (e *Engine) schedule(t float64) {
	s := e.step
	preempted := false
	// 1. one decode token for every decoding request, a block when needed.
	if e.nDec > 0 {
		d := e.phaseCnt[s%int64(e.blockSize)]
		for d > e.pool.available() {
			v := e.running.tail
			if v.state == stateDecode && e.decodeNeedsBlock(v, s) {
				d--
			}
			e.preempt(v, s, t, false)
			preempted = true
		}
		e.pool.take(d)
	}
	budget := e.cfg.MaxNumBatchedTokens - e.nDec
	// 2. the next chunk of running requests still in prefill.
	for i := 0; i < len(e.prefilling); i++ {
		q := e.prefilling[i]
		q.chunk = 0
		if budget <= 0 {
			continue
		}
		n := min(q.target-q.computed, budget)
		need := ceilDiv(q.computed+n, e.blockSize) - q.blocks
		self := false
		for need > e.pool.available() {
			v := e.running.tail
			e.preempt(v, s, t, true)
			preempted = true
			if v == q {
				self = true
				break
			}
		}
		if self {
			break
		}
		e.pool.take(need)
		q.blocks += need
		q.chunk = n
		budget -= n
		e.shareFilled(q)
	}
	// 3. admit waiting requests, first come first served.
	// (A waiting request left behind stays blocked through a run of decode
	// steps: only a finish frees sequences, and decoding only consumes blocks.)
	if !preempted || (e.nDec == 0 && len(e.prefilling) == 0) {
		e.admit(t, budget)
	}
	e.buildPlan(t, s, preempted)
}

// admit moves waiting requests to the running batch while the token budget,
// MaxNumSeqs and the free blocks allow.
func (e *Engine) admit(t float64, budget int) {
	for e.waiting.len() > 0 {
		if e.running.n >= e.cfg.MaxNumSeqs || budget <= 0 {
			return
		}
		q := e.waiting.front()
		hitBlocks, pinned := 0, 0
		if q.group != nil {
			limit := min(min(q.prefixTokens, q.prompt)/e.blockSize, (q.target-1)/e.blockSize)
			hitBlocks = min(q.group.present, limit)
			for i := 0; i < hitBlocks; i++ {
				if q.group.refs[i] == 0 {
					pinned++
				}
			}
		}
		hit := hitBlocks * e.blockSize
		n := min(q.target-hit, budget)
		need := ceilDiv(hit+n, e.blockSize) - hitBlocks
		if need > e.pool.available()-pinned {
			return
		}
		e.waiting.popFront()
		if hitBlocks > 0 {
			e.pool.hit(q.group, hitBlocks)
		}
		e.pool.take(need)
		if e.cfg.EnablePrefixCaching {
			e.st.PrefixQueries += int64(q.target)
			e.st.PrefixHits += int64(hit)
		}
		if q.scheduled < 0 {
			q.scheduled = t
			q.cached = hit
		}
		q.blocks = hitBlocks + need
		q.shared = hitBlocks
		q.computed = hit
		q.chunk = n
		q.state = statePrefill
		q.seq = e.seq
		e.seq++
		e.running.pushBack(q)
		e.prefilling = append(e.prefilling, q)
		budget -= n
		e.shareFilled(q)
	}
}

// shareFilled registers the prefix-group blocks that q's scheduled chunk fills.
func (e *Engine) shareFilled(q *req) {
	if q.group == nil {
		return
	}
	limit := min(min(q.prefixTokens, q.prompt), q.computed+q.chunk) / e.blockSize
	for q.shared < limit {
		e.pool.share(q.group, q.shared)
		q.shared++
	}
}

// buildPlan sets up the step scheduled at time t (global index s) and, for
// a pure decode step, the run of identical steps that follows.
func (e *Engine) buildPlan(t float64, s int64, preempted bool) {
	cm := &e.cm
	nd := float64(e.nDec)
	ctx := float64(int64(e.nDec)*s + e.sumBase)
	var r run
	r.c0 = 0
	r.m0 = cm.weightBytes / cm.bandwidth
	if e.nDec > 0 {
		r.c0 = cm.decodeCompute(nd, ctx)
		r.m0 += ctx * cm.kvBytesPerToken / cm.bandwidth
		r.c1 = nd * cm.attnFLOPsPerPair / cm.decodeAttnFLOPS
		r.m1 = nd * cm.kvBytesPerToken / cm.bandwidth
	}
	mixed := false
	for _, q := range e.prefilling {
		if q.chunk == 0 {
			continue
		}
		mixed = true
		r.c0 += cm.prefillCompute(float64(q.chunk), float64(q.computed))
		r.m0 += float64(q.computed+q.chunk) * cm.kvBytesPerToken / cm.bandwidth
	}
	if !mixed && e.nDec == 0 {
		e.plan = plan{}
		return
	}
	tokens := e.nDec
	for _, q := range e.prefilling {
		tokens += q.chunk
	}
	extra := cm.comm(tokens)
	if mixed {
		extra += cm.prefillOverhead
	}
	r.setup(cm, extra)
	k := int64(1)
	if !mixed && !preempted && !e.cfg.TokenEvents {
		k = e.runLength(s, &r, t)
	}
	e.plan = plan{active: true, start: t, first: s, k: k, alloc: 1, nDec: e.nDec, r: r}
	e.plans++
}

// runLength bounds a run of pure decode steps starting at step s.
func (e *Engine) runLength(s int64, r *run, t float64) int64 {
	k := int64(maxRunSteps)
	if len(e.heap) > 0 {
		k = min(k, e.heap[0].finishStep-s+1)
	}
	// KV: steps s+1.. allocate at their start; stop before the first that cannot.
	avail := e.pool.available()
	b := int64(e.blockSize)
	cycles := int64(avail / e.nDec)
	if cycles*b < k {
		f := s + 1 + cycles*b
		rem := avail - int(cycles)*e.nDec
		for {
			rem -= e.phaseCnt[f%b]
			if rem < 0 {
				break
			}
			f++
		}
		k = min(k, f-s)
	}
	// The next arrival ends the run, unless it will queue behind a waiting
	// request the run keeps blocked, or the batch is full.
	if e.pending.len() > 0 && e.waiting.len() == 0 && e.running.n < e.cfg.MaxNumSeqs {
		k = min(k, stepsUntil(r, e.pending.front().queued-t, 1, k))
	}
	return max(k, 1)
}

// stepsUntil is the smallest k in [lo, hi] whose steps end at or after dt
// (hi when none does).
func stepsUntil(r *run, dt float64, lo, hi int64) int64 {
	if r.elapsed(lo) >= dt {
		return lo
	}
	m := r.stepsBy(dt, lo, hi)
	if r.elapsed(m) >= dt {
		return max(m, lo)
	}
	return min(m+1, hi)
}

// truncate ends the run in progress at the first step boundary at or after
// time t, so that a change at t is seen by the next schedule.
func (e *Engine) truncate(t float64) {
	p := &e.plan
	if !p.active || p.k <= p.done+1 {
		return
	}
	p.k = stepsUntil(&p.r, t-p.start, p.done+1, p.k)
}

// progress completes steps [done, j) of a run (j < k): every decoder
// emitted one token per step; blocks for the steps that started are taken.
func (e *Engine) progress(j int64) {
	p := &e.plan
	e.allocateThrough(min(j+1, p.k))
	e.st.StepTokens.add(int64(p.nDec), j-p.done) // runs have no prefill
	e.account(j)
}

func (e *Engine) allocateThrough(n int64) {
	p := &e.plan
	if n > p.alloc {
		d := e.demand(p.first+p.alloc, p.first+n)
		e.pool.take(d)
		p.alloc = n
	}
}

// account books steps [done, j) as completed.
func (e *Engine) account(j int64) {
	p := &e.plan
	steps := j - p.done
	e.st.Steps += steps
	e.st.GenerationTokens += steps * int64(p.nDec)
	dt := p.r.elapsed(j) - p.r.elapsed(p.done)
	e.st.BusyTime += secondsToDuration(dt)
	e.itl.record(p.first+j-1, p.r.duration(j-1))
	p.done = j
}
