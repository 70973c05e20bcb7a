package engine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStepTokenClass(t *testing.T) {
	for tokens, class := range map[int64]int{1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 8: 3, 9: 4, 16: 4, 17: 5, 8192: 13, 8193: 14, 1 << 50: StepTokenClasses - 1} {
		assert.Equal(t, class, StepTokenClass(tokens), "tokens %d", tokens)
	}
}

func TestStepTokensOfOneRequest(t *testing.T) {
	cfg := testConfig(t, "H100", llama8B)
	cfg.MaxNumBatchedTokens = 2048
	for _, tokenEvents := range []bool{false, true} {
		cfg.TokenEvents = tokenEvents
		e := newEngine(t, cfg)
		require.NoError(t, e.Add(epoch, Request{ID: "long", PromptTokens: 5000, OutputTokens: 10}))
		drive(t, e, nil, nil)
		st := e.Stats()
		// Three prefill steps: two chunks emit nothing and are not counted, the
		// third emits the first token (5000 prompt tokens + 1); then 9 decode
		// steps of one token.
		assert.Equal(t, int64(3+9), st.Steps)
		var want StepTokenCounts
		want.Count[0] = 9
		want.Count[StepTokenClass(5001)] = 1
		want.Sum = 5000 + 10
		assert.Equal(t, want, st.StepTokens, "token events %v", tokenEvents)
		assert.Equal(t, st.PromptTokens+st.GenerationTokens, st.StepTokens.Sum)
	}
}

func TestPromptTokensCached(t *testing.T) {
	cfg := testConfig(t, "H100", llama8B)
	cfg.EnablePrefixCaching = true
	e := newEngine(t, cfg)
	require.NoError(t, e.Add(epoch, Request{ID: "a", PromptTokens: 1200, OutputTokens: 4, PrefixGroup: "sys", PrefixTokens: 1000}))
	first := drive(t, e, nil, nil)
	at := first[len(first)-1].Time.Add(1e9)
	require.NoError(t, e.Add(at, Request{ID: "b", PromptTokens: 1100, OutputTokens: 4, PrefixGroup: "sys", PrefixTokens: 1000}))
	drive(t, e, nil, nil)
	st := e.Stats()
	assert.Equal(t, int64(992), st.PromptTokensCached)
	assert.Equal(t, st.PrefixHits, st.PromptTokensCached, "no preemption: every hit is a first admission's")
}
