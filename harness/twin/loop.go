package twin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/vllmmetrics"
)

// loop runs the discrete-event loop until the traffic is over and every
// request is accounted for (or the drain grace has passed).
func (t *twin) loop(ctx context.Context) error {
	for iter := 0; ; iter++ {
		if iter&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("twin run of %s interrupted at %v: %w", t.rec.Meta.Scenario, t.now, err)
			}
		}
		tArr := never
		if t.hasNext {
			tArr = t.next.Arrival
		}
		tTim := never
		if t.timers.len() > 0 {
			tTim = t.timers.peek()
		}
		tEng, eng := never, (*replica)(nil)
		for _, r := range t.serving {
			if r.next < tEng {
				tEng, eng = r.next, r
			}
		}
		now := min(tArr, tTim, tEng)
		if now >= t.end && !t.hasNext && t.inflight == 0 && len(t.queue) == 0 {
			break
		}
		if now > t.end+drainGrace || now == never {
			break
		}
		t.now = max(t.now, now)
		switch {
		case tEng == now:
			t.advance(eng, now)
			// NextEventTime is rounded to the nanosecond; when that lands a hair
			// before the step's end, nudge the engine past it.
			for eps := time.Nanosecond; eng.next <= now && eps <= time.Millisecond; eps *= 10 {
				t.advanceEngineOnly(eng, now+eps)
			}
		case tTim == now:
			t.onTimer(t.timers.pop())
		default:
			t.arrive()
		}
		if t.opts.Progress != nil && t.now-t.lastProg >= time.Minute {
			t.lastProg = t.now
			t.opts.Progress(min(t.now, t.end), t.end)
		}
	}
	if err := t.gen.Err(); err != nil {
		return fmt.Errorf("%w: generating requests: %w", ErrInvalidScenario, err)
	}
	return nil
}

// advance runs r's engine up to now and handles its events.
func (t *twin) advance(r *replica, now time.Duration) {
	if r.eng == nil {
		return
	}
	t.evBuf = r.eng.AdvanceInto(t.evBuf[:0], at(now))
	for i := range t.evBuf {
		t.onEngineEvent(r, &t.evBuf[i])
	}
	t.updateNext(r)
}

// advanceEngineOnly is advance at a time slightly after the loop's clock.
func (t *twin) advanceEngineOnly(r *replica, to time.Duration) {
	if r.eng == nil {
		return
	}
	t.evBuf = r.eng.AdvanceInto(t.evBuf[:0], at(to))
	for i := range t.evBuf {
		t.onEngineEvent(r, &t.evBuf[i])
	}
	t.updateNext(r)
}

func (t *twin) updateNext(r *replica) {
	if r.eng == nil {
		r.next = never
		return
	}
	if nt, ok := r.eng.NextEventTime(); ok {
		r.next = max(offset(nt), t.now)
	} else {
		r.next = never
	}
}

func (t *twin) onEngineEvent(r *replica, ev *engine.Event) {
	id, err := strconv.ParseInt(ev.ID, 10, 64)
	if err != nil || id < 0 || id >= int64(len(t.rec.Requests)) {
		return
	}
	row := &t.rec.Requests[id]
	if row.Status != record.StatusOK || row.Finish != 0 || row.Replica != r.name {
		return // already closed (failed when its replica died)
	}
	switch ev.Kind {
	case engine.EventFirstToken:
		row.FirstToken = offset(ev.Time)
	case engine.EventFinished:
		st := &ev.Stats
		row.Finish = offset(ev.Time)
		if row.FirstToken == 0 && !st.FirstToken.IsZero() {
			row.FirstToken = offset(st.FirstToken)
		}
		row.OutputTokens = int32(st.OutputTokens)
		row.CachedTokens = int32(st.CachedPromptTokens)
		row.Preemptions = int32(st.Preemptions)
		row.MaxITL = st.MaxITL
		if st.OutputTokens > 1 && !st.FirstToken.IsZero() {
			row.MeanITL = st.Finished.Sub(st.FirstToken) / time.Duration(st.OutputTokens-1)
			r.itlSum += st.Finished.Sub(st.FirstToken).Seconds()
			r.itlCount += float64(st.OutputTokens - 1)
		}
		if ev.Reason == engine.FinishAbort {
			row.Status, row.Error = record.StatusError, "aborted"
		}
		r.prefillSum += vllmmetrics.FromEngineRequest(ev.Reason, *st, 0).Prefill.Seconds()
		r.promptSum += float64(st.PromptTokens)
		r.genSum += float64(st.OutputTokens)
		r.promptCount++
		t.release(r)
	}
}

// release accounts for a request leaving r.
func (t *twin) release(r *replica) {
	r.inflight--
	t.inflight--
	if r.state == record.ReplicaDraining && r.inflight == 0 {
		t.stop(r, record.ReplicaStopped)
	}
}

