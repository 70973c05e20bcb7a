package engine_test

import (
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/simulator/engine"
	"github.com/saturn-autoscaler/saturn/simulator/profiles"
)

// A driver adds requests and advances the engine on its own clock; here a
// discrete-event loop jumps from one NextEventTime to the next.
func Example() {
	acc, _ := profiles.LookupAccelerator("H100")
	model, _ := profiles.LookupModel("meta-llama/Llama-3.1-8B-Instruct")
	e, err := engine.New(engine.Config{Accelerator: acc, Model: model})
	if err != nil {
		panic(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 4 {
		_ = e.Add(start, engine.Request{ID: fmt.Sprint("req-", i), PromptTokens: 512, OutputTokens: 128})
	}
	var events []engine.Event
	for {
		next, ok := e.NextEventTime()
		if !ok {
			break
		}
		events = e.AdvanceInto(events, next)
	}
	for _, ev := range events {
		if ev.Kind == engine.EventFinished {
			s := ev.Stats
			fmt.Printf("%s: %d tokens, TTFT %v, TPOT %v\n", ev.ID, s.OutputTokens,
				s.FirstToken.Sub(s.Arrival).Round(time.Millisecond), (s.Finished.Sub(s.FirstToken) / 127).Round(100*time.Microsecond))
		}
	}
	fmt.Println("steps:", e.Stats().Steps)
	// Output:
	// req-0: 128 tokens, TTFT 86ms, TPOT 6.7ms
	// req-1: 128 tokens, TTFT 86ms, TPOT 6.7ms
	// req-2: 128 tokens, TTFT 86ms, TPOT 6.7ms
	// req-3: 128 tokens, TTFT 86ms, TPOT 6.7ms
	// steps: 128
}
