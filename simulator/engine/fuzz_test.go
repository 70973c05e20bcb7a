package engine

import (
	"fmt"
	"testing"
	"time"
)

// FuzzEngine drives an engine with an arbitrary sequence of operations
// decoded from the input and checks that it never panics, keeps its block
// accounting and accounts for every request.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 10, 20, 1, 0, 5, 2, 3, 0, 200, 200, 3, 9})
	f.Add([]byte{0, 255, 255, 0, 255, 255, 0, 255, 255, 3, 50, 1, 1, 3, 255})
	f.Add([]byte{4, 0, 1, 1, 4, 1, 1, 1, 2, 0, 3, 1})
	cfg := testConfig(f, "H100", llama8B)
	cfg.GPUMemoryUtilization = 0.26
	cfg.MaxModelLen = 4096
	cfg.MaxNumSeqs = 8
	cfg.MaxNumBatchedTokens = 512
	cfg.EnablePrefixCaching = true
	f.Fuzz(func(t *testing.T, ops []byte) {
		for _, tokens := range []bool{false, true} {
			c := cfg
			c.TokenEvents = tokens
			e, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			now := epoch
			added := map[string]bool{}
			finished := map[string]bool{}
			var events []Event
			n := 0
			next := func() byte {
				if len(ops) == 0 {
					return 0
				}
				b := ops[0]
				ops = ops[1:]
				return b
			}
			for i := 0; len(ops) > 0 && i < 200; i++ {
				switch next() % 5 {
				case 0, 4: // add
					id := fmt.Sprint(n)
					n++
					r := Request{ID: id, PromptTokens: int(next())*16 + 1, OutputTokens: int(next())*8 + 1}
					if next()%2 == 0 {
						r.PrefixGroup = fmt.Sprint("g", next()%3)
						r.PrefixTokens = min(r.PromptTokens, int(next())*8)
					}
					if e.Add(now, r) == nil {
						added[id] = true
					}
				case 1: // abort
					e.Abort(now, fmt.Sprint(int(next())%(n+1)))
				case 2: // advance a little
					now = now.Add(time.Duration(next()) * time.Millisecond)
					events = e.AdvanceInto(events, now)
				case 3: // advance a lot
					now = now.Add(time.Duration(next()) * 100 * time.Millisecond)
					events = e.AdvanceInto(events, now)
				}
				checkInvariants(t, e)
			}
			events = e.AdvanceInto(events, now) // events of the last Add/Abort
			for j := 0; j < 1_000_000; j++ {
				at, ok := e.NextEventTime()
				if !ok {
					break
				}
				events = e.AdvanceInto(events, at)
			}
			checkInvariants(t, e)
			for _, ev := range events {
				if ev.Kind == EventFinished {
					if finished[ev.ID] && added[ev.ID] {
						t.Fatalf("request %s finished twice", ev.ID)
					}
					finished[ev.ID] = true
				}
			}
			for id := range added {
				if !finished[id] {
					t.Fatalf("request %s never finished", id)
				}
			}
			if !e.Idle() || e.pool.used != 0 {
				t.Fatalf("engine not drained: %d requests, %d used blocks", e.Requests(), e.pool.used)
			}
		}
	})
}
