package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkInvariants recomputes the block accounting from the requests and
// compares it with the pool. (Plain comparisons: it runs after every call.)
func checkInvariants(t testing.TB, e *Engine) {
	t.Helper()
	p := e.pool
	if p.free < 0 || p.used < 0 || p.cached < 0 || p.total != p.free+p.used+p.cached {
		t.Fatalf("blocks not conserved: total %d free %d used %d cached %d", p.total, p.free, p.used, p.cached)
	}
	private, running := 0, 0
	for q := e.running.head; q != nil; q = q.next {
		running++
		blocks := q.blocks
		switch q.state {
		case stateDecode:
			if !e.plan.active {
				t.Fatalf("decoding request %s without a plan", q.id)
			}
			s := e.plan.first + e.plan.alloc - 1
			blocks = ceilDiv(q.target+int(s-q.base), e.blockSize)
		case statePrefill:
		default:
			t.Fatalf("request %s in the running list in state %d", q.id, q.state)
		}
		if blocks < q.shared {
			t.Fatalf("request %s holds %d blocks, fewer than its %d shared ones", q.id, blocks, q.shared)
		}
		private += blocks - q.shared
	}
	if running != e.running.n || running > e.cfg.MaxNumSeqs {
		t.Fatalf("running list has %d requests, count %d, max %d", running, e.running.n, e.cfg.MaxNumSeqs)
	}
	shared, cached := 0, 0
	for _, g := range e.groups { // sums only: order does not matter
		for i := 0; i < g.present; i++ {
			if g.refs[i] > 0 {
				shared++
			} else {
				cached++
			}
			if i > 0 && g.refs[i] > g.refs[i-1] {
				t.Fatalf("chain references increase at block %d: %v", i, g.refs[:g.present])
			}
		}
	}
	if private+shared != p.used {
		t.Fatalf("used blocks %d != private %d + referenced prefix blocks %d", p.used, private, shared)
	}
	if cached != p.cached {
		t.Fatalf("cached blocks %d != unreferenced prefix blocks %d", p.cached, cached)
	}
	n := 0
	for _, c := range e.phaseCnt {
		n += c
	}
	if len(e.heap) != e.nDec || n != e.nDec {
		t.Fatalf("decoders: heap %d, phases %d, count %d", len(e.heap), n, e.nDec)
	}
}

// accountFor checks that every request of w ends exactly once, after its
// first token, with the promised number of tokens.
func accountFor(t *testing.T, w []arrival, events []Event) map[string]Event {
	t.Helper()
	finished := map[string]Event{}
	first := map[string]time.Time{}
	var last time.Time
	for _, ev := range events {
		require.False(t, ev.Time.Before(last), "events are in time order: %v", ev)
		last = ev.Time
		switch ev.Kind {
		case EventFirstToken:
			_, dup := first[ev.ID]
			require.False(t, dup, "one first token per request: %s", ev.ID)
			first[ev.ID] = ev.Time
		case EventFinished:
			_, dup := finished[ev.ID]
			require.False(t, dup, "one finish per request: %s", ev.ID)
			finished[ev.ID] = ev
		}
	}
	for _, a := range w {
		ev, ok := finished[a.r.ID]
		require.True(t, ok, "request %s finished", a.r.ID)
		want := FinishLength
		if a.r.Stop {
			want = FinishStop
		}
		assert.Equal(t, want, ev.Reason, a.r.ID)
		assert.Equal(t, a.r.OutputTokens, ev.Stats.OutputTokens, a.r.ID)
		assert.Equal(t, a.r.OutputTokens, ev.Index, a.r.ID)
		assert.Equal(t, first[a.r.ID], ev.Stats.FirstToken, a.r.ID)
		assert.False(t, ev.Stats.FirstToken.Before(ev.Stats.Scheduled), a.r.ID)
		assert.False(t, ev.Stats.Scheduled.Before(ev.Stats.Queued), a.r.ID)
		assert.False(t, ev.Stats.Finished.Before(ev.Stats.FirstToken), a.r.ID)
		assert.Equal(t, epoch.Add(a.at), ev.Stats.Arrival, a.r.ID)
	}
	require.Len(t, finished, len(w))
	return finished
}

