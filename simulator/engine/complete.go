package engine

import (
	"math"
	"time"
)

// preemptReason is the Reason of EventPreempted.
const preemptReason = "kv cache full: preempted for recompute"

// finishPlan completes the plan in progress at time end: the last step's
// tokens, prefill completions, finishes and aborts.
func (e *Engine) finishPlan(end float64) {
	p := &e.plan
	last := p.first + p.k - 1
	e.allocateThrough(p.k)
	// Steps before the last one not booked yet are pure decode steps; the
	// last one also carries the prefill completions.
	pure, nDec := p.k-1-p.done, int64(p.nDec)
	e.account(p.k)
	mark := e.st.PromptTokens + e.st.GenerationTokens
	if e.cfg.TokenEvents && e.nDec > 0 {
		for q := e.running.head; q != nil; q = q.next {
			if q.state == stateDecode {
				idx := q.generated + int(last-q.base) - 1
				e.emit(Event{Kind: EventToken, ID: q.id, Time: e.at(end), Index: idx})
			}
		}
	}
	// Prefill chunks.
	n := 0
	for _, q := range e.prefilling {
		if q.chunk == 0 || q.state != statePrefill {
			if q.state == statePrefill {
				e.prefilling[n] = q
				n++
			}
			continue
		}
		q.computed += q.chunk
		q.chunk = 0
		if q.computed < q.target {
			e.prefilling[n] = q
			n++
			continue
		}
		e.prefillDone(q, last, end)
	}
	clear(e.prefilling[n:])
	e.prefilling = e.prefilling[:n]
	e.st.StepTokens.add(nDec, pure)
	e.st.StepTokens.add(nDec+e.st.PromptTokens+e.st.GenerationTokens-mark, 1)
	// Decoders that emitted their last token.
	for len(e.heap) > 0 && e.heap[0].finishStep == last {
		q := e.heap.removeAt(0)
		e.leaveDecode(q, last, true)
		q.generated = q.output
		q.lastToken = end
		e.release(q)
		e.running.remove(q)
		e.finish(q, end, q.finishReason())
	}
	// Aborts of running requests take effect at the end of the step.
	for i, q := range e.aborts {
		e.aborts[i] = nil
		switch q.state {
		case stateDecode:
			e.heap.removeAt(q.heapIdx)
			e.leaveDecode(q, last, true)
		case statePrefill:
			e.dropPrefilling(q)
		default:
			continue // finished in this step, or preempted
		}
		e.release(q)
		e.running.remove(q)
		e.finish(q, end, FinishAbort)
	}
	e.aborts = e.aborts[:0]
	e.step = last + 1
	e.plan = plan{}
}

// prefillDone handles a request whose prefill completed at step s (time
// end): it emits its next token and starts decoding, or finishes.
func (e *Engine) prefillDone(q *req, s int64, end float64) {
	if q.generated == 0 {
		q.firstToken = end
		e.st.PromptTokens += int64(q.prompt)
		e.st.PromptTokensCached += int64(max(q.cached, 0))
		e.emit(Event{Kind: EventFirstToken, ID: q.id, Time: e.at(end)})
	} else {
		q.maxITL = math.Max(q.maxITL, end-q.lastToken)
		if e.cfg.TokenEvents {
			e.emit(Event{Kind: EventToken, ID: q.id, Time: e.at(end), Index: q.generated})
		}
	}
	q.generated++
	q.lastToken = end
	e.st.GenerationTokens++
	if q.generated >= q.output {
		e.release(q)
		e.running.remove(q)
		e.finish(q, end, q.finishReason())
		return
	}
	q.state = stateDecode
	q.base = s
	q.finishStep = s + int64(q.output-q.generated)
	b := int64(e.blockSize)
	q.phase = int(((s+1-int64(q.target))%b + b) % b)
	e.phaseCnt[q.phase]++
	e.nDec++
	e.sumBase += int64(q.target) - s
	e.heap.push(q)
}