// arrive handles the next generated request.
func (t *twin) arrive() {
	q := t.next
	t.work.Add(q)
	id := int64(len(t.rec.Requests))
	t.rec.Requests = append(t.rec.Requests, record.Request{
		ID: id, Class: q.Class, Phase: q.Phase, Stream: q.Stream, Arrival: q.Arrival,
		PromptTokens: int32(q.PromptTokens), OutputTokens: int32(q.OutputTokens),
	})
	t.pull()
	t.inflight++
	r := t.pick(&q)
	if r == nil {
		t.queue = append(t.queue, id)
		t.timers.push(t.now+routerQueueTimeout, timerRouterTimeout, int(id), 0)
		return
	}
	t.assign(r, id, q.PrefixGroup, q.PrefixTokens)
}

// assign hands request row id to replica r.
func (t *twin) assign(r *replica, id int64, group string, groupTokens int) {
	row := &t.rec.Requests[id]
	row.Variant, row.Replica = r.v.name, r.name
	r.v.routed++
	r.inflight++
	t.advance(r, t.now)
	err := r.eng.Add(at(t.now), engine.Request{
		ID: strconv.FormatInt(id, 10), PromptTokens: int(row.PromptTokens), OutputTokens: int(row.OutputTokens),
		PrefixGroup: group, PrefixTokens: groupTokens,
	})
	if err != nil {
		row.Status = record.StatusError
		switch {
		case errors.Is(err, engine.ErrPromptTooLong):
			row.Error = "400: prompt too long"
		case errors.Is(err, engine.ErrExceedsKVCache):
			row.Error = "400: request exceeds the KV cache"
		default:
			row.Error = "400: " + err.Error()
		}
		row.Finish = t.now
		t.release(r)
	}
	t.updateNext(r)
}

// dispatchQueue hands queued requests to ready replicas, oldest first.
func (t *twin) dispatchQueue() {
	for len(t.queue) > 0 {
		id := t.queue[0]
		row := &t.rec.Requests[id]
		if row.Status != record.StatusOK {
			t.queue = t.queue[1:]
			continue
		}
		r := t.pickQueued()
		if r == nil {
			return
		}
		t.queue = t.queue[1:]
		t.assign(r, id, "", 0)
	}
}

// pickQueued picks the routable replica with the fewest requests in flight.
func (t *twin) pickQueued() *replica {
	var best *replica
	for _, r := range t.serving {
		if routable(r) && (best == nil || r.inflight < best.inflight) {
			best = r
		}
	}
	return best
}

// onRouterTimeout fails a request still waiting in the router queue.
func (t *twin) onRouterTimeout(id int64) {
	row := &t.rec.Requests[id]
	if row.Replica != "" || row.Status != record.StatusOK {
		return
	}
	row.Status, row.Error = record.StatusError, "503: no ready replica (router queue timeout)"
	row.Finish = t.now
	t.inflight--
	for i, q := range t.queue {
		if q == id {
			t.queue = append(t.queue[:i], t.queue[i+1:]...)
			break
		}
	}
}

// failInflight fails every open request on r (the replica died or hung).
func (t *twin) failInflight(r *replica, why string) {
	if r.inflight == 0 {
		return
	}
	for i := len(t.rec.Requests) - 1; i >= 0 && r.inflight > 0; i-- {
		row := &t.rec.Requests[i]
		if row.Replica != r.name || row.Status != record.StatusOK || row.Finish != 0 {
			continue
		}
		row.Status, row.Error, row.Finish = record.StatusError, why, t.now
		r.inflight--
		t.inflight--
	}
}

func (t *twin) onTimer(tm timer) {
	switch tm.kind {
	case timerScrape:
		t.scrape()
		t.timers.push(t.now+t.spec.Prometheus.ScrapeInterval, timerScrape, 0, 0)
	case timerControl:
		t.ctrl.cycle()
		t.timers.push(t.now+t.spec.Autoscaler.Interval, timerControl, 0, 0)
	case timerActuate:
		t.ctrl.actuate()
		t.timers.push(t.now+t.ctrl.actuatePeriod, timerActuate, 0, 0)
	case timerLifecycle:
		t.onLifecycle(tm.a, lifecycleTarget(tm.b))
	case timerFault:
		t.faults.fire(t, tm.a, tm.b)
	case timerIngest:
		t.ingest()
	case timerRouterTimeout:
		t.onRouterTimeout(int64(tm.a))
	case timerScript:
		t.onScript(tm.a)
	}
}

// finish closes the record: requests still open are lost, replicas still
// alive stop at the final time.
func (t *twin) finish() {
	for i := range t.rec.Requests {
		row := &t.rec.Requests[i]
		if row.Status == record.StatusOK && row.Finish == 0 {
			row.Status, row.Error = record.StatusLost, "still in flight when the run ended"
		}
	}
	t.now = max(t.now, t.end)
	for _, v := range t.variants {
		for len(v.alive) > 0 {
			t.stop(v.alive[0], record.ReplicaStopped)
		}
	}
	_ = t.store.Commit()
}