func TestInvariantsUnderLoad(t *testing.T) {
	cases := []struct {
		name   string
		acc    string
		util   float64
		prefix bool
		tokens bool
		rate   float64
		groups int
	}{
		{"H100 moderate load, fast-forward", "H100", 0, false, false, 5, 0},
		{"H100 moderate load, token events", "H100", 0, false, true, 5, 0},
		{"L40S overload with small cache", "L40S", 0.5, false, false, 40, 0},
		{"A100 prefix caching, small cache", "A100", 0.3, true, false, 30, 3},
		{"A100 prefix caching, token events", "A100", 0.3, true, true, 30, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, tc.acc, llama8B)
			cfg.GPUMemoryUtilization = tc.util
			cfg.EnablePrefixCaching = tc.prefix
			cfg.TokenEvents = tc.tokens
			cfg.MaxModelLen = 8192
			e := newEngine(t, cfg)
			n := 400
			if tc.tokens {
				n = 150 // one call per step: keep it short
			}
			w := workload(11, n, tc.rate, 3000, 1500, tc.groups)
			events := drive(t, e, w, func() { checkInvariants(t, e) })
			accountFor(t, w, events)
			st := e.Stats()
			var out, preempted int64
			for _, a := range w {
				out += int64(a.r.OutputTokens)
			}
			for _, ev := range events {
				if ev.Kind == EventPreempted {
					preempted++
				}
			}
			assert.Equal(t, out, st.GenerationTokens, "every promised token generated once")
			assert.Equal(t, preempted, st.Preemptions, "one event per preemption")
			assert.Equal(t, int64(len(w)), st.Finished.Length+st.Finished.Stop)
			assert.Zero(t, st.Running)
			assert.Zero(t, st.Waiting)
			assert.Zero(t, st.UsedBlocks, "no block held once idle")
			if tc.tokens {
				tokens := map[string]int{}
				for _, ev := range events {
					if ev.Kind == EventToken || ev.Kind == EventFirstToken {
						require.Equal(t, tokens[ev.ID], ev.Index, "token indexes are consecutive for %s", ev.ID)
						tokens[ev.ID]++
					}
				}
				for _, a := range w {
					assert.Equal(t, a.r.OutputTokens, tokens[a.r.ID])
				}
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, tokens := range []bool{false, true} {
		cfg := testConfig(t, "A100", llama8B)
		cfg.GPUMemoryUtilization = 0.3
		cfg.EnablePrefixCaching = true
		cfg.TokenEvents = tokens
		cfg.MaxModelLen = 8192
		w := workload(3, 300, 30, 3000, 1000, 4)
		a := drive(t, newEngine(t, cfg), w, nil)
		b := drive(t, newEngine(t, cfg), w, nil)
		require.Equal(t, a, b, "same inputs, same events (token events %v)", tokens)
	}
}

func TestFastForwardMatchesStepByStep(t *testing.T) {
	for _, tc := range []struct {
		name string
		util float64
		rate float64
	}{
		{"light", 0, 2},
		{"saturated", 0, 60},
		{"preempting", 0.35, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, "H100", llama8B)
			cfg.GPUMemoryUtilization = tc.util
			cfg.MaxModelLen = 8192
			cfg.EnablePrefixCaching = true
			w := workload(5, 300, tc.rate, 2000, 1000, 2)
			for i := range w {
				if i%7 == 3 { // some clients give up: while waiting, in prefill or decoding
					w[i].abortAfter = time.Duration(i%5) * 700 * time.Millisecond
				}
			}
			ff := newEngine(t, cfg)
			fast := drive(t, ff, w, nil)
			cfg.TokenEvents = true
			sbs := newEngine(t, cfg)
			slow := drive(t, sbs, w, nil)

			var kept []Event
			for _, ev := range slow {
				if ev.Kind != EventToken {
					kept = append(kept, ev)
				}
			}
			require.Len(t, fast, len(kept))
			const tol = time.Microsecond
			for i := range fast {
				f, s := fast[i], kept[i]
				require.Equal(t, s.Kind, f.Kind, "event %d", i)
				require.Equal(t, s.ID, f.ID, "event %d", i)
				require.Equal(t, s.Index, f.Index, "event %d", i)
				require.InDelta(t, 0, f.Time.Sub(s.Time).Seconds(), tol.Seconds(), "event %d %v", i, f)
				require.InDelta(t, 0, (f.Stats.MaxITL - s.Stats.MaxITL).Seconds(), tol.Seconds(), "max ITL of %s", f.ID)
			}
			fs, ss := ff.Stats(), sbs.Stats()
			assert.Positive(t, fs.Finished.Abort)
			assert.Equal(t, ss.Finished, fs.Finished)
			assert.Equal(t, ss.Steps, fs.Steps)
			assert.Equal(t, ss.Preemptions, fs.Preemptions)
			assert.Equal(t, ss.PrefixHits, fs.PrefixHits)
			assert.Equal(t, ss.PromptTokensCached, fs.PromptTokensCached)
			assert.Equal(t, ss.StepTokens, fs.StepTokens, "steps by token count")
			assert.Equal(t, fs.PromptTokens+fs.GenerationTokens, fs.StepTokens.Sum)
			if tc.name == "preempting" {
				assert.Positive(t, fs.Preemptions)
			}
		})
	}
}