// leaveDecode removes q from the decoding set at step s (its blocks for step
// s allocated when allocated is true); it updates q's token count, block
// count and maximum inter-token latency.
func (e *Engine) leaveDecode(q *req, s int64, allocated bool) {
	e.phaseCnt[q.phase]--
	e.nDec--
	e.sumBase -= int64(q.target) - q.base
	slots := q.target + int(s-q.base)
	done := s // steps through s emitted tokens
	if !allocated {
		slots--
		done = s - 1
	}
	q.blocks = ceilDiv(slots, e.blockSize)
	q.generated += int(done - q.base)
	if done > q.base {
		q.maxITL = math.Max(q.maxITL, e.itl.since(q.base+1))
	}
}

// release frees q's blocks: private ones to the free pool, prefix-group
// ones to the cache.
func (e *Engine) release(q *req) {
	e.pool.release(q.blocks - q.shared)
	if q.shared > 0 {
		e.pool.unshare(q.group, q.shared)
	}
	q.blocks, q.shared = 0, 0
}

func (e *Engine) dropPrefilling(q *req) {
	for i, x := range e.prefilling {
		if x == q {
			copy(e.prefilling[i:], e.prefilling[i+1:])
			e.prefilling[len(e.prefilling)-1] = nil
			e.prefilling = e.prefilling[:len(e.prefilling)-1]
			return
		}
	}
}

// preempt evicts running request v at the start of step s (time t) and puts
// it at the front of the waiting queue. allocated says whether v's decode
// block for step s was already taken.
func (e *Engine) preempt(v *req, s int64, t float64, allocated bool) {
	switch v.state {
	case stateDecode:
		e.heap.removeAt(v.heapIdx)
		e.leaveDecode(v, s, allocated)
		// leaveDecode counted step s as emitted when allocated; it was not run.
		if allocated {
			v.generated--
		}
	case statePrefill:
		e.dropPrefilling(v)
	}
	e.release(v)
	e.running.remove(v)
	v.state = stateWaiting
	v.computed, v.chunk = 0, 0
	v.target = v.prompt + v.generated
	v.preemptions++
	e.st.Preemptions++
	e.waiting.pushFront(v)
	e.emit(Event{Kind: EventPreempted, ID: v.id, Time: e.at(t), Index: v.generated, Reason: preemptReason})
}

func (q *req) finishReason() string {
	if q.stop {
		return FinishStop
	}
	return FinishLength
}

// finish ends q at time t and emits EventFinished with its statistics.
func (e *Engine) finish(q *req, t float64, reason string) {
	q.state = stateDone
	switch reason {
	case FinishLength:
		e.st.Finished.Length++
	case FinishStop:
		e.st.Finished.Stop++
	default:
		e.st.Finished.Abort++
	}
	ev := Event{Kind: EventFinished, ID: q.id, Time: e.at(t), Index: q.generated, Reason: reason}
	ev.Stats = RequestStats{
		Arrival:            e.at(q.arrival),
		Queued:             e.at(q.queued),
		Finished:           ev.Time,
		PromptTokens:       q.prompt,
		OutputTokens:       q.generated,
		CachedPromptTokens: max(q.cached, 0),
		Preemptions:        q.preemptions,
		MaxITL:             secondsToDuration(q.maxITL),
	}
	if q.scheduled >= 0 {
		ev.Stats.Scheduled = e.at(q.scheduled)
	}
	if q.firstToken >= 0 {
		ev.Stats.FirstToken = e.at(q.firstToken)
	}
	e.emit(ev)
	delete(e.reqs, q.id)
	q.reset()
	e.spare = append(e.spare, q)
}

func (e *Engine) emit(ev Event) { e.events = append(e.events, ev) }

func secondsToDuration(s float64) time.Duration {
	return time.Duration(math.Round(s * 1e9))
}
